/** Native exports of native/fused/: our fused CPU primitives (multi-threaded, vectorised; stock MLX ops elsewhere). */
import type { Handle, StreamArg } from '../binding.js';

export interface FusedBinding {
  fusedGelu(x: Handle, s?: StreamArg): Handle;
  fusedGeluApprox(x: Handle, s?: StreamArg): Handle;
  fusedKernelThreads(): number;
}

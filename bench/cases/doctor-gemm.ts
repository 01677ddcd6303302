// Child of bench/blas-doctor.ts: the GEMM figure `mlx-train doctor` reports (measureGemmGflops(1024, 3),
// its exact call) and the BLAS it names, as one JSON line.
import { blasInfo, measureGemmGflops } from '../../src/system/blas.js';

const gemm = measureGemmGflops(1024, 3);
const info = blasInfo();
console.log(JSON.stringify({ '1x1024x1024x1024': gemm.gflops,
  blas: `${info.kind} ${info.version ?? ''} (${info.source ?? '?'}, ${info.core} kernels ${info.coreChosenBy}, ${info.threads} threads)` }));

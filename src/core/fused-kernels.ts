/**
 * The one switch for mlx-train's own fused CPU kernels (GELU, and every fused kernel added after it).
 * With it off, every caller takes the stock MLX op chain instead, which is what A/B timings and bug
 * reports need. `MLX_TRAIN_FUSED=0` turns them off for a process; `setFusedKernelsEnabled` for a caller.
 */
let override: boolean | undefined;

/** True unless `MLX_TRAIN_FUSED=0` (or `false`/`off`) is set, or {@link setFusedKernelsEnabled} said otherwise. */
export function fusedKernelsEnabled(): boolean {
  if (override !== undefined) return override;
  const env = process.env.MLX_TRAIN_FUSED?.trim().toLowerCase();
  return !(env === '0' || env === 'false' || env === 'off');
}

/** Turns the fused kernels on or off for this process; `undefined` goes back to `MLX_TRAIN_FUSED`. */
export function setFusedKernelsEnabled(enabled: boolean | undefined): void {
  override = enabled;
}

/** Native exports of native/system.cc. */

export interface SystemBinding {
  /**
   * [corename, config, threads, parallel] of the already-loaded OpenBLAS at `path` (upstream or
   * scipy_-prefixed names), or null; parallel is openblas_get_parallel() (0 serial, 1 pthreads, 2
   * OpenMP) or null where the library lacks it.
   */
  openblasInfo(path: string): [string, string, number, number | null] | null;
}

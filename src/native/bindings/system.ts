/** Native exports of native/system.cc. */

export interface SystemBinding {
  /** [corename, config, threads] of the already-loaded OpenBLAS at `path`, or null. */
  openblasInfo(path: string): [string, string, number] | null;
}

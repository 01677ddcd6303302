// Prepares the real outside tools the suites compare against (Python MLX, NumPy, MLflow) once per run.
// @ts-expect-error plain ESM script without types
import { setupPython } from '../scripts/setup-python.mjs';

export default function setup(): void {
  process.env.MLX_TRAIN_TEST_PYTHON = setupPython() as string;
}

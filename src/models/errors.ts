/** Re-exported from src/errors.ts, the one home of every error class. */
export { CheckpointError } from '../errors.js';

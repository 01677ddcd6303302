/** Re-exported from src/errors.ts, the one home of every error class. */
export { TokenizerError } from '../errors.js';

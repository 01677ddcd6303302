/** Re-exported from src/errors.ts, the one home of every error class. */
export { DataError, type DataErrorLocation } from '../errors.js';

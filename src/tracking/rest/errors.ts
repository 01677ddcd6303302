/** Re-exported from src/errors.ts, the one home of every error class. */
export { RestError, type RestErrorDetails, type TransportFailure } from '../../errors.js';

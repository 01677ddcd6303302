/** The tracking store's error (defined in src/errors.ts, the one home of every error class) and its shorthands. */
import { StoreError } from '../errors.js';

export { StoreError, type StoreErrorCode } from '../errors.js';

export const invalidParameter = (message: string): StoreError => new StoreError(message, 'INVALID_PARAMETER_VALUE');
export const notFound = (message: string): StoreError => new StoreError(message, 'RESOURCE_DOES_NOT_EXIST');
export const alreadyExists = (message: string): StoreError => new StoreError(message, 'RESOURCE_ALREADY_EXISTS');

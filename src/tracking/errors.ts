/** The tracking store's one error class. `code` carries MLflow's error code so both backends agree. */
import { MlxTrainError } from '../errors.js';

/** MLflow's `databricks_pb2.ErrorCode` names the stores raise. */
export type StoreErrorCode =
  | 'INVALID_PARAMETER_VALUE'
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'RESOURCE_ALREADY_EXISTS'
  | 'INVALID_STATE'
  | 'BAD_REQUEST'
  | 'INTERNAL_ERROR'
  | 'TEMPORARILY_UNAVAILABLE'
  | 'PERMISSION_DENIED'
  /** The database file is not an MLflow store, is corrupt, or is at a schema revision we do not write. */
  | 'STORE_SCHEMA_MISMATCH';

export class StoreError extends MlxTrainError {
  declare readonly code: StoreErrorCode;
  constructor(message: string, code: StoreErrorCode, options?: ErrorOptions) {
    super(message, code, options);
  }
}

export const invalidParameter = (message: string): StoreError => new StoreError(message, 'INVALID_PARAMETER_VALUE');
export const notFound = (message: string): StoreError => new StoreError(message, 'RESOURCE_DOES_NOT_EXIST');
export const alreadyExists = (message: string): StoreError => new StoreError(message, 'RESOURCE_ALREADY_EXISTS');

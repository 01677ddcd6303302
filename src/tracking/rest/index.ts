/** The MLflow tracking server backend: `openStore('http://host:5000')` loads this module lazily. */
export { RestStore } from './store.js';
export { RestError, type RestErrorDetails, type TransportFailure } from './errors.js';
export { RestClient, optionsFromEnv, type RestClientOptions } from './http.js';
export { splitBatch, MAX_ENTITIES_PER_BATCH, MAX_METRICS_PER_BATCH, MAX_PARAMS_PER_BATCH, MAX_TAGS_PER_BATCH } from './batch.js';

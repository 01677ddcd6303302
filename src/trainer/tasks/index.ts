/** Regression, multi-label and ordinal tasks beside classification: heads, metrics, the metric table, hooks. */
export { taskHead, resolveLoss, ordinalClasses, ordinalClassProbabilities, type TaskHead, type CustomLoss, type TaskLossName } from './heads.js';
export { regressionMetrics, regressionScores, multilabelMetrics, ordinalMetrics, quadraticWeightedKappa } from './metrics.js';
export { METRIC_TABLE, metricsOf, metricInfo, modeOf, type MetricInfo, type MetricMode } from './metric-table.js';
export { evaluateTask, type TaskEvaluation } from './evaluate.js';
export { predictTask, writeTaskPredictions, type TaskPrediction, type TaskPredictionFile } from './predict.js';
export type { CustomMetrics, TaskPredictions } from './hooks.js';

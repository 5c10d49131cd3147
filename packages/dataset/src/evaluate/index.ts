export { EVALUATION_INPUT_COLUMNS } from './evaluation-row.ts';
export type { EvaluationRow } from './evaluation-row.ts';
export { EvaluationInputError } from './evaluation-error.ts';
export { familyOfClass } from './family.ts';
export { FEATURE_NAMES } from './feature-encoding.ts';
export type { PassiveBaseline, PassiveVerdict } from './passive-baseline.ts';
export type { PassiveFigures } from './passive-figures.ts';
export type { ClassFigures, ConfusionMatrix, ModelFigures } from './metrics.ts';
export type { FeatureImportance } from './permutation-importance.ts';
export { DEFAULT_EVALUATE_OPTIONS, REPORT_FORMAT, evaluateRows } from './evaluate-rows.ts';
export type {
  ClassCount,
  EvaluateOptions,
  EvaluatedClass,
  Evaluation,
  EvaluationReport,
  ModelResult,
  PassiveResult,
  RowPrediction,
  RowRole,
} from './evaluate-rows.ts';
export { readEvaluationRows } from './read-evaluation-rows.ts';
export { renderEvaluationSummary, renderReportMarkdown } from './report-markdown.ts';
export {
  EVALUATION_DIR,
  PREDICTIONS_PARQUET,
  PREDICTION_COLUMNS,
  REPORT_JSON,
  REPORT_MD,
  SPLIT_CSV,
  evaluationDir,
  readEvaluation,
  writeEvaluation,
} from './report-files.ts';
export type { StoredEvaluation } from './report-files.ts';
export { evaluateVersion } from './evaluate-version.ts';

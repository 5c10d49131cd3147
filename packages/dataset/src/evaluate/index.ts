export { EVALUATION_INPUT_COLUMNS } from './evaluation-row.ts';
export type { EvaluationRow, EvaluationRows } from './evaluation-row.ts';
export { EvaluationInputError } from './evaluation-error.ts';
export { familyOfClass } from './family.ts';
export { FEATURE_NAMES } from './feature-encoding.ts';
export type { LearnedPassiveBaseline, PassiveBaseline, PassiveVerdict, TrainingRows } from './passive-baseline.ts';
export { evaluationSplit, hasUsableLabel, trainingRows } from './evaluation-split.ts';
export type { EvaluationSplit, SplitOptions } from './evaluation-split.ts';
export { NMAP_LABEL } from './reference.ts';
export type { Reference } from './reference.ts';
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
export { TRUTH_COLUMNS, parseGroundTruth, readGroundTruth } from './ground-truth.ts';
export type { GroundTruth, TruthHost } from './ground-truth.ts';
export { MISSING_TRUTH_EXAMPLES, truthTables } from './truth-tables.ts';
export type { TruthClassFigures, TruthFigures, TruthReport } from './truth-tables.ts';
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

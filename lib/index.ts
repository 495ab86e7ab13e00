/** seqrec: train, evaluate and serve transformer recommenders from Node.js, over LibTorch. */
export { SeqrecError, isSeqrecError, ErrorCodes, type ErrorCode } from './errors.js';
export { versions, type Versions } from './versions.js';
export { Dataset, type DatasetInit, type EvalSet, type LeaveOneOutSplit } from './data/dataset.js';
export { syntheticDataset, type SyntheticOptions } from './data/synthetic.js';
export { seededRandom } from './data/random.js';
export { readSasrecText } from './data/readers/sasrec-text.js';
export { readMovieLensRatings, readMovieLensMovies, readMovieLensUsers, type Movie, type MovieLensUser, type MovieLensRatings, type MovieLensReadOptions } from './data/readers/movielens.js';
export { InteractionLog, type PreprocessOptions, type PreprocessReport } from './data/interaction-log.js';
export { SASRec, BERT4Rec, loadModel } from './models/sasrec.js';
export { SequentialRecommender, type Recommendation, type Evaluation, type EvaluateOptions, type LoadOptions } from './models/recommender.js';
export type { ModelOptions, ModelConfig, Architecture } from './models/config.js';
export type { FitOptions, FitProgress } from './train/fit-options.js';
export type { ValidationOptions, ValidationSummary, ValidationRecord } from './train/validation.js';
export { FitRun, type FitSummary, type ParameterGroupCount } from './train/fit-run.js';
export { hitRate, recall, ndcg, mrr, precision, meanAveragePrecision, perUser, rankMetricNames, type RankMetricName } from './eval/metrics.js';
export { popularityRanks, popularityLists } from './eval/popularity.js';
export { randomRanks, randomLists, type RandomBaselineOptions } from './eval/random-baseline.js';
export { coverage, giniExposure, exposureEntropy, novelty, genreDiversity, embeddingDiversity, popularityLift, exposureCounts, type TopKLists, type PopularityLift } from './eval/beyond-accuracy.js';
export { groupFairness, activityTertiles, historyLengths, attributeGroups, type GroupStat, type GroupReport } from './eval/fairness.js';
export { bootstrapCI, type BootstrapOptions, type ConfidenceInterval } from './eval/bootstrap.js';
export { metricRegistry, resolveMetric, computeMetrics, metricPerUser, type MetricInputs, type MetricSpec, type ResolvedMetric } from './eval/registry.js';
export { compareToBaselines, type BaselineReportOptions, type MetricRow, type Scorer } from './eval/report.js';
export { readDelimited, type DelimitedOptions } from './data/readers/delimited.js';
export { readJsonl, type JsonlOptions } from './data/readers/jsonl.js';
export {
  readRecBoleInter, readRecBoleItems, readRecBoleUsers, checkSideFile,
  type RecBoleInterOptions, type RecBoleSideOptions, type RecBoleSide, type RecBoleRow, type RecBoleValue, type RecBoleType,
} from './data/readers/recbole.js';
export type { ReaderOptions, InteractionsRead, MappingOption } from './data/readers/common.js';
export { readSafetensors, writeSafetensors, encodeSafetensors, decodeSafetensors, type TensorRecord, type SafetensorsFile } from './io/safetensors.js';

/** seqrec: train, evaluate and serve transformer recommenders from Node.js, over LibTorch. */
export { SeqrecError, isSeqrecError, ErrorCodes, type ErrorCode } from './errors.js';
export { versions, type Versions } from './versions.js';
export { Dataset, type DatasetInit, type EvalSet, type SplitKind } from './data/dataset.js';
export type {
  LeaveOneOutSplit,
  TemporalSplit,
  TemporalSplitOptions,
  ColdItemsSplit,
  ColdItemsSplitOptions,
  ColdUsersSplit,
  ColdUsersSplitOptions,
} from './data/splits.js';
export { attributeLabels } from './models/task-heads.js';
export { auc, logLoss, mae, rmse } from './eval/pointwise.js';
export { itemGenres, itemText, userGroups, type ItemInfo, type UserAttributes, type SideInfoMatch } from './data/side-info.js';
export { readParquet, type ParquetOptions } from './data/readers/parquet.js';
export { syntheticDataset, type SyntheticOptions } from './data/synthetic.js';
export { seededRandom } from './data/random.js';
export { readSasrecText, type SasrecTextOptions } from './data/readers/sasrec-text.js';
export {
  readMovieLensRatings,
  readMovieLensMovies,
  readMovieLensUsers,
  type Movie,
  type MovieLensUser,
  type MovieLensRatings,
  type MovieLensReadOptions,
} from './data/readers/movielens.js';
export { InteractionLog, MAX_ID_LENGTH, type PreprocessOptions, type PreprocessReport } from './data/interaction-log.js';
export { SASRec, BERT4Rec, loadModel } from './models/sasrec.js';
export { SequentialRecommender, type LoadOptions, type ModelInfo } from './models/recommender.js';
export type { Contribution, RecommendOptions, Recommendation } from './models/inference.js';
export type { GenerateOptions, Generated } from './models/generate.js';
export type { Session, SessionInfo, SessionsOptions } from './models/session.js';
export { startServer, type RunningServer, type ServeOptions } from './serve/server.js';
export { type Evaluation, type EvaluateOptions, type FairnessResult, type Protocol } from './eval/evaluate.js';
export { sampleNegatives, SAMPLED_SUFFIX } from './eval/sampled.js';
export type { ModelOptions, ModelConfig, Architecture } from './models/config.js';
export type { ContrastiveOptions, FairnessOptions, FitOptions, FitProgress, TaskOptions } from './train/fit-options.js';
export { suggestSettings, type SuggestedSettings } from './train/auto-settings.js';
export { LinearBandit, type BanditOptions, type BanditState, type BanditRecommendation, type BanditEvent, type BanditModel } from './models/bandit.js';
export type { GrowCatalogueOptions, UpdateOptions } from './train/update.js';
export type { ValidationOptions, ValidationSummary, ValidationRecord } from './train/validation.js';
export { FitRun, type FitSummary, type ParameterGroupCount, type StepProfile } from './train/fit-run.js';
export { hitRate, recall, ndcg, mrr, precision, meanAveragePrecision, perUser, rankMetricNames, type RankMetricName } from './eval/metrics.js';
export { popularityRanks, popularityLists } from './eval/popularity.js';
export { randomRanks, randomLists, type RandomBaselineOptions } from './eval/random-baseline.js';
export {
  coverage,
  giniExposure,
  exposureEntropy,
  novelty,
  genreDiversity,
  embeddingDiversity,
  popularityLift,
  exposureCounts,
  type TopKLists,
  type PopularityLift,
} from './eval/beyond-accuracy.js';
export { groupFairness, activityTertiles, historyLengths, attributeGroups, type GroupStat, type GroupReport } from './eval/fairness.js';
export { bootstrapCI, type BootstrapOptions, type ConfidenceInterval } from './eval/bootstrap.js';
export { categoryMix, miscalibration, type RerankOptions } from './models/rerank.js';
export { type ExploreOptions } from './models/explore.js';
export { simulate, type SimulationOptions, type SimulationPolicy, type SimulationResult, type RoundStats } from './sim/simulate.js';
export { syntheticPopulation, type Population, type PopulationOptions } from './sim/population.js';
export { offPolicyValue, replayValue, type LoggedFeedback, type OffPolicyEstimator, type PolicyValue } from './eval/off-policy.js';
export { metricRegistry, resolveMetric, computeMetrics, metricPerUser, type MetricInputs, type MetricSpec, type ResolvedMetric } from './eval/registry.js';
export { compareToBaselines, type BaselineReportOptions, type MetricRow, type Scorer } from './eval/report.js';
export { readDelimited, type DelimitedOptions } from './data/readers/delimited.js';
export { readJsonl, type JsonlOptions } from './data/readers/jsonl.js';
export {
  readRecBoleInter,
  readRecBoleItems,
  readRecBoleUsers,
  checkSideFile,
  type RecBoleInterOptions,
  type RecBoleSideOptions,
  type RecBoleSide,
  type RecBoleRow,
  type RecBoleValue,
  type RecBoleType,
} from './data/readers/recbole.js';
export type { ReaderOptions, InteractionsRead, MappingOption } from './data/readers/common.js';
export { readSafetensors, writeSafetensors, encodeSafetensors, decodeSafetensors, type TensorRecord, type SafetensorsFile } from './io/safetensors.js';
export {
  checkReportData,
  type ReportData,
  type DatasetSummary,
  type ModelSummary,
  type LossPoint,
  type ValidationCurve,
  type ItemExposure,
  type FairnessEntry,
  type SimulationRun,
} from './report/data.js';
export { renderReport, writeReport, type WriteReportOptions } from './report/render.js';
export { reportCharts, type Chart } from './report/charts.js';
export { perUserRows, toCsv, type PerUserRow } from './eval/per-user.js';
export {
  WordPieceTokenizer,
  loadTokenizer,
  type WordPieceOptions,
  type WordPieceConfig,
  type EncodeOptions,
  type EncodeBatchOptions,
  type Encoding,
  type BatchEncoding,
} from './text/wordpiece.js';
export { HashingTextEncoder, type HashingEncoderOptions, type HashingEncoderConfig, type FeatureWeights, type TextVectors } from './text/hashing-encoder.js';
export { murmur3 } from './text/murmur3.js';
export { itemVectorsFromMap, readItemVectors, type ItemTextVectors } from './text/vectors.js';
export { readHfBert, type HfBert, type BertTensor } from './text/hf-bert.js';
export { BertTextEncoder, type BertEncoderOptions, type BertEncodeOptions, type EncodeProgress } from './text/bert-encoder.js';
export { type TextEncoderAdapter } from './text/bert-lora.js';
export { type TextTuningOptions } from './text/text-tuning.js';
export { bertTensorSpecs, type BertConfig, type BertActivation, type BertTensorSpec } from './text/bert-config.js';
export type { AdapterInfo, SaveAdapterOptions, LoadAdapterOptions } from './adapters/manager.js';
export type { AdapterOptions } from './adapters/options.js';
export type { FreezeOptions } from './adapters/train-scope.js';
export { reportData, type ReportSource } from './report/from-evaluation.js';
export { transferToCatalogue, type TransferOptions } from './coldstart/index.js';
export {
  coldStartFromText,
  fitTextMapping,
  TextMapping,
  LAMBDA_GRID,
  type ColdStartOptions,
  type ColdStartResult,
  type ApplyOptions,
  type TextMappingOptions,
} from './coldstart/index.js';

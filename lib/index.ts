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
export { hitRate, ndcg, mrr } from './eval/metrics.js';
export { popularityRanks } from './eval/popularity.js';
export { readSafetensors, writeSafetensors, encodeSafetensors, decodeSafetensors, type TensorRecord, type SafetensorsFile } from './io/safetensors.js';

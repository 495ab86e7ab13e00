/**
 * The two model families: SASRec (causal, next-item prediction) and BERT4Rec (bidirectional,
 * masked-item prediction). Same native transformer, different attention mask and objective.
 * Both are created from options or loaded from a checkpoint written by save().
 */
import { SeqrecError, isSeqrecError } from '../errors.js';
import { readCheckpoint, restoreModel } from '../io/checkpoint.js';
import { boolean, noUnknownKeys, optionsObject } from '../validate.js';
import { type LoadOptions, SequentialRecommender, modelCore } from './recommender.js';
import { type Architecture, type ModelConfig, type ModelOptions, resolveModelConfig } from './config.js';

/** Each class's constructor (protected: users create or load models), set by its static block. */
const construct = {} as { sasrec: (config: ModelConfig) => SASRec; bert4rec: (config: ModelConfig) => BERT4Rec };

export class SASRec extends SequentialRecommender {
  static {
    construct.sasrec = (config) => new SASRec(config);
  }

  /** A new causal transformer recommender with freshly initialised weights. */
  static async create(options: ModelOptions): Promise<SASRec> {
    return new SASRec(resolveModelConfig('sasrec', options));
  }

  /** A SASRec model from a checkpoint written by save(). */
  static async load(path: string, options: LoadOptions = {}): Promise<SASRec> {
    return loadCheckpoint(path, 'sasrec', options, construct.sasrec);
  }
}

export class BERT4Rec extends SequentialRecommender {
  static {
    construct.bert4rec = (config) => new BERT4Rec(config);
  }

  /** A new bidirectional (masked-item) transformer recommender. */
  static async create(options: ModelOptions): Promise<BERT4Rec> {
    return new BERT4Rec(resolveModelConfig('bert4rec', options));
  }

  /** A BERT4Rec model from a checkpoint written by save(). */
  static async load(path: string, options: LoadOptions = {}): Promise<BERT4Rec> {
    return loadCheckpoint(path, 'bert4rec', options, construct.bert4rec);
  }
}

/** Load whichever model a checkpoint holds. */
export async function loadModel(path: string, options: LoadOptions = {}): Promise<SASRec | BERT4Rec> {
  return loadCheckpoint(path, undefined, options, (config) => construct[config.architecture](config));
}

/** A model of the checkpoint's config (`device`/`threads` overridable) made by `make`, holding its state. */
async function loadCheckpoint<M extends SequentialRecommender>(
  path: string,
  architecture: Architecture | undefined,
  overrides: LoadOptions,
  make: (config: ModelConfig) => M,
): Promise<M> {
  const o = optionsObject('options', overrides) as LoadOptions;
  noUnknownKeys('options', o, ['device', 'threads', 'inference']);
  const inference = boolean('options.inference', o.inference ?? false);
  const checkpoint = await readCheckpoint(path);
  const { architecture: stored, ...options } = checkpoint.config;
  if (architecture && stored !== architecture) {
    throw new SeqrecError('E_CHECKPOINT', `${path} holds a ${stored} model, not ${architecture}`, { file: path });
  }
  const model = make(resolveModelConfig(stored, { ...options, ...pickDefined({ device: o.device, threads: o.threads }) }));
  try {
    await restoreModel(modelCore(model), checkpoint, { inference });
  } catch (e) {
    await model.dispose();
    if (isSeqrecError(e, 'E_CHECKPOINT')) {
      throw new SeqrecError('E_CHECKPOINT', `${path}: ${e.message}`, { file: path }, { cause: e });
    }
    throw e;
  }
  return model;
}

function pickDefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

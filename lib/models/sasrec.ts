/**
 * The two model families: SASRec (causal, next-item prediction) and BERT4Rec (bidirectional,
 * masked-item prediction). Same native transformer, different attention mask and objective.
 */
import { type LoadOptions, SequentialRecommender } from './recommender.js';
import { type ModelConfig, type ModelOptions, resolveModelConfig } from './config.js';

export class SASRec extends SequentialRecommender {
  /** A new causal transformer recommender with freshly initialised weights. */
  static async create(options: ModelOptions): Promise<SASRec> {
    return new SASRec(resolveModelConfig('sasrec', options));
  }

  /** A SASRec model from a checkpoint written by save(). */
  static async load(path: string, options: LoadOptions = {}): Promise<SASRec> {
    return SequentialRecommender.loadInto(path, 'sasrec', options, SASRec.fromConfig);
  }

  /** @internal */
  static fromConfig(config: ModelConfig): SASRec {
    return new SASRec(config);
  }
}

export class BERT4Rec extends SequentialRecommender {
  /** A new bidirectional (masked-item) transformer recommender. */
  static async create(options: ModelOptions): Promise<BERT4Rec> {
    return new BERT4Rec(resolveModelConfig('bert4rec', options));
  }

  /** A BERT4Rec model from a checkpoint written by save(). */
  static async load(path: string, options: LoadOptions = {}): Promise<BERT4Rec> {
    return SequentialRecommender.loadInto(path, 'bert4rec', options, BERT4Rec.fromConfig);
  }

  /** @internal */
  static fromConfig(config: ModelConfig): BERT4Rec {
    return new BERT4Rec(config);
  }
}

/** Load whichever model a checkpoint holds. */
export async function loadModel(path: string, options: LoadOptions = {}): Promise<SASRec | BERT4Rec> {
  return SequentialRecommender.loadInto(path, undefined, options, (config: ModelConfig) =>
    config.architecture === 'sasrec' ? SASRec.fromConfig(config) : BERT4Rec.fromConfig(config),
  );
}

/**
 * What a fit() trains: the base (optionally with parts frozen) or one LoRA adapter with the whole
 * base frozen. Resolved here into the plain FitRequest fields; native/train/trainable.cpp applies
 * them (frozen tensors get requires_grad false, so no gradient and no AdamW moments).
 */
import { SeqrecError } from '../errors.js';
import { boolean, integer, noUnknownKeys, optionsObject } from '../validate.js';
import { adapterName } from './options.js';

export interface FreezeOptions {
  /** (bool) keep the item and position embedding tables frozen (the item table is also the output layer). Default false. */
  embeddings?: boolean;
  /** (int) keep the first this many transformer blocks frozen. Default 0. */
  blocks?: number;
  /** (bool) train only biases and LayerNorm weights (BitFit plus norms); everything else frozen. Default false. */
  biasAndNormOnly?: boolean;
}

export interface TrainScopeFields {
  adapter: string;
  freezeEmbeddings: boolean;
  freezeBlocks: number;
  biasAndNormOnly: boolean;
}

/** `adapter` and `freeze` as fit() received them; `layers` bounds freeze.blocks. */
export function resolveTrainScope(adapter: unknown, freeze: unknown, layers = 1024): TrainScopeFields {
  const name = adapter === undefined ? '' : adapterName('options.adapter', adapter);
  const f = optionsObject('options.freeze', freeze) as FreezeOptions;
  noUnknownKeys('options.freeze', f, ['embeddings', 'blocks', 'biasAndNormOnly']);
  const scope: TrainScopeFields = {
    adapter: name,
    freezeEmbeddings: boolean('options.freeze.embeddings', f.embeddings ?? false),
    freezeBlocks: integer('options.freeze.blocks', f.blocks ?? 0, 0, layers),
    biasAndNormOnly: boolean('options.freeze.biasAndNormOnly', f.biasAndNormOnly ?? false),
  };
  if (name && (scope.freezeEmbeddings || scope.freezeBlocks > 0 || scope.biasAndNormOnly)) {
    throw new SeqrecError(
      'E_INVALID_OPTION',
      `options.freeze is for training the base; training adapter ${JSON.stringify(name)} already freezes the whole base`,
      { option: 'options.freeze' },
    );
  }
  return scope;
}

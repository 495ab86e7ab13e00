/**
 * The BERT encoder's architecture: its numbers read from a Hugging Face config.json (checked, with
 * errors naming the field and file) and the ordered list of parameter names and shapes it implies.
 * That list is the contract between hf-bert.ts, which reads checkpoints into it, and the native
 * encoder that takes the tensors in one call. Only absolute position embeddings and encoder-only
 * models (no cross-attention) are covered.
 */
import { SeqrecError } from '../errors.js';

export type BertActivation = 'gelu' | 'gelu_new' | 'relu';

export interface BertConfig {
  /** (int) width H of every hidden state (hidden_size). */
  hiddenSize: number;
  /** (int) transformer blocks (num_hidden_layers). */
  numLayers: number;
  /** (int) attention heads; divides hiddenSize (num_attention_heads). */
  numHeads: number;
  /** (int) feed-forward width I (intermediate_size). */
  intermediateSize: number;
  /** (int) rows V of the word embedding table (vocab_size). */
  vocabSize: number;
  /** (int) rows of the position table: the longest input, [CLS] and [SEP] included (max_position_embeddings). */
  maxPositions: number;
  /** (int) rows of the segment table (type_vocab_size). */
  typeVocabSize: number;
  /** (float) LayerNorm epsilon (layer_norm_eps). */
  layerNormEps: number;
  /** (str) feed-forward activation: 'gelu' is exact (erf), 'gelu_new' the tanh approximation (hidden_act). */
  hiddenAct: BertActivation;
}

export interface BertTensorSpec {
  /** (str) canonical BertModel name, e.g. 'encoder.layer.0.attention.self.query.weight' */
  name: string;
  /** (int[]) expected shape; Linear weights are (out, in) as in PyTorch */
  shape: number[];
}

const ACTIVATIONS: readonly BertActivation[] = ['gelu', 'gelu_new', 'relu'];

function bad(path: string, field: string, value: unknown, expected: string): SeqrecError {
  const shown = value === undefined ? 'missing' : `${JSON.stringify(value)}`;
  return new SeqrecError('E_CHECKPOINT', `${path}: ${field} is ${shown}; expected ${expected}`, { file: path, field, received: value });
}

/** Check a parsed config.json (read from `path`) and return its BERT numbers. */
export function parseBertConfig(json: Record<string, unknown>, path: string): BertConfig {
  if (json.model_type !== undefined && json.model_type !== 'bert')
    throw bad(path, 'model_type', json.model_type, '"bert" (other architectures have other weights)');
  if (json.position_embedding_type !== undefined && json.position_embedding_type !== 'absolute') {
    throw bad(path, 'position_embedding_type', json.position_embedding_type, '"absolute"');
  }
  const positive = (field: string): number => {
    const value = json[field];
    if (!Number.isSafeInteger(value) || (value as number) < 1) throw bad(path, field, value, 'a positive integer');
    return value as number;
  };
  const hiddenSize = positive('hidden_size');
  const numHeads = positive('num_attention_heads');
  if (hiddenSize % numHeads !== 0) throw bad(path, 'num_attention_heads', numHeads, `a divisor of hidden_size (${hiddenSize})`);
  const eps = json.layer_norm_eps;
  if (typeof eps !== 'number' || !(eps > 0 && eps < 1)) throw bad(path, 'layer_norm_eps', eps, 'a number in (0, 1)');
  const act = json.hidden_act;
  if (!(ACTIVATIONS as readonly unknown[]).includes(act)) throw bad(path, 'hidden_act', act, `one of ${ACTIVATIONS.map((a) => `"${a}"`).join(', ')}`);
  return {
    hiddenSize,
    numLayers: positive('num_hidden_layers'),
    numHeads,
    intermediateSize: positive('intermediate_size'),
    vocabSize: positive('vocab_size'),
    maxPositions: positive('max_position_embeddings'),
    typeVocabSize: positive('type_vocab_size'),
    layerNormEps: eps,
    hiddenAct: act as BertActivation,
  };
}

/** Every BertModel parameter in forward order: embeddings, then each layer's attention and feed-forward. */
export function bertTensorSpecs(config: BertConfig): BertTensorSpec[] {
  const { hiddenSize: h, intermediateSize: f } = config;
  const specs: BertTensorSpec[] = [
    { name: 'embeddings.word_embeddings.weight', shape: [config.vocabSize, h] },
    { name: 'embeddings.position_embeddings.weight', shape: [config.maxPositions, h] },
    { name: 'embeddings.token_type_embeddings.weight', shape: [config.typeVocabSize, h] },
    ...layerNorm('embeddings.LayerNorm', h),
  ];
  for (let i = 0; i < config.numLayers; i++) {
    const at = `encoder.layer.${i}`;
    specs.push(
      ...linear(`${at}.attention.self.query`, h, h),
      ...linear(`${at}.attention.self.key`, h, h),
      ...linear(`${at}.attention.self.value`, h, h),
      ...linear(`${at}.attention.output.dense`, h, h),
      ...layerNorm(`${at}.attention.output.LayerNorm`, h),
      ...linear(`${at}.intermediate.dense`, h, f),
      ...linear(`${at}.output.dense`, f, h),
      ...layerNorm(`${at}.output.LayerNorm`, h),
    );
  }
  return specs;
}

function linear(name: string, inputs: number, outputs: number): BertTensorSpec[] {
  return [
    { name: `${name}.weight`, shape: [outputs, inputs] },
    { name: `${name}.bias`, shape: [outputs] },
  ];
}

function layerNorm(name: string, width: number): BertTensorSpec[] {
  return [
    { name: `${name}.weight`, shape: [width] },
    { name: `${name}.bias`, shape: [width] },
  ];
}

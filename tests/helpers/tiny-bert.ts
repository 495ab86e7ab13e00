/**
 * Test fixture: a tiny seeded random BERT checkpoint in the exact Hugging Face folder layout
 * (config.json, model.safetensors with BertModel keys sorted as the safetensors writer sorts them,
 * vocab.txt and/or tokenizer.json). The key list is written out here by hand from the
 * transformers BertModel layout, not taken from lib/text, so the loader is checked against it.
 * Weights are multiples of 1/64 in [-1, 1], exact in F16 and BF16 too.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '../../lib/data/random.js';
import { tensorBytes, writeSafetensors, type TensorRecord } from '../../lib/io/safetensors.js';

/** A small uncased vocabulary; the hand-derived tokenizer cases are written against it. */
export const TINY_VOCAB: readonly string[] = [
  '[PAD]',
  '[UNK]',
  '[CLS]',
  '[SEP]',
  '[MASK]',
  'toy',
  'story',
  '(',
  ')',
  '1995',
  'un',
  '##aff',
  '##able',
  'hello',
  'world',
  ',',
  '!',
  'play',
  '##ing',
  '##s',
  'a',
  '##a',
  'cafe',
  '大',
  '家',
  '好',
  '2',
  'the',
];

export const TINY_CONFIG = {
  architectures: ['BertModel'],
  attention_probs_dropout_prob: 0.1,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  hidden_size: 8,
  initializer_range: 0.02,
  intermediate_size: 12,
  layer_norm_eps: 1e-12,
  max_position_embeddings: 16,
  model_type: 'bert',
  num_attention_heads: 2,
  num_hidden_layers: 2,
  pad_token_id: 0,
  position_embedding_type: 'absolute',
  transformers_version: '4.44.2',
  type_vocab_size: 2,
  use_cache: true,
  vocab_size: TINY_VOCAB.length,
} as const;

export interface TinyBertOptions {
  /** (int) weight seed. Default 0. */
  seed?: number;
  /** (str) key prefix: '' (BertModel) or 'bert.' (BertForMaskedLM and other heads). Default ''. */
  prefix?: '' | 'bert.';
  /** (bool) name LayerNorm parameters gamma/beta as old TF-converted checkpoints do. Default false. */
  gammaBeta?: boolean;
  /** (bool) add pooler.*, cls.* and the embeddings.position_ids buffer. Default false. */
  extras?: boolean;
  /** (str) storage dtype of the weights. Default 'F32'. */
  dtype?: 'F32' | 'F16' | 'BF16';
  /** (str) which tokenizer files to write. Default 'vocab.txt'. */
  tokenizer?: 'vocab.txt' | 'tokenizer.json' | 'both' | 'none';
  /** (object) merged over TINY_CONFIG; a key set to undefined is removed. */
  config?: Record<string, unknown>;
  /** (float) every weight times this (1: uniform in [-1, 1]; smaller keeps token identity through the blocks). Default 1. */
  scale?: number;
  /** (fn) last edit of the tensor records before writing (drop, rename, reshape). */
  editTensors?: (tensors: TensorRecord[]) => TensorRecord[];
}

export interface TinyBert {
  folder: string;
  /** the config.json written */
  config: Record<string, unknown>;
  /** BertModel name (no prefix, weight/bias) → values, in the order BertModel declares them */
  weights: Map<string, Float32Array>;
}

const made: string[] = [];

/** Remove every folder writeTinyBert made (call from afterAll). */
export function removeTinyBerts(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

interface Weight {
  shape: number[];
  values: Float32Array;
}

export async function writeTinyBert(options: TinyBertOptions = {}): Promise<TinyBert> {
  const folder = mkdtempSync(join(tmpdir(), 'seqrec-tinybert-'));
  made.push(folder);
  const config: Record<string, unknown> = { ...TINY_CONFIG, ...options.config };
  for (const [key, value] of Object.entries(config)) if (value === undefined) delete config[key];
  writeFileSync(join(folder, 'config.json'), JSON.stringify(config, null, 2));
  const random = seededRandom(options.seed ?? 0);
  const weights = bertModelShapes().map(([name, shape]) => ({ name, ...randomWeight(shape, random, options.scale ?? 1) }));
  let records = weights.map((w) => record(fileKey(w.name, options), w, options.dtype ?? 'F32'));
  if (options.extras) records.push(...extraRecords(options.prefix ?? '', random));
  // Hugging Face's safetensors writer orders tensors by name, not by declaration.
  records.sort((a, b) => (a.name < b.name ? -1 : 1));
  if (options.editTensors) records = options.editTensors(records);
  await writeSafetensors(join(folder, 'model.safetensors'), { tensors: records, metadata: { format: 'pt' } });
  writeTokenizer(folder, options.tokenizer ?? 'vocab.txt');
  return { folder, config, weights: new Map(weights.map((w) => [w.name, w.values])) };
}

/** BertModel's parameters for TINY_CONFIG sizes, in the order transformers declares them. */
function bertModelShapes(): [string, number[]][] {
  const { hidden_size: h, intermediate_size: f, vocab_size: v, max_position_embeddings: p, type_vocab_size: t } = TINY_CONFIG;
  const shapes: [string, number[]][] = [
    ['embeddings.word_embeddings.weight', [v, h]],
    ['embeddings.position_embeddings.weight', [p, h]],
    ['embeddings.token_type_embeddings.weight', [t, h]],
    ['embeddings.LayerNorm.weight', [h]],
    ['embeddings.LayerNorm.bias', [h]],
  ];
  for (let i = 0; i < TINY_CONFIG.num_hidden_layers; i++) {
    const at = `encoder.layer.${i}.`;
    for (const proj of ['query', 'key', 'value']) shapes.push([`${at}attention.self.${proj}.weight`, [h, h]], [`${at}attention.self.${proj}.bias`, [h]]);
    shapes.push(
      [`${at}attention.output.dense.weight`, [h, h]],
      [`${at}attention.output.dense.bias`, [h]],
      [`${at}attention.output.LayerNorm.weight`, [h]],
      [`${at}attention.output.LayerNorm.bias`, [h]],
      [`${at}intermediate.dense.weight`, [f, h]],
      [`${at}intermediate.dense.bias`, [f]],
      [`${at}output.dense.weight`, [h, f]],
      [`${at}output.dense.bias`, [h]],
      [`${at}output.LayerNorm.weight`, [h]],
      [`${at}output.LayerNorm.bias`, [h]],
    );
  }
  return shapes;
}

function randomWeight(shape: number[], random: () => number, scale = 1): Weight {
  const size = shape.reduce((a, b) => a * b, 1);
  return { shape, values: Float32Array.from({ length: size }, () => (Math.round((random() * 2 - 1) * 64) / 64) * scale) };
}

function fileKey(name: string, options: TinyBertOptions): string {
  const renamed = options.gammaBeta ? name.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta') : name;
  return (options.prefix ?? '') + renamed;
}

function record(name: string, { shape, values }: Weight, dtype: 'F32' | 'F16' | 'BF16'): TensorRecord {
  if (dtype === 'F32') return { name, dtype, shape, data: tensorBytes(values) };
  const bits = dtype === 'BF16' ? Uint16Array.from(new Uint32Array(values.buffer), (u) => u >>> 16) : Uint16Array.from(values, toHalfExact);
  return { name, dtype, shape, data: tensorBytes(bits) };
}

/** IEEE half bits of a value that half represents exactly (±0 or a normal number). */
function toHalfExact(x: number): number {
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  if (x === 0) return sign;
  const exponent = Math.floor(Math.log2(Math.abs(x)));
  const mantissa = (Math.abs(x) / 2 ** exponent - 1) * 1024;
  if (!Number.isInteger(mantissa) || exponent < -14 || exponent > 15) throw new Error(`${x} is not exact in F16`);
  return sign | ((exponent + 15) << 10) | mantissa;
}

/** The pooler, a masked-LM head, and the position_ids buffer that older transformers versions saved. */
function extraRecords(prefix: string, random: () => number): TensorRecord[] {
  const { hidden_size: h, vocab_size: v, max_position_embeddings: p } = TINY_CONFIG;
  const f32 = (name: string, shape: number[]): TensorRecord => record(name, randomWeight(shape, random), 'F32');
  const positionIds = BigInt64Array.from({ length: p }, (_, i) => BigInt(i));
  return [
    f32(`${prefix}pooler.dense.weight`, [h, h]),
    f32(`${prefix}pooler.dense.bias`, [h]),
    f32('cls.predictions.bias', [v]),
    f32('cls.predictions.transform.dense.weight', [h, h]),
    f32('cls.predictions.transform.dense.bias', [h]),
    f32('cls.predictions.transform.LayerNorm.weight', [h]),
    f32('cls.predictions.transform.LayerNorm.bias', [h]),
    { name: `${prefix}embeddings.position_ids`, dtype: 'I64', shape: [1, p], data: tensorBytes(positionIds) },
  ];
}

function writeTokenizer(folder: string, which: NonNullable<TinyBertOptions['tokenizer']>): void {
  if (which === 'vocab.txt' || which === 'both') writeFileSync(join(folder, 'vocab.txt'), `${TINY_VOCAB.join('\n')}\n`);
  if (which === 'tokenizer.json' || which === 'both') writeFileSync(join(folder, 'tokenizer.json'), tokenizerJson(TINY_VOCAB));
}

/** A tokenizer.json laid out as `tokenizers` saves bert-base-uncased's (lowercase, BertNormalizer). */
export function tokenizerJson(vocab: readonly string[], normalizer: Record<string, unknown> = {}): string {
  const id = (token: string): number => vocab.indexOf(token);
  const special = (token: string) => ({ id: id(token), content: token, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return JSON.stringify({
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map(special),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true, ...normalizer },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: Object.fromEntries(['[CLS]', '[SEP]'].map((t) => [t, { id: t, ids: [id(t)], tokens: [t] }])),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((token, i) => [token, i])),
    },
  });
}

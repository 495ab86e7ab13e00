/**
 * The no-weights text encoder for cold start: hashed bag-of-features vectors, deterministic on
 * every platform. Text is NFKD-normalised, lowercased and accent-stripped; its features are word
 * unigrams, word bigrams and character n-grams of "<word>" (fastText-style boundary markers).
 * Each feature string is hashed with MurmurHash3 x86_32 (murmur3.ts): the low 31 bits modulo dim
 * pick the bucket, the top bit the sign (+/-), so colliding features tend to cancel rather than
 * pile up (Weinberger et al. 2009). Counts are damped to 1 + ln(tf), scaled by their kind's weight,
 * and each row is L2-normalised. A text with no letters or digits encodes to the zero vector.
 * A learned encoder (a BERT checkpoint, hf-bert.ts) is the heavier alternative.
 */
import { integer, invalid, noUnknownKeys, number, optionsObject } from '../validate.js';
import { murmur3 } from './murmur3.js';

export interface HashingEncoderOptions {
  /** (int) output width: the number of hash buckets. Default 256. */
  dim?: number;
  /** ([int, int]) shortest and longest character n-gram, in code points of "<word>". Default [3, 5]. */
  charNgrams?: readonly [number, number];
  /** (object) weight of each feature kind; 0 turns a kind off. Default { words: 1, bigrams: 1, chars: 0.5 }. */
  weights?: FeatureWeights;
  /** (int) MurmurHash3 seed in [0, 2^32): another seed gives an independent hashing. Default 0. */
  seed?: number;
}

export interface FeatureWeights {
  /** (float >= 0) word unigrams, hashed as "w:" + word. */
  words?: number;
  /** (float >= 0) adjacent word pairs, hashed as "b:" + word + " " + word. */
  bigrams?: number;
  /** (float >= 0) character n-grams of "<word>", hashed as "c:" + n-gram. */
  chars?: number;
}

export interface HashingEncoderConfig {
  /** (int) output width */
  dim: number;
  /** ([int, int]) shortest and longest character n-gram */
  charNgrams: readonly [number, number];
  /** (object) weight of each feature kind */
  weights: Required<FeatureWeights>;
  /** (int) MurmurHash3 seed */
  seed: number;
}

export interface TextVectors {
  /** (float32, (n, dim) row-major) one L2-normalised row per text; all-zero for a text without features. */
  data: Float32Array;
  /** (int) row width */
  dim: number;
}

type Kind = keyof FeatureWeights;
const KIND_PREFIX: Readonly<Record<Kind, string>> = { words: 'w:', bigrams: 'b:', chars: 'c:' };
const WORD = /[\p{L}\p{N}\p{M}]+/gu;
const NON_SPACING_MARKS = /\p{Mn}/gu;
const MAX_NGRAM = 32;

export class HashingTextEncoder {
  /** The resolved options. */
  readonly config: HashingEncoderConfig;

  constructor(options: HashingEncoderOptions = {}) {
    this.config = resolveHashingOptions(options);
  }

  /** One row per text; the same texts and options give the same bits on every platform. */
  encode(texts: readonly string[]): TextVectors {
    if (!Array.isArray(texts)) throw invalid('texts', 'an array of strings', texts);
    const { dim } = this.config;
    const data = new Float32Array(texts.length * dim);
    texts.forEach((text, i) => {
      if (typeof text !== 'string') throw invalid(`texts[${i}]`, 'a string', text);
      data.set(this.#row(text), i * dim);
    });
    return { data, dim };
  }

  #row(text: string): Float64Array {
    const { dim, weights, seed } = this.config;
    const row = new Float64Array(dim);
    for (const [feature, count] of textFeatures(text, this.config.charNgrams)) {
      const weight = weights[kindOf(feature)];
      if (weight === 0) continue;
      const h = murmur3(feature, seed);
      const sign = h >>> 31 ? -1 : 1;
      row[(h & 0x7fffffff) % dim]! += sign * weight * (1 + Math.log(count));
    }
    let squares = 0;
    for (const v of row) squares += v * v;
    const norm = Math.sqrt(squares);
    if (norm > 0) for (let j = 0; j < dim; j++) row[j]! /= norm;
    return row;
  }
}

/** NFKD, lowercase, then drop non-spacing marks: "Ｃafé" → "cafe". */
export function normalizeForHashing(text: string): string {
  return text.normalize('NFKD').toLowerCase().replace(NON_SPACING_MARKS, '');
}

/**
 * Every feature string of `text` (kind prefix included, exactly what is hashed) with its count.
 * Words are runs of letters, digits and marks; everything else separates them.
 */
export function textFeatures(text: string, charNgrams: readonly [number, number]): Map<string, number> {
  const words = normalizeForHashing(text).match(WORD) ?? [];
  const counts = new Map<string, number>();
  const add = (feature: string): void => {
    counts.set(feature, (counts.get(feature) ?? 0) + 1);
  };
  words.forEach((word, i) => {
    add(KIND_PREFIX.words + word);
    if (i > 0) add(`${KIND_PREFIX.bigrams}${words[i - 1]} ${word}`);
    for (const gram of charGrams(word, charNgrams)) add(KIND_PREFIX.chars + gram);
  });
  return counts;
}

function* charGrams(word: string, [min, max]: readonly [number, number]): Generator<string> {
  const chars = [...`<${word}>`];
  for (let n = min; n <= Math.min(max, chars.length); n++) {
    for (let start = 0; start + n <= chars.length; start++) yield chars.slice(start, start + n).join('');
  }
}

function kindOf(feature: string): Kind {
  return feature.startsWith(KIND_PREFIX.words) ? 'words' : feature.startsWith(KIND_PREFIX.bigrams) ? 'bigrams' : 'chars';
}

function resolveHashingOptions(options: unknown): HashingEncoderConfig {
  const o = optionsObject('options', options) as HashingEncoderOptions;
  noUnknownKeys('options', o, ['dim', 'charNgrams', 'weights', 'seed']);
  const w = optionsObject('options.weights', o.weights) as FeatureWeights;
  noUnknownKeys('options.weights', w, ['words', 'bigrams', 'chars']);
  const weights = {
    words: number('options.weights.words', w.words ?? 1, 0),
    bigrams: number('options.weights.bigrams', w.bigrams ?? 1, 0),
    chars: number('options.weights.chars', w.chars ?? 0.5, 0),
  };
  if (weights.words + weights.bigrams + weights.chars === 0) throw invalid('options.weights', 'at least one weight above 0', o.weights);
  return {
    dim: integer('options.dim', o.dim ?? 256, 1, 1 << 20),
    charNgrams: ngramRange(o.charNgrams ?? [3, 5]),
    weights,
    seed: integer('options.seed', o.seed ?? 0, 0, 0xffffffff),
  };
}

function ngramRange(value: unknown): readonly [number, number] {
  const ok = Array.isArray(value) && value.length === 2 && value.every((n) => Number.isInteger(n) && n >= 1 && n <= MAX_NGRAM) && value[0] <= value[1];
  if (!ok) throw invalid('options.charNgrams', `[min, max] integers with 1 <= min <= max <= ${MAX_NGRAM}`, value);
  return [value[0], value[1]] as const;
}

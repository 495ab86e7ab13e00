/**
 * BERT's WordPiece tokenizer, matching Hugging Face's BertTokenizer and Google's tokenization.py:
 * basic tokenization (basic-tokenizer.ts), then greedy longest-match-first pieces with a "##"
 * continuation prefix; a word longer than maxInputCharsPerWord, or one no pieces cover, becomes [UNK].
 * encode/encodeBatch add [CLS] … [SEP], truncate and pad, ready for a BERT encoder.
 * File formats are parsed in tokenizer-files.ts. Left out: sentence pairs, token type ids (all 0
 * for one text), character offsets, and added tokens matched inside the text.
 */
import type { Hash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isSeqrecError, SeqrecError } from '../errors.js';
import { boolean, integer, invalid, noUnknownKeys, optionsObject } from '../validate.js';
import { basicTokenize } from './basic-tokenizer.js';
import { parseTokenizerConfig, parseTokenizerJson, parseVocabTxt, type TokenizerSource } from './tokenizer-files.js';

export interface WordPieceOptions {
  /** (bool) lowercase the text (uncased models). Default true. */
  lowercase?: boolean;
  /** (bool) strip accents: NFD, then drop combining marks. Default: same as lowercase, as in Hugging Face. */
  stripAccents?: boolean;
  /** (bool) make each CJK ideograph its own word. Default true. */
  splitCjk?: boolean;
  /** (str) token for words the vocabulary cannot spell. Default '[UNK]'. */
  unkToken?: string;
  /** (str) token put first. Default '[CLS]'. */
  clsToken?: string;
  /** (str) token put last. Default '[SEP]'. */
  sepToken?: string;
  /** (str) token that fills padded positions. Default '[PAD]'. */
  padToken?: string;
  /** (str) prefix of a piece that continues a word. Default '##'. */
  continuingSubwordPrefix?: string;
  /** (int) words with more characters (code points) become the unknown token. Default 100. */
  maxInputCharsPerWord?: number;
}

export type WordPieceConfig = Required<WordPieceOptions>;

export interface EncodeOptions {
  /** (int) most ids per text, [CLS] and [SEP] included; longer texts lose their tail. Default 512. */
  maxLength?: number;
}

export interface EncodeBatchOptions extends EncodeOptions {
  /** (str | int) row length T: 'longest' (the longest row after truncation) or a fixed T >= 2 that also truncates. Default 'longest'. */
  padTo?: 'longest' | number;
}

export interface Encoding {
  /** (int32) token ids, [CLS] first and [SEP] last. */
  ids: Int32Array;
  /** (int32) 1 for every position (one text has no padding). */
  attentionMask: Int32Array;
}

export interface BatchEncoding {
  /** (int32, (B, T) row-major) token ids, padded with the [PAD] id. */
  ids: Int32Array;
  /** (int32, (B, T) row-major) 1 for real tokens, 0 for padding. */
  attentionMask: Int32Array;
  /** (int[2]) [B, T] */
  shape: [number, number];
}

const OPTION_KEYS = [
  'lowercase',
  'stripAccents',
  'splitCjk',
  'unkToken',
  'clsToken',
  'sepToken',
  'padToken',
  'continuingSubwordPrefix',
  'maxInputCharsPerWord',
] as const;
const SPECIAL_KEYS = ['unkToken', 'clsToken', 'sepToken', 'padToken'] as const;
const DEFAULT_MAX_LENGTH = 512;

export class WordPieceTokenizer {
  /** The resolved options. */
  readonly config: WordPieceConfig;
  /** (int) largest id + 1: the rows an embedding table needs. */
  readonly vocabSize: number;
  /** (int) id of the token put first */
  readonly clsId: number;
  /** (int) id of the token put last */
  readonly sepId: number;
  /** (int) id that fills padded positions */
  readonly padId: number;
  /** (int) id of words the vocabulary cannot spell */
  readonly unkId: number;
  readonly #vocab: ReadonlyMap<string, number>;
  /** (int) code points of the longest token: no piece can be longer, so matching starts there. */
  readonly #longestToken: number;

  /** `vocab` maps token → id; it must hold the four special tokens. */
  constructor(vocab: ReadonlyMap<string, number>, options: WordPieceOptions = {}) {
    this.config = resolveWordPieceOptions(options);
    this.#vocab = checkVocab(vocab);
    const idOfSpecial = (key: (typeof SPECIAL_KEYS)[number]): number => {
      const id = vocab.get(this.config[key]);
      if (id === undefined) throw invalid(`options.${key}`, 'a token present in the vocabulary', this.config[key]);
      return id;
    };
    [this.unkId, this.clsId, this.sepId, this.padId] = SPECIAL_KEYS.map(idOfSpecial) as [number, number, number, number];
    let maxId = 0;
    let longest = 0;
    for (const [token, id] of vocab) {
      maxId = Math.max(maxId, id);
      longest = Math.max(longest, [...token].length);
    }
    this.vocabSize = maxId + 1;
    this.#longestToken = longest;
  }

  /** vocab.txt (one token a line, id = line index); `options` set casing and special tokens. */
  static async fromVocabFile(path: string, options: WordPieceOptions = {}): Promise<WordPieceTokenizer> {
    resolveWordPieceOptions(options);
    return inFile(path, { vocab: await parseVocabTxt(path), options });
  }

  /** tokenizer.json of the Hugging Face `tokenizers` library with a WordPiece model and BertNormalizer. */
  static async fromTokenizerJson(path: string): Promise<WordPieceTokenizer> {
    return inFile(path, await parseTokenizerJson(path));
  }

  /** Feed everything that decides the ids (resolved options, then every token and id in order) to `hash`. */
  updateHash(hash: Hash): void {
    hash.update(JSON.stringify(this.config));
    for (const [token, id] of this.#vocab) hash.update(`\n${id}\t${token}`);
  }

  /** The id of `token`, or undefined when it is not in the vocabulary. */
  idOf(token: string): number | undefined {
    return this.#vocab.get(token);
  }

  /** The word pieces of `text`, without [CLS]/[SEP] and without truncation. */
  tokenize(text: string): string[] {
    if (typeof text !== 'string') throw invalid('text', 'a string', text);
    const pieces: string[] = [];
    for (const word of basicTokenize(text, this.config)) this.#wordPieces(word, pieces);
    return pieces;
  }

  /** [CLS] pieces… [SEP] as ids, cut to maxLength. */
  encode(text: string, options: EncodeOptions = {}): Encoding {
    const o = optionsObject('options', options);
    noUnknownKeys('options', o, ['maxLength']);
    const ids = Int32Array.from(this.#ids(text, maxLength(o.maxLength)));
    return { ids, attentionMask: new Int32Array(ids.length).fill(1) };
  }

  /** Encode every text into one (B, T) block, padded with [PAD] (mask 0). */
  encodeBatch(texts: readonly string[], options: EncodeBatchOptions = {}): BatchEncoding {
    const o = optionsObject('options', options);
    noUnknownKeys('options', o, ['maxLength', 'padTo']);
    if (!Array.isArray(texts)) throw invalid('texts', 'an array of strings', texts);
    const fixedWidth = o.padTo === undefined || o.padTo === 'longest' ? undefined : padWidth(o.padTo);
    const limit = Math.min(maxLength(o.maxLength), fixedWidth ?? Infinity);
    const rows = texts.map((text, i) => {
      if (typeof text !== 'string') throw invalid(`texts[${i}]`, 'a string', text);
      return this.#ids(text, limit);
    });
    const width = fixedWidth ?? rows.reduce((m, r) => Math.max(m, r.length), 0);
    const ids = new Int32Array(rows.length * width).fill(this.padId);
    const attentionMask = new Int32Array(rows.length * width);
    rows.forEach((row, b) => {
      ids.set(row, b * width);
      attentionMask.fill(1, b * width, b * width + row.length);
    });
    return { ids, attentionMask, shape: [rows.length, width] };
  }

  #ids(text: string, limit: number): number[] {
    const pieces = this.tokenize(text).slice(0, limit - 2);
    return [this.clsId, ...pieces.map((p) => this.#vocab.get(p)!), this.sepId];
  }

  /** Greedy longest-match-first split of one word; all of it becomes [UNK] if any part fails. */
  #wordPieces(word: string, out: string[]): void {
    const chars = [...word];
    if (chars.length > this.config.maxInputCharsPerWord) {
      out.push(this.config.unkToken);
      return;
    }
    const first = out.length;
    for (let begin = 0; begin < chars.length;) {
      const end = this.#longestMatch(chars, begin, out);
      if (end === 0) {
        out.length = first;
        out.push(this.config.unkToken);
        return;
      }
      begin = end;
    }
  }

  /** Push the longest vocabulary piece starting at `begin` and return its end, or 0 when none exists. */
  #longestMatch(chars: readonly string[], begin: number, out: string[]): number {
    const prefix = begin > 0 ? this.config.continuingSubwordPrefix : '';
    for (let end = Math.min(chars.length, begin + this.#longestToken); end > begin; end--) {
      const piece = prefix + chars.slice(begin, end).join('');
      if (this.#vocab.has(piece)) {
        out.push(piece);
        return end;
      }
    }
    return 0;
  }
}

/**
 * The tokenizer of a Hugging Face model folder: tokenizer.json when present, else vocab.txt
 * (with tokenizer_config.json's casing flags when that file exists).
 */
export async function loadTokenizer(folder: string): Promise<WordPieceTokenizer> {
  if (typeof folder !== 'string' || folder === '') throw invalid('folder', 'a folder path', folder);
  const json = join(folder, 'tokenizer.json');
  if (existsSync(json)) return WordPieceTokenizer.fromTokenizerJson(json);
  const vocab = join(folder, 'vocab.txt');
  if (!existsSync(vocab)) {
    throw new SeqrecError('E_INVALID_DATA', `no tokenizer in ${folder}: expected tokenizer.json or vocab.txt`, { file: folder });
  }
  const config = join(folder, 'tokenizer_config.json');
  const options = existsSync(config) ? await parseTokenizerConfig(config) : {};
  return inFile(vocab, { vocab: await parseVocabTxt(vocab), options });
}

/** Build from a parsed file; option errors then belong to the file, so they become E_INVALID_DATA naming it. */
function inFile(path: string, source: TokenizerSource): WordPieceTokenizer {
  try {
    return new WordPieceTokenizer(source.vocab, source.options);
  } catch (e) {
    if (!isSeqrecError(e, 'E_INVALID_OPTION')) throw e;
    throw new SeqrecError('E_INVALID_DATA', `${path}: ${e.message}`, { file: path, ...e.details }, { cause: e });
  }
}

function resolveWordPieceOptions(options: unknown): WordPieceConfig {
  const o = optionsObject('options', options) as WordPieceOptions;
  noUnknownKeys('options', o, OPTION_KEYS);
  const lowercase = boolean('options.lowercase', o.lowercase ?? true);
  const token = (key: keyof WordPieceOptions, fallback: string): string => {
    const value = o[key] ?? fallback;
    if (typeof value !== 'string' || value === '') throw invalid(`options.${key}`, 'a non-empty string', value);
    return value;
  };
  const prefix = o.continuingSubwordPrefix ?? '##';
  if (typeof prefix !== 'string') throw invalid('options.continuingSubwordPrefix', 'a string', prefix);
  return {
    lowercase,
    stripAccents: boolean('options.stripAccents', o.stripAccents ?? lowercase),
    splitCjk: boolean('options.splitCjk', o.splitCjk ?? true),
    unkToken: token('unkToken', '[UNK]'),
    clsToken: token('clsToken', '[CLS]'),
    sepToken: token('sepToken', '[SEP]'),
    padToken: token('padToken', '[PAD]'),
    continuingSubwordPrefix: prefix,
    maxInputCharsPerWord: integer('options.maxInputCharsPerWord', o.maxInputCharsPerWord ?? 100, 1, 1 << 20),
  };
}

function checkVocab(vocab: unknown): ReadonlyMap<string, number> {
  if (!(vocab instanceof Map) || vocab.size === 0) throw invalid('vocab', 'a non-empty Map of token → id', vocab);
  for (const [token, id] of vocab as Map<unknown, unknown>) {
    if (typeof token !== 'string') throw invalid('vocab key', 'a string token', token);
    if (!Number.isSafeInteger(id) || (id as number) < 0 || (id as number) > 0x7fffffff) {
      throw invalid(`vocab.get(${JSON.stringify(token)})`, 'a non-negative int32 id', id);
    }
  }
  return vocab as ReadonlyMap<string, number>;
}

function maxLength(value: unknown): number {
  return integer('options.maxLength', value ?? DEFAULT_MAX_LENGTH, 2, 1 << 20);
}

function padWidth(value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 2 || (value as number) > 1 << 20) {
    throw invalid('options.padTo', '"longest" or an integer from 2 to 1048576', value);
  }
  return value as number;
}

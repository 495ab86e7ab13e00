/**
 * Parsers for the two files a Hugging Face BERT folder keeps its WordPiece tokenizer in:
 * vocab.txt (one token a line, id = 0-based line index; casing from tokenizer_config.json when
 * present) and tokenizer.json (the `tokenizers` library format, model.type "WordPiece").
 * They return a vocabulary and options only; wordpiece.ts builds the tokenizer from them.
 * Every problem is E_INVALID_DATA naming the file and the field or line.
 */
import { readFile } from 'node:fs/promises';
import { SeqrecError } from '../errors.js';
import type { WordPieceOptions } from './wordpiece.js';

export interface TokenizerSource {
  /** (Map) token → id */
  vocab: Map<string, number>;
  /** (object) casing and special tokens the file sets */
  options: WordPieceOptions;
}

type Json = Record<string, unknown>;

function bad(path: string, field: string, why: string): SeqrecError {
  return new SeqrecError('E_INVALID_DATA', `${path}: ${field} ${why}`, { file: path, field });
}

type FileErrorCode = 'E_INVALID_DATA' | 'E_CHECKPOINT';

async function readText(path: string, code: FileErrorCode = 'E_INVALID_DATA'): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const why = (e as { code?: unknown }).code === 'ENOENT' ? 'file does not exist' : (e as Error).message;
    throw new SeqrecError(code, `cannot read ${path}: ${why}`, { file: path }, { cause: e });
  }
}

/** Parse a JSON file whose top level must be an object; failures carry `code`. */
export async function readJsonObject(path: string, code: FileErrorCode = 'E_INVALID_DATA'): Promise<Json> {
  const text = await readText(path, code);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new SeqrecError(code, `${path} is not valid JSON (${(e as Error).message})`, { file: path }, { cause: e });
  }
  if (!isObject(parsed)) throw new SeqrecError(code, `${path} does not hold a JSON object`, { file: path });
  return parsed;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * vocab.txt as Hugging Face reads it: line i is token i, only the line ending is removed, and a
 * token listed twice keeps its last id (its earlier id stays unused, as in BertTokenizer).
 */
export async function parseVocabTxt(path: string): Promise<Map<string, number>> {
  const lines = (await readText(path)).split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw bad(path, 'file', 'is empty; expected one token per line');
  const vocab = new Map<string, number>();
  lines.forEach((line, id) => vocab.set(line.endsWith('\r') ? line.slice(0, -1) : line, id));
  return vocab;
}

/**
 * Casing flags of a tokenizer_config.json that sits next to vocab.txt (do_lower_case,
 * strip_accents, tokenize_chinese_chars); a missing flag keeps the tokenizer default.
 */
export async function parseTokenizerConfig(path: string): Promise<WordPieceOptions> {
  const json = await readJsonObject(path);
  const options: WordPieceOptions = {};
  const lowercase = optionalBoolean(path, json, 'do_lower_case');
  const stripAccents = optionalBoolean(path, json, 'strip_accents');
  const splitCjk = optionalBoolean(path, json, 'tokenize_chinese_chars');
  if (lowercase !== undefined) options.lowercase = lowercase;
  if (stripAccents !== undefined) options.stripAccents = stripAccents;
  if (splitCjk !== undefined) options.splitCjk = splitCjk;
  return options;
}

/** A tokenizer.json of the `tokenizers` library whose model is WordPiece. */
export async function parseTokenizerJson(path: string): Promise<TokenizerSource> {
  const json = await readJsonObject(path);
  const model = json.model;
  if (!isObject(model)) throw bad(path, 'model', 'is missing or not an object');
  if (model.type !== 'WordPiece') throw bad(path, 'model.type', `is ${JSON.stringify(model.type)}; only "WordPiece" (BERT) tokenizers are supported`);
  const options: WordPieceOptions = { ...normalizerOptions(path, json.normalizer), ...specialTokens(path, json) };
  checkPreTokenizer(path, json.pre_tokenizer);
  const unk = optionalString(path, model, 'unk_token', 'model.');
  const prefix = optionalString(path, model, 'continuing_subword_prefix', 'model.');
  const maxChars = model.max_input_chars_per_word;
  if (unk !== undefined) options.unkToken = unk;
  if (prefix !== undefined) options.continuingSubwordPrefix = prefix;
  if (maxChars !== undefined && maxChars !== null) {
    if (!Number.isSafeInteger(maxChars) || (maxChars as number) < 1)
      throw bad(path, 'model.max_input_chars_per_word', `is ${JSON.stringify(maxChars)}; expected a positive integer`);
    options.maxInputCharsPerWord = maxChars as number;
  }
  return { vocab: vocabObject(path, model.vocab), options };
}

function vocabObject(path: string, value: unknown): Map<string, number> {
  if (!isObject(value)) throw bad(path, 'model.vocab', 'is missing or not an object of token → id');
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(value)) {
    if (!Number.isSafeInteger(id) || (id as number) < 0)
      throw bad(path, `model.vocab[${JSON.stringify(token)}]`, `is ${JSON.stringify(id)}; expected a non-negative integer id`);
    vocab.set(token, id as number);
  }
  if (vocab.size === 0) throw bad(path, 'model.vocab', 'is empty');
  return vocab;
}

/** BertNormalizer flags; strip_accents null means "same as lowercase", as in `tokenizers`. */
function normalizerOptions(path: string, normalizer: unknown): WordPieceOptions {
  if (normalizer === null || normalizer === undefined) return { lowercase: false, stripAccents: false, splitCjk: false };
  if (!isObject(normalizer) || normalizer.type !== 'BertNormalizer') {
    const type = isObject(normalizer) ? JSON.stringify(normalizer.type) : 'not an object';
    throw bad(path, 'normalizer.type', `is ${type}; only "BertNormalizer" (or none) is supported`);
  }
  if (normalizer.clean_text === false) throw bad(path, 'normalizer.clean_text', 'is false; only the BERT clean-up (true) is supported');
  const lowercase = optionalBoolean(path, normalizer, 'lowercase', 'normalizer.') ?? true;
  return {
    lowercase,
    stripAccents: optionalBoolean(path, normalizer, 'strip_accents', 'normalizer.') ?? lowercase,
    splitCjk: optionalBoolean(path, normalizer, 'handle_chinese_chars', 'normalizer.') ?? true,
  };
}

function checkPreTokenizer(path: string, pre: unknown): void {
  if (isObject(pre) && pre.type === 'BertPreTokenizer') return;
  const type = isObject(pre) ? JSON.stringify(pre.type) : JSON.stringify(pre ?? null);
  throw bad(path, 'pre_tokenizer.type', `is ${type}; only "BertPreTokenizer" is supported`);
}

/** [CLS]/[SEP] from the post-processor (BertProcessing or TemplateProcessing) and [PAD] from padding. */
function specialTokens(path: string, json: Json): WordPieceOptions {
  const out: WordPieceOptions = {};
  const post = json.post_processor;
  if (isObject(post) && post.type === 'BertProcessing') {
    out.clsToken = pairToken(path, post.cls, 'post_processor.cls');
    out.sepToken = pairToken(path, post.sep, 'post_processor.sep');
  } else if (isObject(post) && post.type === 'TemplateProcessing' && Array.isArray(post.single)) {
    const specials = post.single.map((piece: unknown) => (isObject(piece) && isObject(piece.SpecialToken) ? piece.SpecialToken.id : undefined));
    const [first, last] = [specials[0], specials[specials.length - 1]];
    if (typeof first === 'string') out.clsToken = first;
    if (typeof last === 'string') out.sepToken = last;
  }
  if (isObject(json.padding)) {
    const pad = optionalString(path, json.padding, 'pad_token', 'padding.');
    if (pad !== undefined) out.padToken = pad;
  }
  return out;
}

function pairToken(path: string, value: unknown, field: string): string {
  if (!Array.isArray(value) || typeof value[0] !== 'string') throw bad(path, field, `is ${JSON.stringify(value)}; expected [token, id]`);
  return value[0];
}

function optionalBoolean(path: string, obj: Json, key: string, at = ''): boolean | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw bad(path, `${at}${key}`, `is ${JSON.stringify(value)}; expected true, false or null`);
  return value;
}

function optionalString(path: string, obj: Json, key: string, at = ''): string | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw bad(path, `${at}${key}`, `is ${JSON.stringify(value)}; expected a string`);
  return value;
}

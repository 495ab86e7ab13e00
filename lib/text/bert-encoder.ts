/**
 * BertTextEncoder: a Hugging Face BERT checkpoint, read from a local folder (./hf-bert.ts) and run
 * by the native encoder (native/model/bert_encoder.h, the recommender's own transformer blocks in
 * post-LN form), turning item texts into one pooled vector each. Texts are tokenized here with the
 * folder's WordPiece tokenizer and cross into native once per batch, so long catalogues report
 * progress and can be cancelled between batches. With options.cacheDir every vector is also kept
 * on disk (./embedding-cache.ts) under a fingerprint of the weights, tokenizer and pooling, so each
 * distinct text is encoded once across calls and runs, and a cancelled encode resumes where it
 * stopped. The output plugs in wherever HashingTextEncoder's does (setItemText, coldStartFromText,
 * transferToCatalogue).
 */
import { createHash } from 'node:crypto';
import { SeqrecError, callNative, callNativeSync } from '../errors.js';
import { addon } from '../native/loader.js';
import { loraSettings, type ResolvedAdapterOptions } from '../adapters/options.js';
import type { AddonLinearModule, AddonNativeTextEncoder, AddonTensorEntry, AddonTextEncoderConfig, AddonTextTuneRequest } from '../native/raw.js';
import { abortSignal, boolean, device as deviceOption, func, integer, invalid, noUnknownKeys, oneOf, optionsObject } from '../validate.js';
import type { BertConfig } from './bert-config.js';
import { nativeModuleName, readTextAdapter, toNativeAdapter, writeTextAdapter, type TextEncoderAdapter } from './bert-lora.js';
import { TextEmbeddingCache, textKey } from './embedding-cache.js';
import type { TextVectors } from './hashing-encoder.js';
import { readHfBert, type HfBert } from './hf-bert.js';
import type { WordPieceTokenizer } from './wordpiece.js';

export interface BertEncoderOptions {
  /** (str) 'mean' over real tokens (sentence-transformers style) or 'cls' (the [CLS] position). Default 'mean'. */
  pooling?: 'mean' | 'cls';
  /** (bool) L2-normalise every vector. Default true. */
  normalize?: boolean;
  /** (int) most tokens per text, [CLS] and [SEP] included. Default min(128, max_position_embeddings). */
  maxLength?: number;
  /** (int) texts per native call. Default 32. */
  batchSize?: number;
  /** (str) 'cpu', 'cuda' or 'cuda:N'. Default 'cpu'. */
  device?: string;
  /** (int) CPU threads of the encoder's LibTorch work (0 = leave as is). Default 0. */
  threads?: number;
  /** (str) folder of the persistent embedding cache (created if absent). Default: no cache. */
  cacheDir?: string;
  /** (str) a LoRA adapter folder of this BERT (PEFT layout, e.g. from saveAdapter after an end-to-end fit), applied in every encode. */
  adapter?: string;
}

export interface EncodeProgress {
  /** (int) texts encoded so far */
  done: number;
  /** (int) texts in the call */
  total: number;
  /** (int) of `done`, texts whose vector came from the cache or from an equal text earlier in the call */
  reused: number;
}

export interface BertEncodeOptions {
  /** Called on the JS thread after every batch. */
  onProgress?: (progress: EncodeProgress) => void;
  /** Stops between batches; encode then rejects with E_ABORTED. */
  signal?: AbortSignal;
}

/** What NativeModel.attachTextEncoder takes: the loaded native encoder and the request. */
export interface TextTune {
  encoder: AddonNativeTextEncoder;
  request: AddonTextTuneRequest;
}
/** Set by the class's static block: the end-to-end text fit's way to #tuneRequest. */
let tuneRequestOf: (encoder: BertTextEncoder, ...args: TuneArgs) => TextTune;
type TuneArgs = [texts: readonly string[], lora: ResolvedAdapterOptions, modules: AddonLinearModule[], itemsPerStep: number];

export class BertTextEncoder implements AsyncDisposable {
  /** (int) width H of every vector */
  readonly dim: number;
  /** the checked config.json numbers */
  readonly bert: Readonly<BertConfig>;
  readonly tokenizer: WordPieceTokenizer;
  /** (str) the folder it was loaded from */
  readonly folder: string;
  /** (str) sha256 hex of the encoder without adapter: weights, config, tokenizer, pooling, normalize, maxLength */
  readonly baseFingerprint: string;
  readonly #options: PoolingOptions;
  readonly #cacheDir: string | undefined;
  #cache: TextEmbeddingCache | undefined;
  #adapter: TextEncoderAdapter | undefined;
  #native: AddonNativeTextEncoder | undefined;

  private constructor(hf: HfBert, options: PoolingOptions, fingerprint: string, cacheDir: string | undefined, native: AddonNativeTextEncoder) {
    this.dim = hf.config.hiddenSize;
    this.bert = hf.config;
    this.tokenizer = hf.tokenizer;
    this.folder = hf.folder;
    this.baseFingerprint = fingerprint;
    this.#options = options;
    this.#cacheDir = cacheDir;
    this.#native = native;
  }

  /** (str) sha256 hex of what decides the vectors: baseFingerprint and the applied adapter's factors, if any */
  get fingerprint(): string {
    return this.#adapter === undefined ? this.baseFingerprint : adaptedFingerprint(this.baseFingerprint, this.#adapter);
  }

  /** (str | undefined) the cache file, when options.cacheDir was given */
  get cachePath(): string | undefined {
    return this.#cache?.path;
  }

  /** (TextEncoderAdapter | undefined) the LoRA adapter applied in encode, if any */
  get adapter(): TextEncoderAdapter | undefined {
    return this.#adapter;
  }

  /** Read a BERT folder (config.json, model.safetensors, vocab.txt or tokenizer.json) and load it natively. */
  static async load(folder: string, options: BertEncoderOptions = {}): Promise<BertTextEncoder> {
    const o = optionsObject('options', options) as BertEncoderOptions;
    noUnknownKeys('options', o, ['pooling', 'normalize', 'maxLength', 'batchSize', 'device', 'threads', 'cacheDir', 'adapter']);
    const pooling = oneOf('options.pooling', o.pooling ?? 'mean', ['mean', 'cls'] as const);
    const normalize = boolean('options.normalize', o.normalize ?? true);
    const batchSize = integer('options.batchSize', o.batchSize ?? 32, 1, 1 << 16);
    const threads = integer('options.threads', o.threads ?? 0, 0, 1024);
    const device = deviceOption('options.device', o.device ?? 'cpu');
    if (o.cacheDir !== undefined && (typeof o.cacheDir !== 'string' || o.cacheDir === '')) throw invalid('options.cacheDir', 'a folder path', o.cacheDir);
    if (o.adapter !== undefined && (typeof o.adapter !== 'string' || o.adapter === '')) throw invalid('options.adapter', 'an adapter folder path', o.adapter);
    const hf = await readHfBert(folder);
    const c = hf.config;
    const maxLength = integer('options.maxLength', o.maxLength ?? Math.min(128, c.maxPositions), 2, c.maxPositions);
    const options_: PoolingOptions = { pooling, normalize, maxLength, batchSize };
    const adapter = o.adapter === undefined ? undefined : await readTextAdapter(o.adapter, c);
    const nativeConfig = nativeConfigOf(c, device, threads);
    const native = callNativeSync(() => new (addon().NativeTextEncoder)(nativeConfig));
    const encoder = new BertTextEncoder(hf, options_, fingerprintOf(hf, options_), o.cacheDir, native);
    try {
      await callNative(() => native.load(nativeTensors(hf)));
      if (adapter) await encoder.applyAdapter(adapter, o.adapter);
      else await encoder.#openCache();
    } catch (e) {
      encoder.dispose();
      throw e;
    }
    return encoder;
  }

  /**
   * Apply a LoRA adapter of this BERT (the textAdapter of an end-to-end fit) in every encode from
   * now on, replacing any applied before; the fingerprint and the cache file follow. E_CHECKPOINT
   * when it was trained on another encoder.
   */
  async applyAdapter(adapter: TextEncoderAdapter, source = 'the adapter'): Promise<void> {
    const native = this.#ensureNative();
    if (!adapter || typeof adapter !== 'object' || !Array.isArray(adapter.tensors)) throw invalid('adapter', 'a TextEncoderAdapter', adapter);
    // An adapter written by PEFT itself records no seqrec fingerprint: its layer names and shapes were
    // checked against this BERT when it was read, which is all that can be known of its base.
    if (adapter.base !== '' && adapter.base !== this.baseFingerprint) {
      throw new SeqrecError(
        'E_CHECKPOINT',
        `${source} was trained on the BERT encoder with fingerprint ${adapter.base}, but this one (${this.folder}, pooling ${this.#options.pooling}, maxLength ${this.#options.maxLength}) has ${this.baseFingerprint}`,
        { field: 'base' },
      );
    }
    const adopted = { ...adapter, base: this.baseFingerprint };
    await callNative(() => native.setAdapter(toNativeAdapter(adopted)));
    this.#adapter = adopted;
    await this.#openCache();
  }

  /** Save the applied adapter as a PEFT folder (adapter_config.json, adapter_model.safetensors) over BertModel. */
  async saveAdapter(dir: string): Promise<void> {
    this.#ensureNative();
    if (typeof dir !== 'string' || dir === '') throw invalid('dir', 'a folder path', dir);
    if (!this.#adapter)
      throw new SeqrecError('E_INVALID_OPTION', 'saveAdapter: no adapter is applied; applyAdapter(summary.textAdapter) first', { option: 'adapter' });
    await writeTextAdapter(dir, this.#adapter, this.folder);
  }

  /**
   * What NativeModel.attachTextEncoder takes: this loaded encoder (whose frozen weights the model
   * shares), the tokens of `texts` and the LoRA settings. Reached through textTuneRequest.
   */
  #tuneRequest(...[texts, lora, modules, itemsPerStep]: TuneArgs): TextTune {
    const encoder = this.#ensureNative();
    const { pooling, normalize, maxLength, batchSize } = this.#options;
    const batch = this.tokenizer.encodeBatch(texts, { maxLength });
    const request: AddonTextTuneRequest = {
      ids: batch.ids,
      attentionMask: batch.attentionMask,
      length: batch.shape[1],
      pooling,
      normalize,
      lora: loraSettings(lora),
      modules: modules.map((m) => ({ ...m, name: nativeModuleName(m.name) })),
      itemsPerStep,
      encodeBatch: batchSize,
    };
    return { encoder, request };
  }

  static {
    tuneRequestOf = (encoder, ...args) => encoder.#tuneRequest(...args);
  }

  async #openCache(): Promise<void> {
    if (this.#cacheDir !== undefined) this.#cache = await TextEmbeddingCache.open(this.#cacheDir, 'bert', this.fingerprint, this.dim);
  }

  /** One pooled vector per text, (n, dim) row-major, in batches of options.batchSize. */
  async encode(texts: readonly string[], options: BertEncodeOptions = {}): Promise<TextVectors> {
    const native = this.#ensureNative();
    if (!Array.isArray(texts)) throw invalid('texts', 'an array of strings', texts);
    const o = optionsObject('options', options) as BertEncodeOptions;
    noUnknownKeys('options', o, ['onProgress', 'signal']);
    const onProgress = o.onProgress === undefined ? undefined : func<(p: EncodeProgress) => void>('options.onProgress', o.onProgress);
    const signal = o.signal === undefined ? undefined : abortSignal('options.signal', o.signal);
    const { pooling, normalize, maxLength, batchSize } = this.#options;
    texts.forEach((t, i) => {
      if (typeof t !== 'string') throw invalid(`texts[${i}]`, 'a string', t);
    });
    const cache = this.#cache;
    const data = new Float32Array(texts.length * this.dim);
    // Each distinct text not in the cache is encoded once, then copied to every place it occurs.
    const keys = texts.map(cache ? textKey : (t) => t);
    const places = new Map<string, number[]>();
    let hits = 0;
    keys.forEach((key, i) => {
      const hit = cache?.get(key);
      if (hit) {
        data.set(hit, i * this.dim);
        hits++;
      } else {
        const at = places.get(key);
        if (at) at.push(i);
        else places.set(key, [i]);
      }
    });
    const todo = [...places.values()];
    let done = hits;
    let reused = hits;
    if (hits > 0) onProgress?.({ done, total: texts.length, reused });
    try {
      for (let begin = 0; begin < todo.length; begin += batchSize) {
        if (signal?.aborted) throw new SeqrecError('E_ABORTED', `encode() was aborted after ${done} of ${texts.length} texts`, { done });
        const group = todo.slice(begin, begin + batchSize);
        const batch = this.tokenizer.encodeBatch(
          group.map((at) => texts[at[0]!]!),
          { maxLength },
        );
        const pooled = await callNative(() =>
          native.encode({ ids: batch.ids, attentionMask: batch.attentionMask, length: batch.shape[1], pooling, normalize, batchSize }),
        );
        group.forEach((at, row) => {
          const vector = pooled.subarray(row * this.dim, (row + 1) * this.dim);
          for (const i of at) data.set(vector, i * this.dim);
          cache?.set(keys[at[0]!]!, vector);
          done += at.length;
          reused += at.length - 1;
        });
        onProgress?.({ done, total: texts.length, reused });
      }
    } catch (e) {
      // What was encoded before the failure or the abort is kept, so the next call resumes there.
      await cache?.save().catch(() => undefined);
      throw e;
    }
    await cache?.save();
    return { data, dim: this.dim };
  }

  get disposed(): boolean {
    return this.#native === undefined;
  }

  /** Free native memory now. Idempotent. */
  dispose(): void {
    this.#native?.dispose();
    this.#native = undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.dispose();
  }

  #ensureNative(): AddonNativeTextEncoder {
    if (this.#native === undefined) throw new SeqrecError('E_DISPOSED', 'the text encoder was disposed; load a new one');
    return this.#native;
  }
}

/**
 * @internal What NativeModel.attachTextEncoder takes for an end-to-end text fit (lib/train/fit.ts): the
 * loaded encoder, the tokens of `texts` and the LoRA settings. A function rather than a method, so the
 * published types do not show it.
 */
export function textTuneRequest(encoder: BertTextEncoder, ...args: TuneArgs): TextTune {
  return tuneRequestOf(encoder, ...args);
}

type PoolingOptions = Required<Pick<BertEncoderOptions, 'pooling' | 'normalize' | 'maxLength' | 'batchSize'>>;

/** Bumped whenever the native forward changes its numbers, so caches of older vectors stop matching. */
const ENCODER_NUMERICS = 'seqrec-bert-1';

function nativeConfigOf(c: BertConfig, device: string, threads: number): AddonTextEncoderConfig {
  return {
    vocabSize: c.vocabSize,
    hiddenSize: c.hiddenSize,
    layers: c.numLayers,
    heads: c.numHeads,
    intermediateSize: c.intermediateSize,
    maxPositions: c.maxPositions,
    typeVocabSize: c.typeVocabSize,
    layerNormEps: c.layerNormEps,
    activation: c.hiddenAct === 'gelu_new' ? 'gelu_tanh' : c.hiddenAct,
    device,
    threads,
  };
}

function nativeTensors(hf: HfBert): AddonTensorEntry[] {
  return hf.tensors.map((t) => ({ name: t.name, dtype: 'F32', shape: t.shape, data: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) }));
}

function adaptedFingerprint(base: string, adapter: TextEncoderAdapter): string {
  const hash = createHash('sha256').update(JSON.stringify([base, adapter.r, adapter.alpha, adapter.rslora]));
  for (const t of adapter.tensors) hash.update(`\n${t.name}:${t.dtype}[${t.shape.join(',')}]`).update(t.data);
  return hash.digest('hex');
}

function fingerprintOf(hf: HfBert, o: PoolingOptions): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([ENCODER_NUMERICS, hf.config, o.pooling, o.normalize, o.maxLength]));
  hf.tokenizer.updateHash(hash);
  for (const t of hf.tensors) hash.update(`\n${t.name}[${t.shape.join(',')}]`).update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  return hash.digest('hex');
}

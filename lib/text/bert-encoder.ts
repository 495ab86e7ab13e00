/**
 * BertTextEncoder: a Hugging Face BERT checkpoint, read from a local folder (./hf-bert.ts) and run
 * by the native encoder (native/model/bert_encoder.h, the recommender's own transformer blocks in
 * post-LN form), turning item texts into one pooled vector each. Texts are tokenized here with the
 * folder's WordPiece tokenizer and cross into native once per batch, so long catalogues report
 * progress and can be cancelled between batches. The output plugs in wherever HashingTextEncoder's
 * does (setItemText, coldStartFromText, transferToCatalogue).
 */
import { SeqrecError, callNative, callNativeSync } from '../errors.js';
import { addon } from '../native/loader.js';
import type { AddonNativeTextEncoder } from '../native/raw.js';
import { abortSignal, boolean, func, integer, invalid, noUnknownKeys, oneOf, optionsObject } from '../validate.js';
import type { BertConfig } from './bert-config.js';
import type { TextVectors } from './hashing-encoder.js';
import { readHfBert } from './hf-bert.js';
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
}

export interface EncodeProgress {
  /** (int) texts encoded so far */
  done: number;
  /** (int) texts in the call */
  total: number;
}

export interface BertEncodeOptions {
  /** Called on the JS thread after every batch. */
  onProgress?: (progress: EncodeProgress) => void;
  /** Stops between batches; encode then rejects with E_ABORTED. */
  signal?: AbortSignal;
}

export class BertTextEncoder implements AsyncDisposable {
  /** (int) width H of every vector */
  readonly dim: number;
  /** the checked config.json numbers */
  readonly bert: Readonly<BertConfig>;
  readonly tokenizer: WordPieceTokenizer;
  readonly #options: Required<Omit<BertEncoderOptions, 'device' | 'threads'>>;
  #native: AddonNativeTextEncoder | undefined;

  private constructor(bert: BertConfig, tokenizer: WordPieceTokenizer, options: Required<Omit<BertEncoderOptions, 'device' | 'threads'>>, native: AddonNativeTextEncoder) {
    this.dim = bert.hiddenSize;
    this.bert = bert;
    this.tokenizer = tokenizer;
    this.#options = options;
    this.#native = native;
  }

  /** Read a BERT folder (config.json, model.safetensors, vocab.txt or tokenizer.json) and load it natively. */
  static async load(folder: string, options: BertEncoderOptions = {}): Promise<BertTextEncoder> {
    const o = optionsObject('options', options) as BertEncoderOptions;
    noUnknownKeys('options', o, ['pooling', 'normalize', 'maxLength', 'batchSize', 'device', 'threads']);
    const pooling = oneOf('options.pooling', o.pooling ?? 'mean', ['mean', 'cls'] as const);
    const normalize = boolean('options.normalize', o.normalize ?? true);
    const batchSize = integer('options.batchSize', o.batchSize ?? 32, 1, 1 << 16);
    const threads = integer('options.threads', o.threads ?? 0, 0, 1024);
    const device = o.device ?? 'cpu';
    if (typeof device !== 'string' || !/^(cpu|cuda(:\d+)?)$/.test(device)) throw invalid('options.device', '"cpu", "cuda" or "cuda:N"', device);
    const hf = await readHfBert(folder);
    const c = hf.config;
    const maxLength = integer('options.maxLength', o.maxLength ?? Math.min(128, c.maxPositions), 2, c.maxPositions);
    const native = callNativeSync(() => new (addon().NativeTextEncoder)({
      vocabSize: c.vocabSize, hiddenSize: c.hiddenSize, layers: c.numLayers, heads: c.numHeads, intermediateSize: c.intermediateSize,
      maxPositions: c.maxPositions, typeVocabSize: c.typeVocabSize, layerNormEps: c.layerNormEps,
      activation: c.hiddenAct === 'gelu_new' ? 'gelu_tanh' : c.hiddenAct, device, threads,
    }));
    const tensors = hf.tensors.map((t) => ({ name: t.name, dtype: 'F32', shape: t.shape, data: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) }));
    try {
      await callNative(() => native.load(tensors));
    } catch (e) {
      native.dispose();
      throw e;
    }
    return new BertTextEncoder(c, hf.tokenizer, { pooling, normalize, maxLength, batchSize }, native);
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
    const data = new Float32Array(texts.length * this.dim);
    for (let begin = 0; begin < texts.length; begin += batchSize) {
      if (signal?.aborted) throw new SeqrecError('E_ABORTED', `encode() was aborted after ${begin} of ${texts.length} texts`, { done: begin });
      const batch = this.tokenizer.encodeBatch(texts.slice(begin, begin + batchSize), { maxLength });
      const pooled = await callNative(() =>
        native.encode({ ids: batch.ids, attentionMask: batch.attentionMask, length: batch.shape[1], pooling, normalize, batchSize }),
      );
      data.set(pooled, begin * this.dim);
      onProgress?.({ done: Math.min(texts.length, begin + batchSize), total: texts.length });
    }
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

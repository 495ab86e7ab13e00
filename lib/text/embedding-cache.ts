/**
 * A persistent cache of text embeddings, so an item catalogue is encoded once: re-running a job,
 * adding items or resuming a cancelled encode computes only the texts not seen before.
 * One safetensors file per encoder, `<dir>/<name>-<fingerprint[0:16]>.safetensors`, holding one F32
 * tensor "vectors" [n, H] and metadata "keys" (the SHA-256 of each row's text, a JSON array) and
 * "fingerprint" (the encoder's; a file of another encoder is refused, never mixed in).
 * Saving re-reads the file and keeps rows another process added meanwhile, then replaces it
 * atomically; two processes saving at the same instant can lose each other's new rows (they are
 * recomputed next time), never corrupt the file.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isSeqrecError, SeqrecError } from '../errors.js';
import { asFloat32, readSafetensors, writeSafetensors, type SafetensorsFile } from '../io/safetensors.js';

const TENSOR = 'vectors';

/** The cache key of one text. */
export function textKey(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export class TextEmbeddingCache {
  /** (str) the cache file */
  readonly path: string;
  /** (int) H, the vector width */
  readonly dim: number;
  readonly #fingerprint: string;
  /** text key → vector (H), the file's rows and the ones added since */
  readonly #rows = new Map<string, Float32Array>();
  #added = 0;

  private constructor(path: string, dim: number, fingerprint: string) {
    this.path = path;
    this.dim = dim;
    this.#fingerprint = fingerprint;
  }

  /** Open (creating `dir` if needed) the cache of the encoder `fingerprint` (hex) whose vectors have width `dim`. */
  static async open(dir: string, name: string, fingerprint: string, dim: number): Promise<TextEmbeddingCache> {
    await mkdir(dir, { recursive: true });
    const cache = new TextEmbeddingCache(join(dir, `${name}-${fingerprint.slice(0, 16)}.safetensors`), dim, fingerprint);
    await cache.#merge();
    return cache;
  }

  /** (int) vectors held */
  get size(): number {
    return this.#rows.size;
  }

  /** The cached vector of the text with key `key`, or undefined. */
  get(key: string): Float32Array | undefined {
    return this.#rows.get(key);
  }

  /** Hold `vector` (copied) as the embedding of the text with key `key`; written by save(). */
  set(key: string, vector: Float32Array): void {
    if (this.#rows.has(key)) return;
    this.#rows.set(key, Float32Array.from(vector));
    this.#added++;
  }

  /** Write the vectors added since open (merged with the file as it is now); nothing to do if none were. */
  async save(): Promise<void> {
    if (this.#added === 0) return;
    await this.#merge();
    const keys = [...this.#rows.keys()];
    const data = new Float32Array(keys.length * this.dim);
    keys.forEach((key, row) => data.set(this.#rows.get(key)!, row * this.dim));
    const file: SafetensorsFile = {
      tensors: [{ name: TENSOR, dtype: 'F32', shape: [keys.length, this.dim], data: new Uint8Array(data.buffer) }],
      metadata: { fingerprint: this.#fingerprint, keys: JSON.stringify(keys) },
    };
    await writeSafetensors(this.path, file);
    this.#added = 0;
  }

  /** Add the file's rows that are not held yet. */
  async #merge(): Promise<void> {
    if (!existsSync(this.path)) return;
    const { keys, values } = await this.#read();
    keys.forEach((key, row) => {
      if (!this.#rows.has(key)) this.#rows.set(key, values.subarray(row * this.dim, (row + 1) * this.dim));
    });
  }

  async #read(): Promise<{ keys: string[]; values: Float32Array }> {
    let file: SafetensorsFile;
    try {
      file = await readSafetensors(this.path);
    } catch (e) {
      if (!isSeqrecError(e, 'E_CHECKPOINT')) throw e;
      throw this.#bad(`is not a readable safetensors file (${e.message})`, e);
    }
    if (file.metadata.fingerprint !== this.#fingerprint)
      throw this.#bad(`belongs to another encoder (fingerprint ${file.metadata.fingerprint ?? 'missing'}, expected ${this.#fingerprint})`);
    const tensor = file.tensors.find((t) => t.name === TENSOR);
    if (file.tensors.length !== 1 || !tensor || tensor.dtype !== 'F32' || tensor.shape.length !== 2 || tensor.shape[1] !== this.dim) {
      throw this.#bad(`must hold exactly one F32 tensor "${TENSOR}" of shape [n, ${this.dim}]`);
    }
    let keys: unknown;
    try {
      keys = JSON.parse(file.metadata.keys ?? '');
    } catch {
      keys = undefined;
    }
    if (!Array.isArray(keys) || keys.length !== tensor.shape[0] || !keys.every((k) => typeof k === 'string' && /^[0-9a-f]{64}$/.test(k))) {
      throw this.#bad(`metadata "keys" must be a JSON array of ${tensor.shape[0]} sha256 hex strings`);
    }
    const values = asFloat32(tensor);
    const nonFinite = values.findIndex((x) => !Number.isFinite(x));
    if (nonFinite >= 0) throw this.#bad(`row ${Math.floor(nonFinite / this.dim)} holds NaN or Infinity`);
    return { keys: keys as string[], values };
  }

  #bad(why: string, cause?: unknown): SeqrecError {
    return new SeqrecError(
      'E_INVALID_DATA',
      `text embedding cache ${this.path} ${why}; delete the file to rebuild it`,
      { file: this.path },
      cause === undefined ? undefined : { cause },
    );
  }
}

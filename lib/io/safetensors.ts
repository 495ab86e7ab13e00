/**
 * Reader and writer for the Hugging Face safetensors format (https://huggingface.co/docs/safetensors):
 * u64 LE header length N, N bytes of JSON header, then the raw little-endian data buffer.
 * Supports the dtypes seqrec checkpoints use; F8 and unsigned >8-bit dtypes are left out on purpose.
 * The decoder trusts nothing: every field is checked and failures name the file and tensor (E_CHECKPOINT).
 */
import { readFile } from 'node:fs/promises';
import { SeqrecError } from '../errors.js';
import { invalid } from '../validate.js';
import { writeFileAtomic } from './atomic.js';

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export interface TensorRecord {
  name: string;
  dtype: SafetensorsDtype;
  /** [] for a scalar; any dimension may be 0. */
  shape: number[];
  /** Raw little-endian bytes, length = prod(shape) * dtypeSize(dtype). */
  data: Uint8Array;
}

export interface SafetensorsFile {
  tensors: TensorRecord[];
  metadata: Record<string, string>;
}

const DTYPE_SIZES: Readonly<Record<SafetensorsDtype, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};
const METADATA_KEY = '__metadata__';
// Same cap as the reference Rust reader: a larger header is a corrupt length, not a real file.
const MAX_HEADER_BYTES = 100_000_000;

export function dtypeSize(dtype: SafetensorsDtype): number {
  const size = DTYPE_SIZES[dtype];
  if (size === undefined) throw invalid('dtype', `one of ${Object.keys(DTYPE_SIZES).join(', ')}`, dtype);
  return size;
}

function isDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === 'string' && Object.hasOwn(DTYPE_SIZES, value);
}

function isShape(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((d) => Number.isSafeInteger(d) && d >= 0);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function byteLength(dtype: SafetensorsDtype, shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, DTYPE_SIZES[dtype]);
}

/** Serialize tensors in the given order; the header is space-padded so the data starts 8-byte aligned. */
export function encodeSafetensors(tensors: TensorRecord[], metadata: Record<string, string> = {}): Uint8Array {
  if (!Array.isArray(tensors)) throw invalid('tensors', 'an array of tensor records', tensors);
  checkMetadata(metadata);
  const seen = new Set<string>();
  // Built as text rather than via JSON.stringify(object) so integer-like names keep their order.
  const entries: string[] = [];
  if (Object.keys(metadata).length > 0) entries.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`);
  let offset = 0;
  tensors.forEach((t, i) => {
    const where = `tensors[${i}]`;
    if (!isPlainObject(t)) throw invalid(where, 'a tensor record', t);
    if (typeof t.name !== 'string' || t.name === '' || t.name === METADATA_KEY) {
      throw invalid(`${where}.name`, `a non-empty string other than "${METADATA_KEY}"`, t.name);
    }
    if (seen.has(t.name)) throw invalid(`${where}.name`, 'a name not used by an earlier tensor', t.name);
    seen.add(t.name);
    if (!isDtype(t.dtype)) throw invalid(`${where}.dtype`, `one of ${Object.keys(DTYPE_SIZES).join(', ')}`, t.dtype);
    if (!isShape(t.shape)) throw invalid(`${where}.shape`, 'an array of non-negative integers', t.shape);
    if (!(t.data instanceof Uint8Array)) throw invalid(`${where}.data`, 'a Uint8Array', t.data);
    const expected = byteLength(t.dtype, t.shape);
    if (t.data.byteLength !== expected) {
      throw new SeqrecError(
        'E_INVALID_OPTION',
        `Expected ${expected} bytes (${t.dtype} [${t.shape.join(', ')}]) for ${where}.data of "${t.name}" but received ${t.data.byteLength} bytes`,
        { option: `${where}.data`, tensor: t.name, expected, received: t.data.byteLength },
      );
    }
    const info = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + expected] };
    entries.push(`${JSON.stringify(t.name)}:${JSON.stringify(info)}`);
    offset += expected;
  });
  const json = new TextEncoder().encode(`{${entries.join(',')}}`);
  const headerLength = Math.ceil(json.byteLength / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength, 8 + headerLength);
  let at = 8 + headerLength;
  for (const t of tensors) {
    out.set(t.data, at);
    at += t.data.byteLength;
  }
  return out;
}

function checkMetadata(metadata: unknown): asserts metadata is Record<string, string> {
  if (!isPlainObject(metadata)) throw invalid('metadata', 'an object of strings', metadata);
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') throw invalid(`metadata.${key}`, 'a string', value);
  }
}

function corrupt(source: string, message: string, details: Record<string, unknown> = {}): SeqrecError {
  return new SeqrecError('E_CHECKPOINT', `Invalid safetensors file ${source}: ${message}`, { file: source, ...details });
}

/**
 * Parse and validate a safetensors image. Tensors come back in data-buffer order.
 * Zero copy: each `data` is a view into `bytes`, so mutating `bytes` later changes the tensors;
 * use asFloat32/asInt32/asBigInt64 (or slice()) for an independent, aligned copy.
 */
export function decodeSafetensors(bytes: Uint8Array, source = '<buffer>'): SafetensorsFile {
  const u8 = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (u8.byteLength < 8) throw corrupt(source, `file is ${u8.byteLength} bytes, shorter than the 8-byte header length`, { field: 'header length' });
  const declared = new DataView(u8.buffer, u8.byteOffset, 8).getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER_BYTES)) {
    throw corrupt(source, `header length ${declared} exceeds the ${MAX_HEADER_BYTES}-byte limit`, { field: 'header length' });
  }
  const headerLength = Number(declared);
  if (8 + headerLength > u8.byteLength) {
    throw corrupt(source, `header length ${headerLength} is larger than the ${u8.byteLength - 8} bytes after it (truncated file?)`, { field: 'header length' });
  }
  const header = parseHeader(u8.subarray(8, 8 + headerLength), source);
  const data = u8.subarray(8 + headerLength);
  let metadata: Record<string, string> = {};
  const placed: { record: TensorRecord; begin: number; end: number }[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === METADATA_KEY) metadata = parseMetadata(entry, source);
    else placed.push(parseEntry(name, entry, data, source));
  }
  // The spec requires the tensors to tile the data buffer exactly: no overlaps, no holes, no tail.
  placed.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const { record, begin, end } of placed) {
    if (begin < covered)
      throw corrupt(source, `tensor "${record.name}" data_offsets [${begin}, ${end}] overlap the previous tensor (ends at ${covered})`, {
        tensor: record.name,
        field: 'data_offsets',
      });
    if (begin > covered)
      throw corrupt(source, `tensor "${record.name}" data_offsets [${begin}, ${end}] leave a gap of ${begin - covered} bytes before it`, {
        tensor: record.name,
        field: 'data_offsets',
      });
    covered = end;
  }
  if (covered !== data.byteLength) {
    throw corrupt(source, `data buffer has ${data.byteLength - covered} bytes after the last tensor that no tensor covers`, { field: 'data_offsets' });
  }
  return { tensors: placed.map((p) => p.record), metadata };
}

function parseHeader(raw: Uint8Array, source: string): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
  } catch (e) {
    throw new SeqrecError('E_CHECKPOINT', `Invalid safetensors file ${source}: header is not valid UTF-8`, { file: source, field: 'header' }, { cause: e });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new SeqrecError(
      'E_CHECKPOINT',
      `Invalid safetensors file ${source}: header is not valid JSON (${why})`,
      { file: source, field: 'header' },
      { cause: e },
    );
  }
  if (!text.startsWith('{') || !isPlainObject(parsed)) throw corrupt(source, 'header is not a JSON object', { field: 'header' });
  return parsed;
}

function parseMetadata(entry: unknown, source: string): Record<string, string> {
  if (!isPlainObject(entry)) throw corrupt(source, `"${METADATA_KEY}" is not an object of strings`, { field: METADATA_KEY });
  for (const [key, value] of Object.entries(entry)) {
    if (typeof value !== 'string') throw corrupt(source, `"${METADATA_KEY}" value for "${key}" is not a string`, { field: `${METADATA_KEY}.${key}` });
  }
  return entry as Record<string, string>;
}

// Unknown extra fields in an entry are ignored, as the reference reader does, so newer writers stay readable.
function parseEntry(name: string, entry: unknown, data: Uint8Array, source: string): { record: TensorRecord; begin: number; end: number } {
  const fail = (field: string, problem: string) => corrupt(source, `tensor "${name}" ${field} ${problem}`, { tensor: name, field });
  if (!isPlainObject(entry)) throw fail('entry', 'is not an object');
  const { dtype, shape, data_offsets: offsets } = entry;
  if (!isDtype(dtype)) throw fail('dtype', `${JSON.stringify(dtype)} is not one of ${Object.keys(DTYPE_SIZES).join(', ')}`);
  if (!isShape(shape)) throw fail('shape', `${JSON.stringify(shape)} is not an array of non-negative integers`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    throw fail('data_offsets', `${JSON.stringify(offsets)} is not a pair of non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) throw fail('data_offsets', `[${begin}, ${end}] has begin > end`);
  const expected = byteLength(dtype, shape);
  if (end - begin !== expected) {
    throw fail('data_offsets', `[${begin}, ${end}] hold ${end - begin} bytes but shape [${shape.join(', ')}] of ${dtype} needs ${expected}`);
  }
  if (end > data.byteLength) throw fail('data_offsets', `[${begin}, ${end}] reach past the end of the ${data.byteLength}-byte data buffer`);
  return { record: { name, dtype, shape, data: data.subarray(begin, end) }, begin, end };
}

/** Atomically write `file` to `path` (temp file + fsync + rename). */
export async function writeSafetensors(path: string, file: SafetensorsFile, opts: { signal?: AbortSignal } = {}): Promise<void> {
  if (!isPlainObject(file)) throw invalid('file', 'a { tensors, metadata } object', file);
  await writeFileAtomic(path, encodeSafetensors(file.tensors, file.metadata ?? {}), opts);
}

export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const why = (e as { code?: unknown }).code === 'ENOENT' ? 'file does not exist' : e instanceof Error ? e.message : String(e);
    throw new SeqrecError('E_CHECKPOINT', `Cannot read safetensors file ${path}: ${why}`, { file: path }, { cause: e });
  }
  return decodeSafetensors(bytes, path);
}

type View = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array | Int16Array | Uint16Array;

/** Copy of the view's bytes. Assumes a little-endian host, as every platform LibTorch ships for is. */
export function tensorBytes(view: View): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice();
}

function copyOut(t: TensorRecord, dtype: SafetensorsDtype): ArrayBuffer {
  if (t.dtype !== dtype) {
    throw new SeqrecError('E_CHECKPOINT', `Expected dtype ${dtype} for tensor "${t.name}" but it is ${t.dtype}`, {
      tensor: t.name,
      expected: dtype,
      received: t.dtype,
    });
  }
  const expected = byteLength(t.dtype, t.shape);
  if (t.data.byteLength !== expected) {
    throw new SeqrecError('E_CHECKPOINT', `Tensor "${t.name}" has ${t.data.byteLength} bytes but shape [${t.shape.join(', ')}] of ${dtype} needs ${expected}`, {
      tensor: t.name,
    });
  }
  // A fresh buffer: views into the file image are usually not aligned for 4/8-byte element access.
  const out = new ArrayBuffer(expected);
  new Uint8Array(out).set(t.data);
  return out;
}

export function asFloat32(t: TensorRecord): Float32Array {
  return new Float32Array(copyOut(t, 'F32'));
}

export function asInt32(t: TensorRecord): Int32Array {
  return new Int32Array(copyOut(t, 'I32'));
}

export function asBigInt64(t: TensorRecord): BigInt64Array {
  return new BigInt64Array(copyOut(t, 'I64'));
}

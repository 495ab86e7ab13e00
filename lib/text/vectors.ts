/**
 * Item text vectors, the one type every consumer takes (setItemText, coldStartFromText,
 * fitTextMapping, transferToCatalogue), and "bring your own vectors": item embeddings computed
 * elsewhere (a sentence encoder, an image model, …) laid out as the (V+1, d) table seqrec's item
 * ids index, row 0 being padding.
 * From a Map in memory, or from a safetensors file with one F32 tensor "vectors" [n, d] and
 * metadata "ids" (a JSON array of the n item ids). Items without a vector get a zero row and are
 * counted in `missing`, never dropped silently; vectors of ids outside the catalogue are ignored.
 */
import { isSeqrecError, SeqrecError } from '../errors.js';
import { asFloat32, readSafetensors, type SafetensorsFile, type TensorRecord } from '../io/safetensors.js';
import { integer, invalid } from '../validate.js';

/**
 * One vector per dense item, laid out like the model's item table: (V+1, dim) row-major, row 0 unused.
 * An encoder's output for itemText(data) is one (HashingTextEncoder / BertTextEncoder encode).
 */
export interface ItemTextVectors {
  /** (float32, (V+1, dim) row-major) row i is the vector of item i; row 0 is unused */
  data: Float32Array;
  /** (int) dim, the vector width */
  dim: number;
  /** (int) items 1..V without a vector, whose rows are zero; set by itemVectorsFromMap and readItemVectors */
  missing?: number;
}

const TENSOR = 'vectors';
const IDS_KEY = 'ids';

/**
 * Lay out `vectors` (item id → vector) by `itemIds` ((V+1) ids, [0] the unused padding slot).
 * Every vector must have the same length and finite values.
 */
export function itemVectorsFromMap(itemIds: readonly string[], vectors: ReadonlyMap<string, Float32Array>): Required<ItemTextVectors> {
  if (!Array.isArray(itemIds) || itemIds.length === 0) throw invalid('itemIds', 'an array of (V+1) item ids, [0] unused', itemIds);
  if (!(vectors instanceof Map) || vectors.size === 0) throw invalid('vectors', 'a non-empty Map of item id → Float32Array', vectors);
  const dim = checkVectors(vectors as ReadonlyMap<unknown, unknown>);
  const data = new Float32Array(itemIds.length * dim);
  let missing = 0;
  for (let i = 1; i < itemIds.length; i++) {
    const id = itemIds[i];
    if (typeof id !== 'string') throw invalid(`itemIds[${i}]`, 'a string', id);
    const vector = vectors.get(id);
    if (vector === undefined) missing++;
    else data.set(vector, i * dim);
  }
  return { data, dim, missing };
}

/** Every value a Float32Array of one common, non-zero length with finite entries; returns that length. */
function checkVectors(vectors: ReadonlyMap<unknown, unknown>): number {
  let dim = 0;
  for (const [id, vector] of vectors) {
    const name = `vectors.get(${JSON.stringify(id)})`;
    if (!(vector instanceof Float32Array) || vector.length === 0) throw invalid(name, 'a non-empty Float32Array', vector);
    if (dim === 0) dim = vector.length;
    if (vector.length !== dim) throw invalid(name, `a Float32Array of length ${dim} (the first vector's)`, `length ${vector.length}`);
    if (!vector.every(Number.isFinite)) throw invalid(name, 'finite values', 'a vector with NaN or Infinity');
  }
  return dim;
}

/**
 * Read a safetensors file holding one F32 tensor "vectors" [n, d] and the metadata "ids", a JSON
 * array of n distinct item ids (strings, or integers read as their decimal string), and lay it out
 * by `itemIds` as itemVectorsFromMap does. Every problem is E_INVALID_DATA naming the file.
 */
export async function readItemVectors(path: string, itemIds: readonly string[]): Promise<Required<ItemTextVectors>> {
  if (typeof path !== 'string' || path === '') throw invalid('path', 'a file path', path);
  const file = await readVectorFile(path);
  const tensor = vectorTensor(path, file);
  const ids = idsOf(path, file.metadata, tensor.shape[0]!);
  const dim = tensor.shape[1]!;
  const values = asFloat32(tensor);
  const byId = new Map<string, Float32Array>();
  ids.forEach((id, row) => {
    const vector = values.subarray(row * dim, (row + 1) * dim);
    if (!vector.every(Number.isFinite)) throw bad(path, `${TENSOR}[${row}]`, `(item ${JSON.stringify(id)}) holds NaN or Infinity`);
    byId.set(id, vector);
  });
  return itemVectorsFromMap(itemIds, byId);
}

function bad(path: string, field: string, why: string): SeqrecError {
  return new SeqrecError('E_INVALID_DATA', `${path}: ${field} ${why}`, { file: path, field });
}

/** readSafetensors, with its errors as E_INVALID_DATA: this file is data, not a model checkpoint. */
async function readVectorFile(path: string): Promise<SafetensorsFile> {
  try {
    return await readSafetensors(path);
  } catch (e) {
    if (!isSeqrecError(e, 'E_CHECKPOINT')) throw e;
    throw new SeqrecError('E_INVALID_DATA', e.message, e.details, { cause: e });
  }
}

function vectorTensor(path: string, file: SafetensorsFile): TensorRecord {
  const others = file.tensors.filter((t) => t.name !== TENSOR).map((t) => JSON.stringify(t.name));
  const tensor = file.tensors.find((t) => t.name === TENSOR);
  if (tensor === undefined) throw bad(path, `tensor "${TENSOR}"`, `is missing${others.length ? ` (found ${others.join(', ')})` : ''}`);
  if (others.length > 0) throw bad(path, 'tensors', `${others.join(', ')} are not expected; the file must hold only "${TENSOR}"`);
  if (tensor.dtype !== 'F32') throw bad(path, `tensor "${TENSOR}" dtype`, `is ${tensor.dtype}; expected F32`);
  if (tensor.shape.length !== 2 || tensor.shape[0] === 0 || tensor.shape[1] === 0) {
    throw bad(path, `tensor "${TENSOR}" shape`, `is [${tensor.shape.join(', ')}]; expected [n, d] with n, d >= 1`);
  }
  return tensor;
}

function idsOf(path: string, metadata: Record<string, string>, rows: number): string[] {
  const raw = metadata[IDS_KEY];
  if (raw === undefined) throw bad(path, `metadata "${IDS_KEY}"`, 'is missing; expected a JSON array of the item id of each row');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw new SeqrecError(
      'E_INVALID_DATA',
      `${path}: metadata "${IDS_KEY}" is not valid JSON (${(e as Error).message})`,
      { file: path, field: IDS_KEY },
      { cause: e },
    );
  }
  if (!Array.isArray(parsed)) throw bad(path, `metadata "${IDS_KEY}"`, 'is not a JSON array');
  if (parsed.length !== rows) throw bad(path, `metadata "${IDS_KEY}"`, `has ${parsed.length} ids but tensor "${TENSOR}" has ${rows} rows`);
  const seen = new Map<string, number>();
  return parsed.map((value: unknown, row) => {
    if (typeof value !== 'string' && !Number.isSafeInteger(value))
      throw bad(path, `metadata "${IDS_KEY}"[${row}]`, `is ${JSON.stringify(value)}; expected a string or an integer`);
    const id = String(value);
    const first = seen.get(id);
    if (first !== undefined) throw bad(path, `metadata "${IDS_KEY}"[${row}]`, `repeats item ${JSON.stringify(id)} of row ${first}`);
    seen.set(id, row);
    return id;
  });
}

/** `value` checked as one finite text vector per item 0..V, (V+1)·dim row-major (row 0 unused). */
export function checkItemVectors(name: string, value: unknown, numItems: number): ItemTextVectors {
  const v = value as ItemTextVectors | undefined;
  if (!v || typeof v !== 'object' || !(v.data instanceof Float32Array)) throw invalid(name, '{ data: Float32Array, dim } with one row per item 0..V', value);
  const dim = integer(`${name}.dim`, v.dim, 1, 1 << 20);
  if (v.data.length !== (numItems + 1) * dim) {
    throw invalid(`${name}.data`, `(V+1)·dim = ${numItems + 1}·${dim} = ${(numItems + 1) * dim} values (row 0 unused)`, `${v.data.length} values`);
  }
  const bad = v.data.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) throw new SeqrecError('E_INVALID_DATA', `${name}.data[${bad}] (item ${Math.floor(bad / dim)}) is not finite`, { field: name, index: bad });
  return { data: v.data, dim };
}

/**
 * Bring-your-own item vectors: the (V+1, d) layout from a Map (zero rows counted as missing),
 * reading the safetensors "vectors" + "ids" file, and each validation error naming the field.
 */
import { describe, expect, it } from 'vitest';
import { isSeqrecError } from '../../lib/errors.js';
import { encodeSafetensors, tensorBytes, type TensorRecord } from '../../lib/io/safetensors.js';
import { itemVectorsFromMap, readItemVectors } from '../../lib/text/vectors.js';
import { tempFiles } from '../helpers/temp.js';

const file = tempFiles('vectors');
const ITEM_IDS = ['<pad>', 'a', 'b', 'c'];

function vectorFile(
  name: string,
  options: { ids?: unknown; values?: Float32Array; shape?: number[]; extra?: TensorRecord[]; dtype?: 'F32' | 'F64'; metadata?: Record<string, string> } = {},
): string {
  const values = options.values ?? Float32Array.of(1, 2, 3, 4);
  const data = options.dtype === 'F64' ? tensorBytes(Float64Array.from(values)) : tensorBytes(values);
  const tensor: TensorRecord = { name: 'vectors', dtype: options.dtype ?? 'F32', shape: options.shape ?? [2, 2], data };
  const metadata = options.metadata ?? { ids: JSON.stringify(options.ids ?? ['c', 'a']) };
  return file(name, Buffer.from(encodeSafetensors([tensor, ...(options.extra ?? [])], metadata)));
}

describe('itemVectorsFromMap', () => {
  it('lays vectors out by item id with row 0 and missing items zero', () => {
    const out = itemVectorsFromMap(
      ITEM_IDS,
      new Map([
        ['a', Float32Array.of(1, 2)],
        ['c', Float32Array.of(3, 4)],
        ['zzz', Float32Array.of(9, 9)],
      ]),
    );
    expect(out).toEqual({ data: Float32Array.of(0, 0, 1, 2, 0, 0, 3, 4), dim: 2, missing: 1 });
  });

  it.each([
    [[], new Map([['a', Float32Array.of(1)]]), 'itemIds'],
    [ITEM_IDS, new Map(), 'vectors'],
    [ITEM_IDS, { get: () => undefined }, 'vectors'],
    [ITEM_IDS, new Map([['a', [1, 2]]]), 'vectors.get("a")'],
    [
      ITEM_IDS,
      new Map([
        ['a', Float32Array.of(1, 2)],
        ['b', Float32Array.of(1)],
      ]),
      'vectors.get("b")',
    ],
    [ITEM_IDS, new Map([['a', Float32Array.of(1, Number.NaN)]]), 'finite values'],
    [['<pad>', 7], new Map([['a', Float32Array.of(1)]]), 'itemIds[1]'],
  ])('rejects bad input (%#) naming %s', (ids, vectors, name) => {
    const run = () => itemVectorsFromMap(ids as string[], vectors as Map<string, Float32Array>);
    expect(run).toThrow(name);
    try {
      run();
    } catch (e) {
      expect(isSeqrecError(e, 'E_INVALID_OPTION')).toBe(true);
    }
  });
});

describe('readItemVectors', () => {
  it('reads vectors and ids, integer ids as their decimal strings', async () => {
    expect(await readItemVectors(vectorFile('ok.safetensors'), ITEM_IDS)).toEqual({ data: Float32Array.of(0, 0, 3, 4, 0, 0, 1, 2), dim: 2, missing: 1 });
    const numeric = await readItemVectors(vectorFile('numeric.safetensors', { ids: [2, 1] }), ['0', '1', '2']);
    expect(numeric).toEqual({ data: Float32Array.of(0, 0, 3, 4, 1, 2), dim: 2, missing: 0 });
  });

  it.each([
    ['missing ids', { metadata: {} }, 'metadata "ids" is missing'],
    ['ids not JSON', { metadata: { ids: '[a' } }, 'metadata "ids" is not valid JSON'],
    ['ids not an array', { ids: { a: 0 } }, 'metadata "ids" is not a JSON array'],
    ['too few ids', { ids: ['a'] }, 'has 1 ids but tensor "vectors" has 2 rows'],
    ['a bad id', { ids: ['a', null] }, 'metadata "ids"[1] is null'],
    ['a repeated id', { ids: ['a', 'a'] }, 'repeats item "a" of row 0'],
    ['a non-F32 dtype', { dtype: 'F64' }, 'dtype is F64; expected F32'],
    ['a 1-D tensor', { shape: [4] }, 'shape is [4]'],
    ['an extra tensor', { extra: [{ name: 'norms', dtype: 'F32', shape: [0], data: new Uint8Array(0) }] }, '"norms" are not expected'],
    ['a NaN', { values: Float32Array.of(1, 2, Number.NaN, 4) }, 'vectors[1] (item "a") holds NaN'],
  ] as const)('rejects %s with E_INVALID_DATA naming the file', async (label, options, message) => {
    const path = vectorFile(`${label.replace(/ /g, '-')}.safetensors`, options as Parameters<typeof vectorFile>[1]);
    const error = await readItemVectors(path, ITEM_IDS).catch((e: unknown) => e as Error);
    expect(isSeqrecError(error, 'E_INVALID_DATA')).toBe(true);
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toContain(message);
  });

  it('rejects a file without "vectors", a corrupt file and a missing file with E_INVALID_DATA', async () => {
    const other = file('other.safetensors', Buffer.from(encodeSafetensors([{ name: 'emb', dtype: 'F32', shape: [1], data: new Uint8Array(4) }])));
    await expect(readItemVectors(other, ITEM_IDS)).rejects.toMatchObject({
      code: 'E_INVALID_DATA',
      message: expect.stringContaining('tensor "vectors" is missing (found "emb")'),
    });
    await expect(readItemVectors(file('corrupt.safetensors', 'nope'), ITEM_IDS)).rejects.toMatchObject({ code: 'E_INVALID_DATA' });
    await expect(readItemVectors(`${other}.missing`, ITEM_IDS)).rejects.toMatchObject({
      code: 'E_INVALID_DATA',
      message: expect.stringContaining('does not exist'),
    });
  });
});

/**
 * safetensors codec: round trips for every dtype (incl. scalar and zero-sized tensors), a byte-exact
 * hand-built fixture both ways, the 8-byte data alignment, and each decoder/encoder validation error.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SeqrecError } from '../../lib/errors.js';
import {
  asBigInt64,
  asFloat32,
  asInt32,
  decodeSafetensors,
  dtypeSize,
  encodeSafetensors,
  readSafetensors,
  tensorBytes,
  writeSafetensors,
  type SafetensorsDtype,
  type TensorRecord,
} from '../../lib/io/safetensors.js';

const DTYPES: SafetensorsDtype[] = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL'];

function pattern(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7) & 0xff);
}

/** An image whose header is `header` (padded to 8 bytes) followed by `data`. */
function image(header: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const json = new TextEncoder().encode(text.padEnd(Math.ceil(text.length / 8) * 8, ' '));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function decodeError(bytes: Uint8Array): SeqrecError {
  try {
    decodeSafetensors(bytes, 'bad.safetensors');
  } catch (e) {
    expect(e).toBeInstanceOf(SeqrecError);
    const err = e as SeqrecError;
    expect(err.code).toBe('E_CHECKPOINT');
    expect(err.message).toContain('bad.safetensors');
    return err;
  }
  throw new Error('expected decodeSafetensors to throw');
}

function encodeError(tensors: unknown, metadata?: unknown): SeqrecError {
  try {
    encodeSafetensors(tensors as TensorRecord[], metadata as Record<string, string>);
  } catch (e) {
    expect(e).toBeInstanceOf(SeqrecError);
    expect((e as SeqrecError).code).toBe('E_INVALID_OPTION');
    return e as SeqrecError;
  }
  throw new Error('expected encodeSafetensors to throw');
}

const f32 = (name: string, shape: number[], begin: number): Record<string, unknown> => ({
  [name]: { dtype: 'F32', shape, data_offsets: [begin, begin + 4 * shape.reduce((a, b) => a * b, 1)] },
});

describe('safetensors round trip', () => {
  it('round-trips every dtype, in the given order, incl. scalar and zero-sized tensors', () => {
    const tensors: TensorRecord[] = DTYPES.flatMap((dtype, i) => [
      { name: `${dtype}.matrix`, dtype, shape: [2, 3], data: pattern(6 * dtypeSize(dtype), i) },
      { name: `${dtype}.scalar`, dtype, shape: [], data: pattern(dtypeSize(dtype), i + 50) },
      { name: `${dtype}.empty`, dtype, shape: [0, 4], data: new Uint8Array(0) },
    ]);
    const meta = { format: 'pt', 'seqrec.config': '{"d":64}' };
    const out = decodeSafetensors(encodeSafetensors(tensors, meta));
    expect(out.metadata).toEqual(meta);
    expect(out.tensors.map((t) => t.name)).toEqual(tensors.map((t) => t.name));
    out.tensors.forEach((t, i) => {
      const want = tensors[i]!;
      expect(t.dtype).toBe(want.dtype);
      expect(t.shape).toEqual(want.shape);
      expect(Array.from(t.data)).toEqual(Array.from(want.data));
    });
  });

  it('keeps order for integer-like names and handles an empty file', () => {
    const tensors: TensorRecord[] = ['b', '10', '2'].map((name, i) => ({ name, dtype: 'U8', shape: [1], data: Uint8Array.of(i) }));
    expect(decodeSafetensors(encodeSafetensors(tensors)).tensors.map((t) => t.name)).toEqual(['b', '10', '2']);
    expect(decodeSafetensors(encodeSafetensors([]))).toEqual({ tensors: [], metadata: {} });
  });

  it('starts the data buffer 8-byte aligned, padding the header with spaces', () => {
    for (const name of ['a', 'ab', 'abc', 'abcd', 'abcde', 'abcdef', 'abcdefg', 'abcdefgh']) {
      const bytes = encodeSafetensors([{ name, dtype: 'U8', shape: [3], data: Uint8Array.of(1, 2, 3) }]);
      const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      expect((8 + n) % 8).toBe(0);
      const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
      expect(header.trimEnd().endsWith('}')).toBe(true);
      expect(header.slice(header.trimEnd().length)).toMatch(/^ *$/);
      expect(Array.from(bytes.subarray(8 + n))).toEqual([1, 2, 3]);
    }
  });

  it('typed-array helpers copy into fresh aligned arrays and check the dtype', () => {
    const w = Float32Array.of(1.5, -2, 3.25);
    const ids = BigInt64Array.of(-1n, 2n ** 40n);
    const pos = Int32Array.of(7, -8);
    // An odd offset in the image makes the zero-copy views unaligned for 4/8-byte access.
    const bytes = encodeSafetensors([
      { name: 'pad', dtype: 'U8', shape: [1], data: Uint8Array.of(9) },
      { name: 'w', dtype: 'F32', shape: [3], data: tensorBytes(w) },
      { name: 'ids', dtype: 'I64', shape: [2], data: tensorBytes(ids) },
      { name: 'pos', dtype: 'I32', shape: [2], data: tensorBytes(pos) },
    ]);
    const [, tw, tids, tpos] = decodeSafetensors(bytes).tensors;
    expect(tw!.data.buffer).toBe(bytes.buffer); // zero copy
    expect(Array.from(asFloat32(tw!))).toEqual([1.5, -2, 3.25]);
    expect(Array.from(asBigInt64(tids!))).toEqual([-1n, 2n ** 40n]);
    expect(Array.from(asInt32(tpos!))).toEqual([7, -8]);
    const copy = asFloat32(tw!);
    copy[0] = 99;
    expect(asFloat32(tw!)[0]).toBe(1.5);
    expect(() => asInt32(tw!)).toThrow(/Expected dtype I32 for tensor "w" but it is F32/);
    expect(tensorBytes(Float32Array.of(1).subarray(0, 1))).toEqual(Uint8Array.of(0, 0, 0x80, 0x3f));
  });
});

describe('hand-built fixture', () => {
  // 143 bytes of JSON + 1 space = 144 = 0x90, so the data starts at 152 (8-byte aligned).
  const header =
    '{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"ids":{"dtype":"I64","shape":[1,1],"data_offsets":[8,16]}} ';
  const fixture = Uint8Array.of(
    0x90,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    ...new TextEncoder().encode(header),
    0x00,
    0x00,
    0x80,
    0x3f, // 1.0f
    0x00,
    0x00,
    0x20,
    0xc0, // -2.5f
    0x07,
    0,
    0,
    0,
    0,
    0,
    0,
    0, // 7n
  );

  it('decodes to the expected values', () => {
    expect(header.length).toBe(144);
    const file = decodeSafetensors(fixture, 'fixture.safetensors');
    expect(file.metadata).toEqual({ format: 'pt' });
    expect(file.tensors.map((t) => [t.name, t.dtype, t.shape])).toEqual([
      ['w', 'F32', [2]],
      ['ids', 'I64', [1, 1]],
    ]);
    expect(Array.from(asFloat32(file.tensors[0]!))).toEqual([1, -2.5]);
    expect(Array.from(asBigInt64(file.tensors[1]!))).toEqual([7n]);
  });

  it('is reproduced byte for byte by the encoder', () => {
    const bytes = encodeSafetensors(
      [
        { name: 'w', dtype: 'F32', shape: [2], data: tensorBytes(Float32Array.of(1, -2.5)) },
        { name: 'ids', dtype: 'I64', shape: [1, 1], data: tensorBytes(BigInt64Array.of(7n)) },
      ],
      { format: 'pt' },
    );
    expect(Array.from(bytes)).toEqual(Array.from(fixture));
  });
});

describe('decoder validation', () => {
  const data8 = new Uint8Array(8);

  it('rejects files shorter than 8 bytes', () => {
    expect(decodeError(new Uint8Array(5)).message).toMatch(/5 bytes, shorter than the 8-byte header length/);
  });

  it('rejects a header length past the end of the file or above 100 MB', () => {
    const truncated = image(f32('w', [2], 0), data8).subarray(0, 20);
    expect(decodeError(truncated).message).toMatch(/header length \d+ is larger than/);
    const absurd = new Uint8Array(16);
    new DataView(absurd.buffer).setBigUint64(0, 2n ** 62n, true);
    expect(decodeError(absurd).message).toMatch(/header length \d+ exceeds/);
  });

  it('rejects headers that are not UTF-8, not JSON, or not an object', () => {
    const notUtf8 = image('{}');
    notUtf8[9] = 0xff;
    expect(decodeError(notUtf8).message).toMatch(/header is not valid UTF-8/);
    expect(decodeError(image('{"w":')).message).toMatch(/header is not valid JSON/);
    expect(decodeError(image('[1,2]')).message).toMatch(/header is not a JSON object/);
    expect(decodeError(image('null')).message).toMatch(/header is not a JSON object/);
  });

  it('rejects a bad tensor entry, dtype or shape, naming the tensor', () => {
    expect(decodeError(image({ w: 3 })).message).toMatch(/tensor "w" entry is not an object/);
    const dtype = decodeError(image({ w: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)));
    expect(dtype.message).toMatch(/tensor "w" dtype "F8_E4M3" is not one of/);
    expect(dtype.details).toMatchObject({ tensor: 'w', field: 'dtype' });
    for (const shape of [[-1], [1.5], ['2'], 4, [2 ** 53]]) {
      const err = decodeError(image({ w: { dtype: 'U8', shape, data_offsets: [0, 0] } }));
      expect(err.message).toMatch(/tensor "w" shape .* is not an array of non-negative integers/);
    }
  });

  it('rejects malformed data_offsets and byte-length mismatches', () => {
    for (const offsets of [[0], [0, 8, 9], [0, 8.5], ['0', 8], [-4, 4], null]) {
      const err = decodeError(image({ w: { dtype: 'F32', shape: [2], data_offsets: offsets } }, data8));
      expect(err.message).toMatch(/tensor "w" data_offsets .* is not a pair of non-negative integers/);
    }
    const reversed = decodeError(image({ w: { dtype: 'F32', shape: [0], data_offsets: [8, 0] } }, data8));
    expect(reversed.message).toMatch(/tensor "w" data_offsets \[8, 0\] has begin > end/);
    const size = decodeError(image({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, data8));
    expect(size.message).toMatch(/tensor "w" data_offsets \[0, 8\] hold 8 bytes but shape \[3\] of F32 needs 12/);
  });

  it('rejects offsets outside the data buffer, overlaps, gaps and trailing bytes', () => {
    expect(decodeError(image(f32('w', [4], 0), data8)).message).toMatch(/tensor "w" data_offsets \[0, 16\] reach past the end of the 8-byte data buffer/);
    const overlap = decodeError(image({ ...f32('a', [2], 0), ...f32('b', [1], 4) }, data8));
    expect(overlap.message).toMatch(/tensor "b" data_offsets \[4, 8\] overlap the previous tensor/);
    const gap = decodeError(image({ ...f32('a', [1], 0), ...f32('b', [1], 8) }, new Uint8Array(12)));
    expect(gap.message).toMatch(/tensor "b" data_offsets \[8, 12\] leave a gap of 4 bytes/);
    const zeroInside = decodeError(image({ ...f32('a', [2], 0), z: { dtype: 'F32', shape: [0], data_offsets: [4, 4] } }, data8));
    expect(zeroInside.message).toMatch(/tensor "z" .* overlap the previous tensor/);
    expect(decodeError(image(f32('a', [1], 0), data8)).message).toMatch(/4 bytes after the last tensor/);
  });

  it('rejects a __metadata__ that is not an object of strings', () => {
    expect(decodeError(image({ __metadata__: [1] })).message).toMatch(/"__metadata__" is not an object of strings/);
    expect(decodeError(image({ __metadata__: 'x' })).message).toMatch(/"__metadata__" is not an object of strings/);
    const value = decodeError(image({ __metadata__: { epoch: 3 } }));
    expect(value.message).toMatch(/"__metadata__" value for "epoch" is not a string/);
    expect(value.details).toMatchObject({ field: '__metadata__.epoch' });
  });

  it('accepts tensors listed out of data order and returns them in data order', () => {
    const out = decodeSafetensors(image({ ...f32('b', [1], 4), ...f32('a', [1], 0) }, data8));
    expect(out.tensors.map((t) => t.name)).toEqual(['a', 'b']);
  });
});

describe('encoder validation', () => {
  const ok = (over: Partial<TensorRecord> = {}): TensorRecord => ({ name: 'w', dtype: 'F32', shape: [2], data: new Uint8Array(8), ...over });

  it('rejects bad names', () => {
    expect(encodeError([ok({ name: '' })]).message).toMatch(/for tensors\[0\]\.name/);
    expect(encodeError([ok({ name: '__metadata__' })]).message).toMatch(/other than "__metadata__" for tensors\[0\]\.name/);
    expect(encodeError([ok(), ok()]).message).toMatch(/not used by an earlier tensor for tensors\[1\]\.name but received "w"/);
  });

  it('rejects bad dtypes, shapes, data and byte lengths', () => {
    expect(encodeError([ok({ dtype: 'U32' as SafetensorsDtype })]).message).toMatch(/for tensors\[0\]\.dtype/);
    expect(encodeError([ok({ shape: [-2] })]).message).toMatch(/for tensors\[0\]\.shape/);
    expect(encodeError([ok({ data: [0, 0] as unknown as Uint8Array })]).message).toMatch(/a Uint8Array for tensors\[0\]\.data/);
    const err = encodeError([ok({ data: new Uint8Array(7) })]);
    expect(err.message).toMatch(/Expected 8 bytes \(F32 \[2\]\) for tensors\[0\]\.data of "w" but received 7 bytes/);
    expect(encodeError('nope').message).toMatch(/for tensors/);
  });

  it('rejects metadata that is not an object of strings', () => {
    expect(encodeError([ok()], { epoch: 3 }).message).toMatch(/a string for metadata\.epoch/);
    expect(encodeError([ok()], ['x']).message).toMatch(/for metadata/);
  });
});

describe('readSafetensors / writeSafetensors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seqrec-st-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes and reads back a file', async () => {
    const path = join(dir, 'model.safetensors');
    const w = Float32Array.of(0.5, 0.25);
    await writeSafetensors(path, { tensors: [{ name: 'w', dtype: 'F32', shape: [2], data: tensorBytes(w) }], metadata: { step: '12' } });
    const file = await readSafetensors(path);
    expect(file.metadata).toEqual({ step: '12' });
    expect(Array.from(asFloat32(file.tensors[0]!))).toEqual([0.5, 0.25]);
  });

  it('names a missing file', async () => {
    const path = join(dir, 'missing.safetensors');
    await expect(readSafetensors(path)).rejects.toMatchObject({ code: 'E_CHECKPOINT', message: expect.stringContaining(path) });
  });
});

/**
 * Hashing text encoder: MurmurHash3 x86_32 against published reference values, the feature
 * strings of a title written out by hand, pinned buckets and signs (stored vectors must not drift),
 * sublinear tf, unit norm, the zero vector for empty text, similar titles closer than unrelated
 * ones, and each option error.
 */
import { describe, expect, it } from 'vitest';
import { isSeqrecError } from '../../lib/errors.js';
import { HashingTextEncoder, normalizeForHashing, textFeatures, type HashingEncoderOptions } from '../../lib/text/hashing-encoder.js';
import { murmur3 } from '../../lib/text/murmur3.js';

describe('murmur3 (x86_32)', () => {
  it('passes SMHasher verification (0xB0F57EE3)', () => {
    // Keys {}, {0}, {0,1}, … {0..254} hashed with seed 256 - length; their LE hashes hashed again with seed 0.
    const key = Uint8Array.from({ length: 256 }, (_, i) => i);
    const hashes = new DataView(new ArrayBuffer(1024));
    for (let i = 0; i < 256; i++) hashes.setUint32(4 * i, murmur3(key.subarray(0, i), 256 - i), true);
    expect(murmur3(new Uint8Array(hashes.buffer), 0)).toBe(0xb0f57ee3);
  });

  it.each([
    ['', 0, 0],
    ['', 1, 0x514e28b7],
    ['', 0xffffffff, 0x81f16f39],
    ['Hello world', 0, 2911983372],
    ['a', 0x9747b28c, 0x7fa09ea6],
    ['abc', 0x9747b28c, 0xc84a62dd],
    ['aaaa', 0x9747b28c, 0x5a97808a],
    ['Hello, world!', 0x9747b28c, 0x24884cba],
    ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
  ])('murmur3(%j, %d) = %d', (text, seed, expected) => {
    expect(murmur3(text, seed)).toBe(expected);
  });

  it('hashes strings as UTF-8 bytes', () => {
    expect(murmur3(new Uint8Array(4))).toBe(0x2362f9de);
    expect(murmur3('héllo 大')).toBe(murmur3(new TextEncoder().encode('héllo 大')));
  });
});

describe('textFeatures', () => {
  it('normalises width, ligatures, case and accents', () => {
    expect(normalizeForHashing('Ｔｏｙ ＳＴＯＲＹ Café ﬁ')).toBe('toy story cafe fi');
  });

  it('lists words, bigrams and boundary-marked character n-grams of "Toy Story"', () => {
    const toy = ['<to', 'toy', 'oy>', '<toy', 'toy>', '<toy>'];
    const story = ['<st', 'sto', 'tor', 'ory', 'ry>', '<sto', 'stor', 'tory', 'ory>', '<stor', 'story', 'tory>'];
    const expected = ['w:toy', ...toy.map((g) => `c:${g}`), 'w:story', 'b:toy story', ...story.map((g) => `c:${g}`)];
    const features = textFeatures('Toy Story', [3, 5]);
    expect([...features.keys()].sort()).toEqual(expected.sort());
    expect([...features.values()].every((c) => c === 1)).toBe(true);
  });

  it('counts repeats and treats punctuation as a separator', () => {
    const features = textFeatures('Toy-toy: 2!', [3, 3]);
    expect(features.get('w:toy')).toBe(2);
    expect(features.get('b:toy toy')).toBe(1);
    expect(features.get('b:toy 2')).toBe(1);
    expect(features.get('c:<2>')).toBe(1);
    expect(features.get('c:toy')).toBe(2);
  });
});

describe('HashingTextEncoder', () => {
  const wordsOnly: HashingEncoderOptions = { weights: { bigrams: 0, chars: 0 } };
  const row = (v: { data: Float32Array; dim: number }, i: number) => v.data.subarray(i * v.dim, (i + 1) * v.dim);
  const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, j) => s + x * b[j]!, 0);

  it('puts a feature in bucket (h & 0x7fffffff) % dim with the sign of h’s top bit (pinned)', () => {
    // murmur3('w:toy') = 3447580966: top bit set (sign -1), bucket 3447580966 & 0x7fffffff % 256 = 38
    expect(murmur3('w:toy')).toBe(3447580966);
    const v = new HashingTextEncoder(wordsOnly).encode(['Toy']);
    const expected = new Float32Array(256);
    expected[38] = -1;
    expect(v).toEqual({ data: expected, dim: 256 });
  });

  it('damps repeats to 1 + ln(tf) before normalising', () => {
    // 'w:story' = 2517342424: sign -1, bucket 216
    const v = new HashingTextEncoder(wordsOnly).encode(['toy toy story']).data;
    const tf = 1 + Math.log(2);
    expect(v[38]).toBeCloseTo(-tf / Math.hypot(tf, 1), 6);
    expect(v[216]).toBeCloseTo(-1 / Math.hypot(tf, 1), 6);
    expect(v.filter((x) => x !== 0).length).toBe(2);
  });

  it('is deterministic, and the seed changes the hashing', () => {
    const texts = ['Toy Story (1995)', 'Heat', 'Amélie'];
    expect(new HashingTextEncoder().encode(texts)).toEqual(new HashingTextEncoder().encode(texts));
    expect(new HashingTextEncoder({ seed: 7 }).encode(texts).data).not.toEqual(new HashingTextEncoder().encode(texts).data);
  });

  it('gives unit rows, and the zero vector for text without letters or digits', () => {
    const v = new HashingTextEncoder({ dim: 64 }).encode(['Toy Story', 'Heat (1995)', '', '!!! ...', '大家好']);
    expect(v.dim).toBe(64);
    expect(v.data.length).toBe(5 * 64);
    for (const i of [0, 1, 4]) expect(dot(row(v, i), row(v, i))).toBeCloseTo(1, 5);
    for (const i of [2, 3]) expect(row(v, i).every((x) => x === 0)).toBe(true);
    expect(new HashingTextEncoder().encode([])).toEqual({ data: new Float32Array(0), dim: 256 });
  });

  it('places similar titles closer than unrelated ones', () => {
    const v = new HashingTextEncoder().encode(['Toy Story', 'Toy Story 2', 'Toys Stories', 'Heat', 'The Godfather']);
    const sequel = dot(row(v, 0), row(v, 1));
    const inflected = dot(row(v, 0), row(v, 2));
    expect(sequel).toBeGreaterThan(0.8);
    expect(inflected).toBeGreaterThan(0.2);
    for (const unrelated of [3, 4]) {
      expect(sequel).toBeGreaterThan(dot(row(v, 0), row(v, unrelated)) + 0.5);
      expect(inflected).toBeGreaterThan(dot(row(v, 0), row(v, unrelated)));
    }
  });

  it('reports the resolved options', () => {
    expect(new HashingTextEncoder({ dim: 32, weights: { chars: 0 } }).config).toEqual({
      dim: 32,
      charNgrams: [3, 5],
      weights: { words: 1, bigrams: 1, chars: 0 },
      seed: 0,
    });
  });

  it.each([
    [{ dim: 0 }, 'options.dim'],
    [{ dim: 1.5 }, 'options.dim'],
    [{ dims: 8 }, 'did you mean options.dim'],
    [{ charNgrams: [5, 3] }, 'options.charNgrams'],
    [{ charNgrams: [0, 2] }, 'options.charNgrams'],
    [{ charNgrams: 3 }, 'options.charNgrams'],
    [{ weights: { word: 1 } }, 'did you mean options.weights.words'],
    [{ weights: { chars: -1 } }, 'options.weights.chars'],
    [{ weights: { words: 0, bigrams: 0, chars: 0 } }, 'at least one weight above 0'],
    [{ seed: -1 }, 'options.seed'],
    [{ seed: 2 ** 32 }, 'options.seed'],
  ])('rejects %j', (options, message) => {
    expect(() => new HashingTextEncoder(options as HashingEncoderOptions)).toThrow(message);
    try {
      new HashingTextEncoder(options as HashingEncoderOptions);
    } catch (e) {
      expect(isSeqrecError(e, 'E_INVALID_OPTION')).toBe(true);
    }
  });

  it('rejects texts that are not an array of strings', () => {
    const encoder = new HashingTextEncoder();
    expect(() => encoder.encode('Toy Story' as never)).toThrow('texts');
    expect(() => encoder.encode(['ok', 3 as never])).toThrow('texts[1]');
  });
});

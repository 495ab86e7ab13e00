/**
 * MurmurHash3 x86_32 (Austin Appleby, public domain; reference: smhasher/src/MurmurHash3.cpp),
 * the 32-bit hash scikit-learn's HashingVectorizer and Vowpal Wabbit use for feature hashing.
 * Strings are hashed as their UTF-8 bytes. Not for cryptography.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
const utf8 = new TextEncoder();

/** The unsigned 32-bit MurmurHash3 x86_32 of `key` (a string is hashed as UTF-8) with `seed`. */
export function murmur3(key: Uint8Array | string, seed = 0): number {
  const bytes = typeof key === 'string' ? utf8.encode(key) : key;
  const tail = bytes.length & ~3;
  let h = seed >>> 0;
  for (let i = 0; i < tail; i += 4) {
    h ^= scramble(bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    h = rotl(h, 13);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  if ((bytes.length & 3) >= 3) k ^= bytes[tail + 2]! << 16;
  if ((bytes.length & 3) >= 2) k ^= bytes[tail + 1]! << 8;
  if ((bytes.length & 3) >= 1) h ^= scramble(k ^ bytes[tail]!);
  return finalMix(h ^ bytes.length) >>> 0;
}

function scramble(k: number): number {
  return Math.imul(rotl(Math.imul(k, C1), 15), C2);
}

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

/** fmix32: forces every input bit to affect every output bit. */
function finalMix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

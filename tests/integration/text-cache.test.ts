/**
 * BertTextEncoder's persistent embedding cache (options.cacheDir): cached vectors equal freshly
 * computed ones bit for bit; a later encoder over the same folder reads them instead of encoding
 * (a planted vector comes back as stored); equal texts are encoded once; a cancelled encode keeps
 * the batches it finished; another pooling or other weights get a file of their own; and a damaged
 * or foreign file is refused naming it.
 */
import { copyFileSync, cpSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BertTextEncoder, type EncodeProgress } from '../../lib/index.js';
import { asFloat32, readSafetensors, writeSafetensors } from '../../lib/io/safetensors.js';
import { textKey } from '../../lib/text/embedding-cache.js';
import { rejection } from '../helpers/errors.js';
import { removeTinyBerts, writeTinyBert } from '../helpers/tiny-bert.js';
import { tempDir } from '../helpers/temp.js';

const TEXTS = ['Toy Story (1995)', 'hello world!', 'unaffable', 'the playing cafe, a 2 toys', '大家好', 'story'];
const root = tempDir('text-cache');
let folders = 0;
const freshDir = (): string => join(root, `cache-${folders++}`);

afterAll(removeTinyBerts);

async function encodeLogged(encoder: BertTextEncoder, texts: string[], signal?: AbortSignal): Promise<{ data: Float32Array; seen: EncodeProgress[] }> {
  const seen: EncodeProgress[] = [];
  const { data } = await encoder.encode(texts, { onProgress: (p) => seen.push(p), ...(signal && { signal }) });
  return { data, seen };
}

describe('text embedding cache', () => {
  it('stores vectors equal to uncached ones and serves them to a later encoder instead of encoding', async () => {
    const tiny = await writeTinyBert({ seed: 1 });
    const cacheDir = freshDir();
    await using plain = await BertTextEncoder.load(tiny.folder, { batchSize: 4, threads: 1 });
    const expected = (await plain.encode(TEXTS)).data;
    {
      await using cached = await BertTextEncoder.load(tiny.folder, { batchSize: 4, threads: 1, cacheDir });
      const first = await encodeLogged(cached, TEXTS);
      expect(Buffer.from(first.data.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
      expect(first.seen.map((p) => [p.done, p.reused])).toEqual([
        [4, 0],
        [6, 0],
      ]);
      expect(cached.cachePath).toBe(join(cacheDir, `bert-${cached.fingerprint.slice(0, 16)}.safetensors`));
    }
    // Plant a vector for "story": a cache hit must return it as stored, which no encoding would.
    await using probe = await BertTextEncoder.load(tiny.folder, { threads: 1, cacheDir });
    const file = await readSafetensors(probe.cachePath!);
    const keys = JSON.parse(file.metadata.keys!) as string[];
    expect(new Set(keys)).toEqual(new Set(TEXTS.map(textKey)));
    const values = Float32Array.from(asFloat32(file.tensors[0]!));
    values.fill(0.5, keys.indexOf(textKey('story')) * 8, (keys.indexOf(textKey('story')) + 1) * 8);
    await writeSafetensors(probe.cachePath!, { ...file, tensors: [{ ...file.tensors[0]!, data: new Uint8Array(values.buffer) }] });

    await using again = await BertTextEncoder.load(tiny.folder, { batchSize: 4, threads: 1, cacheDir });
    const texts = ['story', 'toy story', ...TEXTS, 'toy story'];
    const second = await encodeLogged(again, texts);
    expect(second.seen.map((p) => [p.done, p.reused])).toEqual([
      [7, 7],
      [9, 8],
    ]); // 7 hits, then 'toy story' once for two rows
    expect(Array.from(second.data.subarray(0, 8))).toEqual(new Array(8).fill(0.5));
    expect(Array.from(second.data.subarray(2 * 8, 8 * 8))).toEqual(Array.from(expected.subarray(0, 5 * 8)).concat(new Array(8).fill(0.5)));
    expect(Array.from(second.data.subarray(8, 16))).toEqual(Array.from(second.data.subarray(8 * 8, 9 * 8)));
    const uncachedToy = (await plain.encode(['toy story'])).data;
    expect(Array.from(second.data.subarray(8, 16))).toEqual(Array.from(uncachedToy));
    expect(JSON.parse((await readSafetensors(again.cachePath!)).metadata.keys!)).toHaveLength(7);
  });

  it('keeps the batches an aborted encode finished, so the next call resumes', async () => {
    const tiny = await writeTinyBert({ seed: 2 });
    const cacheDir = freshDir();
    await using encoder = await BertTextEncoder.load(tiny.folder, { batchSize: 2, threads: 1, cacheDir });
    const controller = new AbortController();
    const aborted = encoder.encode(TEXTS, { signal: controller.signal, onProgress: (p) => p.done >= 4 && controller.abort() });
    expect((await rejection(aborted)).code).toBe('E_ABORTED');
    await using resumed = await BertTextEncoder.load(tiny.folder, { batchSize: 2, threads: 1, cacheDir });
    const { seen } = await encodeLogged(resumed, TEXTS);
    expect(seen.map((p) => [p.done, p.reused])).toEqual([
      [4, 4],
      [6, 4],
    ]);
  });

  it('gives another pooling and other weights files of their own', async () => {
    const [a, b] = [await writeTinyBert({ seed: 3 }), await writeTinyBert({ seed: 4 })];
    const cacheDir = freshDir();
    const fingerprints = new Set<string>();
    for (const [folder, pooling] of [
      [a.folder, 'mean'],
      [a.folder, 'cls'],
      [b.folder, 'mean'],
    ] as const) {
      await using encoder = await BertTextEncoder.load(folder, { pooling, threads: 1, cacheDir });
      await encoder.encode(TEXTS);
      fingerprints.add(encoder.fingerprint);
    }
    expect(fingerprints.size).toBe(3);
    expect(readdirSync(cacheDir).sort()).toEqual([...fingerprints].map((f) => `bert-${f.slice(0, 16)}.safetensors`).sort());
    // the same files in another folder are the same encoder
    const moved = join(root, 'moved-bert');
    cpSync(a.folder, moved, { recursive: true });
    await using original = await BertTextEncoder.load(a.folder, { threads: 1 });
    await using copy = await BertTextEncoder.load(moved, { threads: 1 });
    expect(copy.fingerprint).toBe(original.fingerprint);
  });

  it('refuses a damaged or foreign cache file naming it, and a bad cacheDir', async () => {
    const tiny = await writeTinyBert({ seed: 5 });
    const [cacheA, cacheB] = [freshDir(), freshDir()];
    let pathA: string;
    {
      await using encoder = await BertTextEncoder.load(tiny.folder, { threads: 1, cacheDir: cacheA });
      await encoder.encode(TEXTS);
      pathA = encoder.cachePath!;
    }
    const other = await BertTextEncoder.load(tiny.folder, { threads: 1, pooling: 'cls', cacheDir: cacheB });
    await other.encode(TEXTS);
    other.dispose();
    copyFileSync(other.cachePath!, pathA); // another encoder's vectors under this encoder's name
    let e = await rejection(BertTextEncoder.load(tiny.folder, { threads: 1, cacheDir: cacheA }));
    expect(e.code).toBe('E_INVALID_DATA');
    expect(e.message).toContain(pathA);
    expect(e.message).toMatch(/belongs to another encoder.*delete the file/);
    writeFileSync(pathA, 'not safetensors');
    e = await rejection(BertTextEncoder.load(tiny.folder, { threads: 1, cacheDir: cacheA }));
    expect(e.code).toBe('E_INVALID_DATA');
    expect(e.message).toMatch(/not a readable safetensors file/);
    e = await rejection(BertTextEncoder.load(tiny.folder, { cacheDir: '' }));
    expect(e.message).toMatch(/options.cacheDir/);
  });
});

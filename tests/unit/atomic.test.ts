/**
 * writeFileAtomic: replaces files whole, never leaves temp files behind, and leaves the old
 * target intact when the write fails or is aborted.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SeqrecError } from '../../lib/errors.js';
import { writeFileAtomic } from '../../lib/io/atomic.js';
import { subfolders, tempDir } from '../helpers/temp.js';

const freshDir = subfolders(tempDir('atomic'));

describe('writeFileAtomic', () => {
  it('writes bytes and strings, leaving only the target', async () => {
    const dir = freshDir();
    await writeFileAtomic(join(dir, 'a.bin'), Uint8Array.of(1, 2, 3));
    await writeFileAtomic(join(dir, 'b.txt'), 'héllo');
    expect(readdirSync(dir).sort()).toEqual(['a.bin', 'b.txt']);
    expect(Array.from(readFileSync(join(dir, 'a.bin')))).toEqual([1, 2, 3]);
    expect(readFileSync(join(dir, 'b.txt'), 'utf8')).toBe('héllo');
  });

  it('replaces an existing file', async () => {
    const dir = freshDir();
    const path = join(dir, 'ckpt');
    writeFileSync(path, 'old contents that are longer');
    await writeFileAtomic(path, 'new', { signal: new AbortController().signal });
    expect(readFileSync(path, 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['ckpt']);
  });

  it('throws E_CHECKPOINT naming the path when the directory does not exist', async () => {
    const dir = freshDir();
    const path = join(dir, 'missing', 'ckpt');
    const err = await writeFileAtomic(path, 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SeqrecError);
    expect(err).toMatchObject({ code: 'E_CHECKPOINT' });
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toMatch(/does not exist/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('throws E_ABORTED for an already-aborted signal and keeps the old file', async () => {
    const dir = freshDir();
    const path = join(dir, 'ckpt');
    writeFileSync(path, 'old');
    const ac = new AbortController();
    ac.abort();
    await expect(writeFileAtomic(path, 'new', { signal: ac.signal })).rejects.toMatchObject({ code: 'E_ABORTED' });
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['ckpt']);
  });

  it('removes the temp file and keeps the old file when aborted mid-write', async () => {
    const dir = freshDir();
    const path = join(dir, 'ckpt');
    writeFileSync(path, 'old');
    const ac = new AbortController();
    const pending = writeFileAtomic(path, new Uint8Array(1 << 20), { signal: ac.signal });
    ac.abort();
    await expect(pending).rejects.toMatchObject({ code: 'E_ABORTED' });
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['ckpt']);
  });

  it('removes the temp file and keeps the old target when the rename fails', async () => {
    const dir = freshDir();
    const path = join(dir, 'target');
    // Renaming a file over a non-empty directory fails (EISDIR / ENOTEMPTY) after the temp file is written.
    mkdirSync(path);
    writeFileSync(join(path, 'inner'), 'old');
    await expect(writeFileAtomic(path, 'new')).rejects.toMatchObject({ code: 'E_CHECKPOINT', message: expect.stringContaining(path) });
    expect(readdirSync(dir)).toEqual(['target']);
    expect(readFileSync(join(path, 'inner'), 'utf8')).toBe('old');
  });
});

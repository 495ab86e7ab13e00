/**
 * Test helpers: temporary folders and fixture files. Call them at the top level of a test file:
 * each folder is removed, with everything in it, after that file's tests (afterAll).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** A fresh folder `<tmp>/seqrec-<prefix>-…`. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `seqrec-${prefix}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A function that makes a new empty folder under `root` at each call. */
export function subfolders(root: string): () => string {
  let n = 0;
  return () => mkdtempSync(join(root, `case${n++}-`));
}

/** A function that writes `content` to a new file (unique name per call) in a fresh temporary folder. */
export function tempFiles(prefix: string): (name: string, content: string | Buffer) => string {
  const dir = tempDir(prefix);
  let n = 0;
  return (name, content) => {
    const path = join(dir, `${n++}-${name}`);
    writeFileSync(path, content);
    return path;
  };
}

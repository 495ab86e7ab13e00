/** Test helper: write small fixture files into a fresh temporary folder (unique names per call). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempFiles(prefix: string): (name: string, content: string | Buffer) => string {
  const dir = mkdtempSync(join(tmpdir(), `seqrec-${prefix}-`));
  let n = 0;
  return (name, content) => {
    const path = join(dir, `${n++}-${name}`);
    writeFileSync(path, content);
    return path;
  };
}

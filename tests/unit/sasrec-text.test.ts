import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { tempFiles } from './temp-files.js';
import { readSasrecText } from '../../lib/data/readers/sasrec-text.js';
import { isSeqrecError } from '../../lib/errors.js';

const file = tempFiles('sasrec');

describe('readSasrecText', () => {
  it('groups lines by user in file order, users sorted by id', async () => {
    const data = await readSasrecText(file('a.txt', '2 5\n1 3\n1 1\n2 4\n\n1 2\n'));
    expect(data.numUsers).toBe(2);
    expect(data.numItems).toBe(5);
    expect(data.userIds).toEqual(['1', '2']);
    expect([...data.sequence(0)]).toEqual([3, 1, 2]);
    expect([...data.sequence(1)]).toEqual([5, 4]);
  });

  it('reads gzip transparently', async () => {
    const data = await readSasrecText(file('b.txt.gz', gzipSync('1 1\n1 2\n')));
    expect([...data.sequence(0)]).toEqual([1, 2]);
  });

  it.each([
    ['1 2 3\n', 'line', 1],
    ['1 2\nx 2\n', 'user', 2],
    ['1 2\n1 0\n', 'item', 2],
    ['1 2\n1 2.5\n', 'item', 2],
  ])('rejects %j naming the field and line', async (text, field, line) => {
    const path = file(`bad-${field}-${line}.txt`, text);
    const error = await readSasrecText(path).catch((e: unknown) => e);
    expect(isSeqrecError(error, 'E_INVALID_DATA')).toBe(true);
    expect((error as Error).message).toContain(`${path}:${line}: ${field}`);
  });

  it('rejects an empty file and a missing file with E_INVALID_DATA', async () => {
    await expect(readSasrecText(file('empty.txt', ''))).rejects.toMatchObject({ code: 'E_INVALID_DATA' });
    await expect(readSasrecText(join(tmpdir(), 'seqrec-no-such-dir', 'missing.txt'))).rejects.toMatchObject({ code: 'E_INVALID_DATA' });
  });

  const ml1m = fileURLToPath(new URL('../../../shared/data/ml-1m-sasrec/ml-1m.txt', import.meta.url));
  it.skipIf(!existsSync(ml1m))('reads the ML-1M file of the published numbers', async () => {
    const data = await readSasrecText(ml1m);
    expect([data.numUsers, data.numItems, data.numInteractions]).toEqual([6040, 3416, 999611]);
  });
});

/**
 * readJsonl: default and mapped properties, times, file order without time, gzip, file:line errors,
 * lenient mode, option validation, cancellation and progress.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { tempFiles } from '../helpers/temp.js';
import type { Dataset } from '../../lib/data/dataset.js';
import { readJsonl } from '../../lib/data/readers/jsonl.js';

const file = tempFiles('jsonl');
const seqs = (d: Dataset) => d.userIds!.map((u, i) => [u, [...d.sequence(i)].map((x) => d.itemIds![x])]);
const jsonl = (...rows: unknown[]) => rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';

describe('readJsonl', () => {
  it('reads default fields; toDataset maps ids and orders by time', async () => {
    const path = file(
      'a.jsonl',
      jsonl({ user: 'u1', item: 'b', time: 20, rating: 5 }, { user: 'u1', item: 'a', time: 10, rating: 4 }, '', {
        user: 2,
        item: 'c',
        time: 1,
        rating: 1,
        extra: [1],
      }),
    );
    const { log, skipped } = await readJsonl(path);
    expect(skipped).toBe(0);
    const { dataset } = log.toDataset({ minRating: 2 });
    expect(seqs(dataset)).toEqual([['u1', ['a', 'b']]]);
    expect([...dataset.times!]).toEqual([10, 20]);
  });

  it('maps property names, accepts numeric strings, reads gzip', async () => {
    const path = file('b.jsonl.gz', gzipSync(jsonl({ reviewer: 'x', asin: 'B1', unixTime: '300' }, { reviewer: 'x', asin: 'B2', unixTime: 100 })));
    const { log } = await readJsonl(path, { fields: { user: 'reviewer', item: 'asin', time: 'unixTime' } });
    expect(seqs(log.toDataset().dataset)).toEqual([['x', ['B2', 'B1']]]);
  });

  it('uses file order without time, and ignores a field set to null', async () => {
    const path = file('c.jsonl', jsonl({ user: 1, item: 'z' }, { user: 1, item: 'y' }));
    const untimed = (await readJsonl(path)).log.toDataset().dataset;
    expect(seqs(untimed)).toEqual([['1', ['z', 'y']]]);
    expect(untimed.times).toBeUndefined();
    const timed = file('d.jsonl', jsonl({ user: 1, item: 'z', time: 'soon' }, { user: 1, item: 'y', time: 'now' }));
    expect(seqs((await readJsonl(timed, { fields: { time: null } })).log.toDataset().dataset)).toEqual([['1', ['z', 'y']]]);
  });

  it.each([
    ['{"user":1,"item":2}\n{"user":1,"item":\n', 'line', 'is not valid JSON'],
    ['{"user":1,"item":2}\n[1,2]\n', 'line', 'is not a JSON object'],
    ['{"user":1,"item":2}\n{"item":2}\n', 'user', 'is missing'],
    ['{"user":1,"item":2}\n{"user":1,"item":true}\n', 'item', 'true is not a string or number'],
    ['{"user":1,"item":2}\n{"user":"","item":3}\n', 'user', 'is empty'],
    ['{"user":1,"item":2,"time":1}\n{"user":1,"item":3,"time":"x"}\n', 'time', '"x" is not a number'],
    ['{"user":1,"item":2,"time":1}\n{"user":1,"item":3}\n', 'time', 'is missing'],
    ['{"user":1,"item":2}\n{"user":1,"item":3,"rating":4}\n', 'rating', 'is present but the first record has none'],
  ])('names file:line and field of bad input %j', async (content, field, why) => {
    const path = file('bad.jsonl', content);
    await expect(readJsonl(path)).rejects.toMatchObject({
      code: 'E_INVALID_DATA',
      message: expect.stringContaining(`${path}:2: ${field} ${why}`),
      details: { file: path, line: 2, field },
    });
  });

  it('requires an explicitly named field on every line', async () => {
    const path = file('e.jsonl', jsonl({ user: 1, item: 2 }));
    await expect(readJsonl(path, { fields: { rating: 'stars' } })).rejects.toThrow(`${path}:1: stars is missing`);
  });

  it('skips and counts malformed lines when lenient', async () => {
    const path = file(
      'f.jsonl',
      jsonl({ user: 1, item: 'a', time: 1 }, 'oops', { user: 1, item: 'b' }, { user: 1, item: 'c', time: 'x' }, 'null', { user: 1, item: 'd', time: 0 }),
    );
    const { log, skipped } = await readJsonl(path, { lenient: true });
    expect(skipped).toBe(4);
    expect(seqs(log.toDataset().dataset)).toEqual([['1', ['d', 'a']]]);
  });

  it('rejects empty files and bad options; honours an AbortSignal; reports progress', async () => {
    await expect(readJsonl(file('g.jsonl', ''))).rejects.toMatchObject({ code: 'E_INVALID_DATA', message: expect.stringContaining('has no interactions') });
    await expect(readJsonl(file('h.jsonl', '\n\n'))).rejects.toMatchObject({ code: 'E_INVALID_DATA' });
    await expect(readJsonl(join(tmpdir(), 'seqrec-no-such-dir', 'missing.jsonl'))).rejects.toMatchObject({
      code: 'E_INVALID_DATA',
      message: expect.stringContaining('cannot read'),
    });
    const path = file('i.jsonl', jsonl({ user: 1, item: 2 }, { user: 1, item: 3 }));
    await expect(readJsonl(path, { feilds: {} } as never)).rejects.toThrow(/did you mean options.fields/);
    await expect(readJsonl(path, { fields: { user: 3 } as never })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
    await expect(readJsonl(path, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'E_ABORTED' });
    const seen: number[] = [];
    await readJsonl(path, { onProgress: (lines) => seen.push(lines) });
    expect(seen).toEqual([2]);
  });
});

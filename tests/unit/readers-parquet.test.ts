/**
 * readParquet on fixtures written with hyparquet-writer: ids (strings and INT64), times (numbers and
 * TIMESTAMP), ratings, default column names, file order without time, row errors and lenient mode, a
 * missing column, progress per row group, cancellation, and the error when hyparquet is not installed.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it, vi } from 'vitest';
import { tempFiles } from '../helpers/temp.js';
import type { Dataset } from '../../lib/data/dataset.js';
import { readParquet } from '../../lib/data/readers/parquet.js';

const file = tempFiles('parquet');
const seqs = (d: Dataset) => d.userIds!.map((u, i) => [u, [...d.sequence(i)].map((x) => d.itemIds![x])]);
type Columns = Parameters<typeof parquetWriteBuffer>[0]['columnData'];
const parquet = (name: string, columnData: Columns, rowGroupSize?: number) =>
  file(name, Buffer.from(parquetWriteBuffer({ columnData, ...(rowGroupSize !== undefined && { rowGroupSize }) })));

const events = parquet('events.parquet', [
  { name: 'user_id', data: ['u2', 'u1', 'u2', 'u1'], type: 'STRING' },
  { name: 'movie', data: [10n, 20n, 30n, 10n], type: 'INT64' },
  { name: 'ts', data: [300, 50, 100, 40], type: 'DOUBLE' },
  { name: 'stars', data: [5, 2, 4, 5], type: 'INT32' },
]);

describe('readParquet', () => {
  it('reads the named columns: INT64 ids as strings, times, ratings', async () => {
    const { log, skipped } = await readParquet(events, { user: 'user_id', item: 'movie', time: 'ts', rating: 'stars' });
    expect(skipped).toBe(0);
    const { dataset } = log.toDataset({ minRating: 3 });
    expect(seqs(dataset)).toEqual([
      ['u2', ['30', '10']],
      ['u1', ['10']],
    ]);
    expect([...dataset.times!]).toEqual([100, 300, 40]);
  });

  it('uses file order and gives no times without a time column', async () => {
    await expect(readParquet(events, { user: 'user_id', item: 'movie' })).rejects.toThrow(/has a column "ts" that looks like an event time/);
    const { log } = await readParquet(events, { user: 'user_id', item: 'movie', time: null });
    const { dataset } = log.toDataset();
    expect(seqs(dataset)).toEqual([
      ['u2', ['10', '30']],
      ['u1', ['20', '10']],
    ]);
    expect(dataset.times).toBeUndefined();
  });

  it('defaults to the columns user, item, and time / rating when present; null turns them off', async () => {
    const path = parquet('defaults.parquet', [
      { name: 'item', data: ['x', 'y', 'z'], type: 'STRING' },
      { name: 'user', data: [7, 7, 8], type: 'INT32' },
      { name: 'time', data: [20, 10, 5], type: 'INT32' },
    ]);
    const { dataset } = (await readParquet(path)).log.toDataset();
    expect(seqs(dataset)).toEqual([
      ['7', ['y', 'x']],
      ['8', ['z']],
    ]);
    expect([...dataset.times!]).toEqual([10, 20, 5]);
    expect((await readParquet(path, { time: null })).log.toDataset().dataset.times).toBeUndefined();
  });

  it('turns a TIMESTAMP column into seconds', async () => {
    const path = parquet('stamped.parquet', [
      { name: 'user', data: ['a', 'a'], type: 'STRING' },
      { name: 'item', data: ['x', 'y'], type: 'STRING' },
      { name: 'when', data: [new Date(2_000_500), new Date(1_000_000)], type: 'TIMESTAMP' },
    ]);
    const { dataset } = (await readParquet(path, { user: 'user', item: 'item', time: 'when' })).log.toDataset();
    expect(seqs(dataset)).toEqual([['a', ['y', 'x']]]);
    expect([...dataset.times!]).toEqual([1000, 2000.5]);
  });

  it('names file:row and column of a bad value, or skips and counts it when lenient', async () => {
    const path = parquet('nulls.parquet', [
      { name: 'user', data: ['a', null, 'b'], type: 'STRING' },
      { name: 'item', data: ['x', 'y', 'z'], type: 'STRING' },
    ]);
    await expect(readParquet(path, { user: 'user', item: 'item' })).rejects.toMatchObject({
      code: 'E_INVALID_DATA',
      message: `${path}:2: user null is not a string or number`,
      details: { file: path, line: 2, field: 'user' },
    });
    const { log, skipped } = await readParquet(path, { user: 'user', item: 'item', lenient: true });
    expect([log.length, skipped]).toEqual([2, 1]);
  });

  it('rejects a column that is not in the file, naming it and listing the columns', async () => {
    await expect(readParquet(events, { user: 'user_id', item: 'movie', time: 'timestamp' })).rejects.toMatchObject({
      code: 'E_INVALID_OPTION',
      message: `options.time: column "timestamp" is not in the header of ${events} (user_id, movie, ts, stars)`,
      details: { option: 'options.time', column: 'timestamp' },
    });
    await expect(readParquet(events, { user: 'user', item: 'movie' })).rejects.toThrow(/options.user: column "user"/);
  });

  it('validates options and reports unreadable files as E_INVALID_DATA', async () => {
    await expect(readParquet(events, { item: 'movie' })).rejects.toMatchObject({ code: 'E_INVALID_OPTION', details: { option: 'options.user' } });
    await expect(readParquet(events, { user: 'user_id', item: 'movie', rating: 5 } as never)).rejects.toMatchObject({
      code: 'E_INVALID_OPTION',
      details: { option: 'options.rating' },
    });
    await expect(readParquet(events, { user: 'user_id', item: 'movie', tme: 'ts' } as never)).rejects.toThrow(/did you mean options.time/);
    await expect(readParquet(join(tmpdir(), 'seqrec-no-such-dir', 'x.parquet'), { user: 'u', item: 'i' })).rejects.toMatchObject({
      code: 'E_INVALID_DATA',
      message: expect.stringContaining('cannot read'),
    });
    await expect(readParquet(file('not.parquet', 'user,item\n1,2\n'), { user: 'u', item: 'i' })).rejects.toMatchObject({ code: 'E_INVALID_DATA' });
  });

  it('reports progress in rows between row groups and at the end, and honours an AbortSignal', async () => {
    const path = parquet(
      'groups.parquet',
      [
        { name: 'user', data: ['a', 'a', 'b', 'b', 'c'], type: 'STRING' },
        { name: 'item', data: ['1', '2', '3', '4', '5'], type: 'STRING' },
      ],
      2,
    );
    const seen: number[] = [];
    await readParquet(path, { user: 'user', item: 'item', onProgress: (rows) => seen.push(rows) });
    expect(seen).toEqual([2, 4, 5]);
    await expect(readParquet(path, { user: 'user', item: 'item', signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'E_ABORTED' });
    const controller = new AbortController();
    await expect(readParquet(path, { user: 'user', item: 'item', signal: controller.signal, onProgress: () => controller.abort() })).rejects.toMatchObject({
      code: 'E_ABORTED',
      details: { line: 2 },
    });
  });

  it('says how to install hyparquet when it is missing', async () => {
    vi.resetModules();
    vi.doMock('hyparquet', () => {
      throw new Error("Cannot find package 'hyparquet'");
    });
    try {
      const { readParquet: read } = await import('../../lib/data/readers/parquet.js');
      const error = await read(events, { user: 'user_id', item: 'movie' }).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'E_MISSING_DEPENDENCY',
        message: 'Reading Parquet needs the optional package hyparquet: npm install hyparquet',
      });
      expect((error as Error).cause).toBeInstanceOf(Error); // the failed import, kept for debugging
    } finally {
      vi.doUnmock('hyparquet');
      vi.resetModules();
    }
  });
});

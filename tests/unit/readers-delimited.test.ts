/**
 * readDelimited: header names and indices, time order and times, file order without time, gzip, BOM,
 * quoting, file:line errors, lenient mode, option validation, cancellation and progress.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { tempFiles } from '../helpers/temp.js';
import type { Dataset } from '../../lib/data/dataset.js';
import { readDelimited } from '../../lib/data/readers/delimited.js';

const file = tempFiles('csv');
const seqs = (d: Dataset) => d.userIds!.map((u, i) => [u, [...d.sequence(i)].map((x) => d.itemIds![x])]);

describe('readDelimited', () => {
  it('reads default header names; toDataset maps ids and orders by time', async () => {
    const path = file('a.csv', 'user,item,time,rating\nu2,b,30,5\nu1,a,20,3\nu2,a,10,4\nu1,c,5,1\n');
    const { log, skipped } = await readDelimited(path);
    expect(skipped).toBe(0);
    expect(log.length).toBe(4);
    const { dataset } = log.toDataset({ minRating: 3 });
    expect(seqs(dataset)).toEqual([
      ['u2', ['a', 'b']],
      ['u1', ['a']],
    ]);
    expect(dataset.itemIds).toEqual(['', 'a', 'b']);
    expect([...dataset.times!]).toEqual([10, 30, 20]);
  });

  it('maps header columns by name and ignores the others', async () => {
    const path = file('b.csv', 'movieId,extra,userId,ts\n7,x,1,200\n8,y,1,100\n');
    const { log } = await readDelimited(path, { columns: { user: 'userId', item: 'movieId', time: 'ts' } });
    expect(seqs(log.toDataset().dataset)).toEqual([['1', ['8', '7']]]);
  });

  it('reads without a header by 0-based index', async () => {
    const path = file('c.csv', '9,1,300\n8,1,100\n9,2,5\n');
    const { log } = await readDelimited(path, { header: false, columns: { user: 1, item: 0, time: 2 } });
    expect(seqs(log.toDataset().dataset)).toEqual([
      ['1', ['8', '9']],
      ['2', ['9']],
    ]);
  });

  it('uses file order when there is no time column', async () => {
    const path = file('d.csv', 'user,item\n1,z\n2,q\n1,y\n1,x\n');
    const { log } = await readDelimited(path);
    const { dataset } = log.toDataset();
    expect(seqs(dataset)).toEqual([
      ['1', ['z', 'y', 'x']],
      ['2', ['q']],
    ]);
    expect(dataset.times).toBeUndefined();
  });

  it('defaults to tabs for .tsv, reads gzip, drops a BOM', async () => {
    const tsv = await readDelimited(file('e.tsv', '\uFEFFuser\titem\ttime\n1\ta,b\t2\n1\tc\t1\n'));
    expect(seqs(tsv.log.toDataset().dataset)).toEqual([['1', ['c', 'a,b']]]);
    const gz = await readDelimited(file('f.tsv.gz', gzipSync('user\titem\n1\ta\n2\tb\n')));
    expect(gz.log.length).toBe(2);
  });

  it('reads quoted fields holding delimiters, quotes and newlines', async () => {
    const path = file('g.csv', 'user,item,time\n1,"Toy Story, The",1\n1,"say ""hi""\nline two",2\n1,z,later\n');
    const error = await readDelimited(path).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_INVALID_DATA', message: `${path}:5: time "later" is not a number` });
    const { log } = await readDelimited(path, { lenient: true });
    expect(seqs(log.toDataset().dataset)).toEqual([['1', ['Toy Story, The', 'say "hi"\nline two']]]);
  });

  it.each([
    ['user,item,time\n1,a,1\n1,b\n', 3, 'line'],
    ['user,item,time\n1,a,1\n1,b,2,9\n', 3, 'line'],
    ['user,item,ts\n1,a,1\n1,b,x\n', 3, 'ts'],
    ['user,item,rating\n1,a,1\n1,b,\n', 3, 'rating'],
    ['user,item\n1,a\n,b\n', 3, 'user'],
    ['user,item\n1,a\n1," "\n', 3, 'item'],
    ['user,item\n1,a\n1,"b"x\n', 3, 'line'],
    ['user,item\n1,a\n1,"b\n', 3, 'line'],
  ])('names file:line and field of bad input %j', async (content, line, field) => {
    const path = file('bad.csv', content);
    const columns = content.startsWith('user,item,ts') ? { time: 'ts' } : undefined;
    await expect(readDelimited(path, { columns })).rejects.toMatchObject({
      code: 'E_INVALID_DATA',
      message: expect.stringContaining(`${path}:${line}: ${field} `),
      details: { file: path, line, field },
    });
  });

  it('names the index and role of a bad field without a header', async () => {
    const path = file('h.csv', '1,a,5\n1,b,x\n');
    await expect(readDelimited(path, { header: false, columns: { time: 2 } })).rejects.toThrow(`${path}:2: time (column 2) "x" is not a number`);
    await expect(readDelimited(file('i.csv', '1\n'), { header: false })).rejects.toThrow(/:1: line has 1 fields, expected at least 2/);
  });

  it('skips and counts malformed lines when lenient', async () => {
    const path = file('j.csv', 'user,item,time\n1,a,1\n1,b\n1,c,x\n,d,3\n1,e"x,4\n2,f,5\n');
    const { log, skipped } = await readDelimited(path, { lenient: true });
    expect(skipped).toBe(4);
    expect(seqs(log.toDataset().dataset)).toEqual([
      ['1', ['a']],
      ['2', ['f']],
    ]);
  });

  it('counts the lines a broken quote hides when lenient', async () => {
    const path = file('j2.csv', 'user,item\n1,a\n1,"b"x\n2,c\n\n3,d\n');
    const { log, skipped } = await readDelimited(path, { lenient: true });
    expect(log.length).toBe(1);
    expect(skipped).toBe(4); // lines 3-6: csv-parse does not resync after an unclosed quote
  });

  it('rejects a mapped column missing from the header, listing the header', async () => {
    const path = file('k.csv', 'uid,iid\n1,a\n');
    await expect(readDelimited(path)).rejects.toMatchObject({
      code: 'E_INVALID_OPTION',
      message: `options.columns.user: column "user" is not in the header of ${path} (uid, iid)`,
    });
    await expect(readDelimited(path, { columns: { user: 'uid', item: 'iid', time: 'ts' } })).rejects.toThrow(/columns.time: column "ts"/);
    expect((await readDelimited(path, { columns: { user: 'uid', item: 'iid' } })).log.length).toBe(1);
  });

  it('validates options', async () => {
    const path = file('l.csv', 'user,item\n1,a\n');
    await expect(readDelimited(path, { delimeter: ';' } as never)).rejects.toThrow(/did you mean options.delimiter/);
    await expect(readDelimited(path, { columns: { usr: 'u' } as never })).rejects.toThrow(/did you mean options.columns.user/);
    await expect(readDelimited(path, { header: false, columns: { user: 'user' } })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
    await expect(readDelimited(path, { columns: { user: 0 } })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
  });

  it('rejects empty and header-only files, and unreadable ones', async () => {
    await expect(readDelimited(file('m.csv', ''))).rejects.toMatchObject({ code: 'E_INVALID_DATA', message: expect.stringContaining('has no interactions') });
    await expect(readDelimited(file('n.csv', 'user,item\n'))).rejects.toMatchObject({ code: 'E_INVALID_DATA' });
    await expect(readDelimited(file('o.csv', 'user,item\n1\n'), { lenient: true })).rejects.toThrow(/no interactions \(1 malformed line skipped\)/);
    await expect(readDelimited(join(tmpdir(), 'seqrec-no-such-dir', 'missing.csv'))).rejects.toMatchObject({
      code: 'E_INVALID_DATA',
      message: expect.stringContaining('cannot read'),
    });
    await expect(readDelimited(file('p.csv.gz', 'not gzip'))).rejects.toMatchObject({ code: 'E_INVALID_DATA' });
  });

  it('honours an AbortSignal and reports progress', async () => {
    const path = file('q.csv', 'user,item\n1,a\n1,b\n');
    await expect(readDelimited(path, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'E_ABORTED' });
    const seen: number[] = [];
    await readDelimited(path, { onProgress: (lines) => seen.push(lines) });
    expect(seen).toEqual([3]);
    const big = file('r.csv', `user,item\n${'1,a\n'.repeat(20000)}`);
    const controller = new AbortController();
    await expect(readDelimited(big, { signal: controller.signal, onProgress: () => controller.abort() })).rejects.toMatchObject({
      code: 'E_ABORTED',
      message: expect.stringMatching(/aborted at line \d+/),
    });
  });
});

/**
 * RecBole atomic files: .inter into a log (times, file order without timestamp), typed .item / .user
 * rows, side-file ids absent from the interactions, file:line errors, lenient mode and progress.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { tempFiles } from '../helpers/temp.js';
import type { Dataset } from '../../lib/data/dataset.js';
import { checkSideFile, readRecBoleInter, readRecBoleItems, readRecBoleUsers } from '../../lib/data/readers/recbole.js';

const file = tempFiles('recbole');
const seqs = (d: Dataset) => d.userIds!.map((u, i) => [u, [...d.sequence(i)].map((x) => d.itemIds![x])]);
const tsv = (...lines: string[][]) => lines.map((l) => l.join('\t')).join('\n') + '\n';
const INTER = ['user_id:token', 'item_id:token', 'rating:float', 'timestamp:float'];

describe('RecBole atomic files', () => {
  it('reads .inter; toDataset maps ids and orders by time', async () => {
    const path = file('ml.inter', tsv(INTER, ['196', '242', '3', '881250949'], ['196', '302', '5', '881250000'], ['22', '377', '1', '878887116']));
    const { log, skipped } = await readRecBoleInter(path);
    expect(skipped).toBe(0);
    expect(seqs(log.toDataset().dataset)).toEqual([
      ['196', ['302', '242']],
      ['22', ['377']],
    ]);
    expect(seqs(log.toDataset({ minRating: 3 }).dataset)).toEqual([['196', ['302', '242']]]);
    expect([...log.toDataset().dataset.times!]).toEqual([881250000, 881250949, 878887116]);
  });

  it('reports progress in lines for .inter and side files', async () => {
    const inter = file('p.inter', tsv(INTER, ...Array.from({ length: 16390 }, (_, i) => ['1', String(i), '1', String(i)])));
    const seen: number[] = [];
    await readRecBoleInter(inter, { onProgress: (lines) => seen.push(lines) });
    expect(seen).toEqual([16385, 16391]); // the header is line 1
    const side: number[] = [];
    await readRecBoleItems(file('p.item', tsv(['item_id:token'], ['a'], ['b'])), { onProgress: (lines) => side.push(lines) });
    expect(side).toEqual([3]);
  });

  it('maps field names, uses file order without a timestamp, reads gzip', async () => {
    const path = file('a.inter.gz', gzipSync(tsv(['session:token', 'x:float', 'product:token'], ['s', '1', 'p2'], ['s', '2', 'p1'])));
    const { log } = await readRecBoleInter(path, { fields: { user: 'session', item: 'product' } });
    expect(seqs(log.toDataset().dataset)).toEqual([['s', ['p2', 'p1']]]);
    expect(log.toDataset().dataset.times).toBeUndefined();
    await expect(readRecBoleInter(path, { fields: { user: 'session', item: 'product', time: 'ts' } })).rejects.toMatchObject({
      code: 'E_INVALID_OPTION',
      message: `options.fields.time: column "ts" is not in the header of ${path} (session, x, product)`,
    });
    await expect(readRecBoleInter(path)).rejects.toThrow(/fields.user: column "user_id"/);
  });

  it.each([
    [tsv(['user_id', 'item_id:token'], ['1', '2']), 1, 'header column 1', '"user_id" is not name:type'],
    [tsv(['user_id:token', 'item_id:int'], ['1', '2']), 1, 'header column 2', '"item_id:int" is not name:type'],
    [tsv(INTER, ['1', '2', '3', '4'], ['1', '2', '3']), 3, 'line', 'has 3 fields, expected 4'],
    [tsv(INTER, ['1', '2', '3', '4'], ['1', '2', '3', 'noon']), 3, 'timestamp', '"noon" is not a number'],
    [tsv(INTER, ['1', '2', '3', '4'], ['1', '2', '', '5']), 3, 'rating', '"" is not a number'],
    [tsv(INTER, ['1', '2', '3', '4'], ['1', '', '3', '5']), 3, 'item_id', 'is empty'],
  ])('names file:line and field of a bad .inter (%#)', async (content, line, field, why) => {
    const path = file('bad.inter', content);
    await expect(readRecBoleInter(path)).rejects.toMatchObject({
      code: 'E_INVALID_DATA',
      message: expect.stringContaining(`${path}:${line}: ${field} ${why}`),
      details: { file: path, line, field },
    });
  });

  it('skips and counts malformed .inter lines when lenient; empty files are errors', async () => {
    const path = file('b.inter', tsv(INTER, ['1', 'a', '3', '4'], ['1', 'b'], ['1', 'c', 'x', '5'], ['2', 'd', '1', '1']));
    const { log, skipped } = await readRecBoleInter(path, { lenient: true });
    expect(skipped).toBe(2);
    expect(log.length).toBe(2);
    await expect(readRecBoleInter(file('c.inter', ''))).rejects.toMatchObject({ code: 'E_INVALID_DATA', message: expect.stringContaining('is empty') });
    await expect(readRecBoleInter(file('d.inter', tsv(INTER)))).rejects.toMatchObject({
      code: 'E_INVALID_DATA',
      message: expect.stringContaining('has no interactions'),
    });
    await expect(readRecBoleInter(path, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'E_ABORTED' });
    await expect(readRecBoleInter(path, { lenent: true } as never)).rejects.toThrow(/did you mean options.lenient/);
  });

  it('reads .item rows typed by the header', async () => {
    const path = file(
      'ml.item',
      tsv(
        ['item_id:token', 'movie_title:token_seq', 'release_year:token', 'class:token_seq', 'score:float', 'vec:float_seq'],
        ['242', 'Kolya', '1996', 'Comedy', '4.5', '0.5 1'],
        ['302', 'L.A. Confidential', '1997', 'Crime Film-Noir Mystery Thriller', '', ''],
      ),
    );
    const side = await readRecBoleItems(path);
    expect(side.rows.get('242')).toEqual({ movie_title: ['Kolya'], release_year: '1996', class: ['Comedy'], score: 4.5, vec: [0.5, 1] });
    expect(side.rows.get('302')).toMatchObject({ movie_title: ['L.A.', 'Confidential'], score: Number.NaN, vec: [] });
    expect(side.lines.get('302')).toBe(3);
    expect(side.field).toBe('item_id');
    await expect(readRecBoleItems(file('e.item', tsv(['item_id:token', 'score:float'], ['1', '2'], ['1', '3'])))).rejects.toThrow(
      /:3: item_id "1" appears twice \(first on line 2\)/,
    );
    await expect(readRecBoleItems(file('f.item', tsv(['item_id:token', 'score:float'], ['1', 'high'])))).rejects.toThrow(/:2: score "high" is not a number/);
    await expect(readRecBoleItems(path, { id: 'movie' })).rejects.toMatchObject({
      code: 'E_INVALID_OPTION',
      message: expect.stringContaining('(item_id, movie_title'),
    });
  });

  it('names side-file users and items absent from the interactions, or drops and counts them', async () => {
    const inter = file('g.inter', tsv(INTER, ['1', 'a', '5', '1'], ['2', 'b', '5', '2']));
    const { dataset } = (await readRecBoleInter(inter)).log.toDataset();
    const users = file('g.user', tsv(['user_id:token', 'age:float', 'gender:token'], ['1', '24', 'M'], ['3', '53', 'F'], ['9', '20', 'F']));
    const side = await readRecBoleUsers(users);
    expect(side.rows.get('1')).toEqual({ age: 24, gender: 'M' });
    const known = new Set(dataset.userIds);
    expect(() => checkSideFile(side, known, users)).toThrow(
      expect.objectContaining({
        code: 'E_INVALID_DATA',
        message: `${users}:3: user_id "3" does not appear in the interactions`,
      }),
    );
    expect(checkSideFile(side, known, users, { lenient: true })).toBe(2);
    expect([...side.rows.keys()]).toEqual(['1']);
    expect(checkSideFile(side, known, users)).toBe(0);
    const items = await readRecBoleItems(file('g.item', tsv(['item_id:token', 'x:float'], ['a', '1'], ['b', '1'])));
    expect(checkSideFile(items, new Set(dataset.itemIds), 'g.item')).toBe(0);
  });

  it('skips malformed side-file lines when lenient', async () => {
    const path = file('h.user', tsv(['user_id:token', 'age:float'], ['1', '2'], ['2'], ['3', 'old'], ['', '4'], ['5', '6']));
    const side = await readRecBoleUsers(path, { lenient: true });
    expect(side.skipped).toBe(3);
    expect([...side.rows.keys()]).toEqual(['1', '5']);
  });
});

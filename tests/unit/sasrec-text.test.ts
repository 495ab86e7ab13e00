/**
 * readSasrecText: grouping, gzip, line errors, progress, the id maps back to the original ids (and
 * their errors), and the shared ML-1M file with its maps matched against MovieLens side files.
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { tempFiles } from '../helpers/temp.js';
import { readMovieLensMovies, readMovieLensUsers } from '../../lib/data/readers/movielens.js';
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

  it('reports progress in lines and validates options', async () => {
    const path = file('p.txt', '1 1\n\n1 2\n');
    const seen: number[] = [];
    await readSasrecText(path, { onProgress: (lines) => seen.push(lines) });
    expect(seen).toEqual([3]);
    await expect(readSasrecText(path, { itemIdMaps: 'x' } as never)).rejects.toThrow(/did you mean options.itemIdMap/);
    await expect(readSasrecText(path, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'E_ABORTED' });
  });

  describe('id maps', () => {
    const data = file('d.txt', '1 1\n1 2\n2 2\n2 3\n');
    const items = file('items.txt', '1 1198\n2 356\n3 2571\n');
    const users = file('users.txt', '2 5989\n1 5988\n');

    it('sets itemIds and userIds to the original ids', async () => {
      const d = await readSasrecText(data, { itemIdMap: items, userIdMap: users });
      expect(d.itemIds).toEqual(['', '1198', '356', '2571']);
      expect(d.userIds).toEqual(['5988', '5989']);
      expect([...d.sequence(1)]).toEqual([2, 3]); // dense ids stay the file's ids
      const onlyItems = await readSasrecText(data, { itemIdMap: items });
      expect(onlyItems.userIds).toEqual(['1', '2']);
    });

    it.each([
      ['1 1198 x\n', 1, 'line', 'has 3 fields, expected 2 ("sas_id original_id")'],
      ['1 1198\n0 5\n', 2, 'sas_id', '"0" is not a positive integer'],
      ['1 1198\n1.5 5\n', 2, 'sas_id', '"1.5" is not a positive integer'],
      ['1 1198\n2 356\n1 7\n', 3, 'sas_id', '1 appears twice (first on line 1)'],
      ['1 1198\n2 356\n3 1198\n', 3, 'original_id', '"1198" appears twice (first on line 1)'],
      ['1 1198\n2 356\n3 2571\n4 9\n', 4, 'sas_id', 'is not an item of'],
    ])('names the map file:line of a bad item map %j', async (content, line, field, why) => {
      const map = file('bad-items.txt', content);
      await expect(readSasrecText(data, { itemIdMap: map })).rejects.toMatchObject({
        code: 'E_INVALID_DATA',
        message: expect.stringContaining(`${map}:${line}: ${field} `),
        details: { file: map, line, field },
      });
      await expect(readSasrecText(data, { itemIdMap: map })).rejects.toThrow(why);
    });

    it('names the data file:line of an id without an entry, and a map id not in the data', async () => {
      const short = file('short.txt', '1 1198\n3 2571\n');
      await expect(readSasrecText(data, { itemIdMap: short })).rejects.toMatchObject({
        code: 'E_INVALID_DATA',
        message: `${data}:2: item 2 has no entry in ${short}`,
        details: { file: data, line: 2, field: 'item' },
      });
      const extra = file('extra-users.txt', '1 5988\n2 5989\n3 6000\n');
      await expect(readSasrecText(data, { userIdMap: extra })).rejects.toThrow(`${extra}:3: sas_id 3 is not a user of ${data}`);
      const oneUser = file('one-user.txt', '2 5989\n');
      await expect(readSasrecText(data, { userIdMap: oneUser })).rejects.toThrow(`${data}:1: user 1 has no entry in ${oneUser}`);
      await expect(readSasrecText(data, { userIdMap: file('empty-map.txt', '\n') })).rejects.toThrow(/has no id pairs/);
    });
  });

  const shared = fileURLToPath(new URL('../../../shared/data/', import.meta.url));
  const real = {
    ml1m: join(shared, 'ml-1m-sasrec/ml-1m.txt'),
    itemIdMap: join(shared, 'ml-1m-sasrec/sas_to_original_items.txt'),
    userIdMap: join(shared, 'ml-1m-sasrec/sas_to_original_users.txt'),
    movies: join(shared, 'ml-1m/movies.dat'),
    users: join(shared, 'ml-1m/users.dat'),
  };
  it.skipIf(!Object.values(real).every((p) => existsSync(p)))('reads the ML-1M file of the published numbers and maps it back to MovieLens ids', async () => {
    const data = await readSasrecText(real.ml1m, { itemIdMap: real.itemIdMap, userIdMap: real.userIdMap });
    expect([data.numUsers, data.numItems, data.numInteractions]).toEqual([6040, 3416, 999611]);
    expect(data.itemIds!.slice(1, 4)).toEqual(['1198', '3552', '356']);
    const withInfo = data.withItemInfo(await readMovieLensMovies(real.movies)).withUserAttributes(await readMovieLensUsers(real.users));
    expect(withInfo.itemInfoMatch).toMatchObject({ matched: 3416, missing: [] });
    expect(withInfo.itemInfoMatch!.unused.length).toBe(3883 - 3416);
    expect(withInfo.userAttributesMatch).toEqual({ matched: 6040, missing: [], unused: [] });
    expect(withInfo.itemInfo![3]!.title).toBe('Forrest Gump (1994)');
  });
});

/**
 * Side information beside a Dataset: aligning item info and user attributes through the original
 * ids, the match report (matched, missing, unused), what splits carry over, the genre / text / group
 * views, the MovieLens one-liners, and the errors.
 */
import { describe, expect, it } from 'vitest';
import { tempFiles } from '../helpers/temp.js';
import { Dataset } from '../../lib/data/dataset.js';
import { readMovieLensMovies, readMovieLensUsers } from '../../lib/data/readers/movielens.js';
import { itemGenres, itemText, userGroups } from '../../lib/data/side-info.js';
import { i32 } from '../helpers/arrays.js';

const file = tempFiles('side');

// dense items 1..3 = movies '10', '20', '30'; users 'a', 'b', 'c'
const base = Dataset.fromCSR({
  offsets: i32([0, 2, 3, 5]),
  items: i32([1, 2, 3, 1, 3]),
  numItems: 3,
  itemIds: ['', '10', '20', '30'],
  userIds: ['a', 'b', 'c'],
});

const info = new Map([
  ['30', { title: 'Heat (1995)', genres: ['Action', 'Crime'], text: 'A heist.' }],
  ['10', { title: 'Toy Story (1995)', genres: ['Animation'], year: 1995 }],
  ['99', { title: 'Not rated' }],
]);

describe('Dataset.withItemInfo', () => {
  const d = base.withItemInfo(info);

  it('aligns info to dense ids through itemIds, sharing the arrays', () => {
    expect(d.itemInfo).toEqual([undefined, info.get('10'), undefined, info.get('30')]);
    expect(d.items).toBe(base.items);
    expect(d.offsets).toBe(base.offsets);
    expect(d.itemIds).toBe(base.itemIds);
    expect(base.itemInfo).toBeUndefined(); // the source is unchanged
  });

  it('reports matched, missing (dataset ids without info) and unused (info ids not in the dataset)', () => {
    expect(d.itemInfoMatch).toEqual({ matched: 2, missing: ['20'], unused: ['99'] });
  });

  it('derives genre lists and texts per dense id', () => {
    expect(itemGenres(d)).toEqual([[], ['Animation'], [], ['Action', 'Crime']]);
    expect(itemText(d)).toEqual(['', 'Toy Story (1995). Animation', '', 'Heat (1995). Action, Crime. A heist.']);
  });

  it('is kept by the splits', () => {
    const times = Float64Array.from([1, 2, 3, 4, 5]);
    const timed = Dataset.fromCSR({ ...base, times })
      .withItemInfo(info)
      .withUserAttributes(new Map([['a', { age: 1 }]]));
    const { train } = timed.split('temporal', { validTime: 2, testTime: 4 });
    expect(train.itemInfo).toBe(timed.itemInfo);
    expect(train.userAttributes).toBe(timed.userAttributes);
    expect(train.itemInfoMatch).toBe(timed.itemInfoMatch);
    expect(d.split('leave-one-out').train.itemInfo).toBe(d.itemInfo);
  });

  it('needs itemIds, a Map and well-formed info', () => {
    expect(() => Dataset.fromSequences([[1]]).withItemInfo(info)).toThrow(expect.objectContaining({ code: 'E_INVALID_DATA', details: { field: 'itemIds' } }));
    expect(() => base.withItemInfo({} as never)).toThrow(expect.objectContaining({ code: 'E_INVALID_OPTION' }));
    const bad = new Map([['20', { genres: 'Drama' }]]);
    expect(() => base.withItemInfo(bad as never)).toThrow(
      expect.objectContaining({
        code: 'E_INVALID_DATA',
        message: 'Expected info.get("20").genres to be an array of strings',
      }),
    );
    expect(() => itemGenres(base)).toThrow(expect.objectContaining({ code: 'E_INVALID_DATA', details: { field: 'itemInfo' } }));
    expect(() => itemText(base)).toThrow(/withItemInfo/);
  });
});

describe('Dataset.withUserAttributes', () => {
  const attrs = new Map([
    ['c', { gender: 'F', age: 25 }],
    ['a', { gender: 'M', age: 18 }],
    ['z', { gender: 'F', age: 1 }],
  ]);
  const d = base.withItemInfo(info).withUserAttributes(attrs);

  it('aligns attributes to user indices and reports the match, keeping item info', () => {
    expect(d.userAttributes).toEqual([attrs.get('a'), undefined, attrs.get('c')]);
    expect(d.userAttributesMatch).toEqual({ matched: 2, missing: ['b'], unused: ['z'] });
    expect(d.itemInfo).toBeDefined();
    expect(d.itemInfoMatch).toEqual({ matched: 2, missing: ['20'], unused: ['99'] });
  });

  it('labels users by one attribute, with a label for users without it', () => {
    expect(userGroups(d, i32([2, 0, 1]), 'gender')).toEqual(['F', 'M', 'unknown']);
    expect(userGroups(d, i32([0, 2]), 'age', 'n/a')).toEqual(['18', '25']);
    expect(userGroups(d, i32([0]), 'zip')).toEqual(['unknown']);
  });

  it('rejects missing ids, bad values and out-of-range users', () => {
    expect(() => Dataset.fromSequences([[1]]).withUserAttributes(attrs)).toThrow(expect.objectContaining({ details: { field: 'userIds' } }));
    expect(() => base.withUserAttributes(new Map([['a', { age: null }]]) as never)).toThrow(/attrs.get\("a"\).age to be a string or a finite number/);
    expect(() => userGroups(base, i32([0]), 'gender')).toThrow(expect.objectContaining({ details: { field: 'userAttributes' } }));
    expect(() => userGroups(d, i32([3]), 'gender')).toThrow(expect.objectContaining({ code: 'E_INVALID_DATA', details: { field: 'users', index: 0 } }));
    expect(() => userGroups(d, [0] as never, 'gender')).toThrow(expect.objectContaining({ code: 'E_INVALID_OPTION' }));
  });
});

describe('MovieLens side files', () => {
  it('attach in one call each', async () => {
    const movies = await readMovieLensMovies(file('movies.dat', '10::Toy Story (1995)::Animation|Comedy\n40::Other (1990)::Drama\n'));
    const users = await readMovieLensUsers(file('users.dat', '1::F::25::3::12345\n2::M::18::4::54321\n'));
    const d = Dataset.fromCSR({ ...base, userIds: ['a', '2', 'c'] })
      .withItemInfo(movies)
      .withUserAttributes(users); // MovieLens ids are integers
    expect(d.itemInfoMatch).toEqual({ matched: 1, missing: ['20', '30'], unused: ['40'] });
    expect(itemText(d)[1]).toBe('Toy Story (1995). Animation, Comedy');
    expect(userGroups(d, i32([0, 1]), 'occupation')).toEqual(['unknown', '4']);
  });
});

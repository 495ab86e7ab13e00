/**
 * MovieLens "::" readers: ratings into a log (with times), movies and users as Maps by id, line
 * errors, lenient mode, progress and options, and the shared GroupLens files when present.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempFiles } from '../helpers/temp.js';
import { readMovieLensMovies, readMovieLensRatings, readMovieLensUsers } from '../../lib/data/readers/movielens.js';

const file = tempFiles('ml');

describe('MovieLens readers', () => {
  it("reads ratings into a log; the dataset comes back in the files' ids, time-ordered", async () => {
    const path = file('ratings.dat', '10::200::5::30\n10::100::3::20\n11::100::4::5\n');
    const { log, skipped } = await readMovieLensRatings(path);
    expect(skipped).toBe(0);
    const { dataset } = log.toDataset({ minRating: 4 });
    expect(dataset.userIds).toEqual(['10', '11']);
    expect([...dataset.sequence(0)].map((i) => dataset.itemIds![i])).toEqual(['200']);
    expect([...dataset.sequence(1)].map((i) => dataset.itemIds![i])).toEqual(['100']);
    expect([...log.toDataset().dataset.times!]).toEqual([20, 30, 5]);
  });

  it.each([
    ['1::2::5\n', 1, 'line'],
    ['1::2::5::10\n1::2::x::10\n', 2, 'Rating'],
    ['1::2::5::10\n1::2::5::later\n', 2, 'Timestamp'],
    ['1::2::5::10\n::2::5::10\n', 2, 'UserID'],
  ])('names file, line and field of a malformed rating line (%j)', async (content, line, field) => {
    const path = file(`bad-${field}.dat`, content);
    await expect(readMovieLensRatings(path)).rejects.toMatchObject({
      code: 'E_INVALID_DATA',
      message: expect.stringContaining(`${path}:${line}: ${field}`),
    });
  });

  it('skips and counts malformed lines when lenient', async () => {
    const path = file('lenient.dat', '1::2::5::10\nbroken\n1::3::x::11\n1::4::4::12\n');
    const { log, skipped } = await readMovieLensRatings(path, { lenient: true });
    expect(skipped).toBe(2);
    expect(log.length).toBe(2);
  });

  it('reports progress in lines, honours an AbortSignal and rejects unknown options', async () => {
    const path = file('progress.dat', `${'1::2::5::10\n'.repeat(20000)}`);
    const seen: number[] = [];
    await readMovieLensRatings(path, { onProgress: (lines) => seen.push(lines) });
    expect(seen).toEqual([16384, 20000]);
    const movies: number[] = [];
    await readMovieLensMovies(file('m.dat', '1::A (1999)::Drama\n2::B (2000)::\n'), { onProgress: (lines) => movies.push(lines) });
    expect(movies).toEqual([2]);
    await expect(readMovieLensUsers(path, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'E_ABORTED' });
    await expect(readMovieLensRatings(path, { lenint: true } as never)).rejects.toThrow(/did you mean options.lenient/);
  });

  it('decodes Latin-1 titles and splits genres', async () => {
    const latin1 = Buffer.from('1::Café (1999)::Comedy|Drama\n2::Untitled (2000)::\n', 'latin1');
    const movies = await readMovieLensMovies(file('movies.dat', latin1));
    expect(movies.get('1')).toEqual({ title: 'Café (1999)', genres: ['Comedy', 'Drama'] });
    expect(movies.get('2')).toEqual({ title: 'Untitled (2000)', genres: [] });
  });

  it('reads users and rejects a bad gender naming the field', async () => {
    const users = await readMovieLensUsers(file('users.dat', '1::F::1::10::48067\n'));
    expect(users.get('1')).toEqual({ gender: 'F', age: 1, occupation: 10, zip: '48067' });
    await expect(readMovieLensUsers(file('users-bad.dat', '1::X::1::10::48067\n'))).rejects.toThrow(/:1: Gender/);
  });

  const shared = fileURLToPath(new URL('../../../shared/data/ml-1m/', import.meta.url));
  it.skipIf(!existsSync(join(shared, 'ratings.users-1-2999.dat')))('reads the GroupLens ML-1M files', async () => {
    const { log } = await readMovieLensRatings(join(shared, 'ratings.users-1-2999.dat'));
    expect(log.length).toBe(487650);
    const { dataset } = log.toDataset();
    expect(dataset.numUsers).toBe(2999);
    const movies = await readMovieLensMovies(join(shared, 'movies.dat'));
    expect(movies.size).toBe(3883);
    expect(movies.get('1')?.title).toBe('Toy Story (1995)');
    const users = await readMovieLensUsers(join(shared, 'users.dat'));
    expect(users.size).toBe(6040);
  });
});

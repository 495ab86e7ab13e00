/**
 * Input that must not be accepted silently, across every reader: a UTF-8 byte-order mark at the
 * start of a file (dropped, never part of the first id or a reason to reject the line), ids longer
 * than MAX_ID_LENGTH, MovieLens ids that are not positive integers, and a time column that is not
 * mapped although a column looks like one (an E_INVALID_OPTION that names it; null keeps file order).
 */
import { describe, expect, it } from 'vitest';
import {
  InteractionLog,
  MAX_ID_LENGTH,
  readDelimited,
  readJsonl,
  readMovieLensMovies,
  readMovieLensRatings,
  readMovieLensUsers,
  readSasrecText,
} from '../../lib/index.js';
import { readRecBoleInter } from '../../lib/data/readers/recbole.js';
import { tempFiles } from '../helpers/temp.js';
import { rejection, thrown } from '../helpers/errors.js';

const file = tempFiles('hostile');
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const withBom = (text: string) => Buffer.concat([BOM, Buffer.from(text, 'utf8')]);

describe('a leading UTF-8 byte-order mark is dropped by every reader', () => {
  it('MovieLens ratings, movies and users (Latin-1 files): no phantom first id', async () => {
    const { log } = await readMovieLensRatings(file('ratings.dat', withBom('1::10::5::100\n1::11::4::200\n2::10::3::50\n')));
    const { dataset } = log.toDataset();
    expect(dataset.userIds).toEqual(['1', '2']);
    const movies = await readMovieLensMovies(file('movies.dat', withBom('10::Toy Story (1995)::Animation\n')));
    expect([...movies.keys()]).toEqual(['10']);
    const users = await readMovieLensUsers(file('users.dat', withBom('1::F::1::10::48067\n')));
    expect([...users.keys()]).toEqual(['1']);
  });

  it('JSONL, RecBole .inter, CSV and the SASRec text format', async () => {
    const jsonl = await readJsonl(file('a.jsonl', withBom('{"user":"u","item":"a","time":1}\n{"user":"u","item":"b","time":2}\n')));
    expect(jsonl.log.toDataset().dataset.itemIds).toEqual(['', 'a', 'b']);
    const inter = await readRecBoleInter(file('a.inter', withBom('user_id:token\titem_id:token\ttimestamp:float\nu\ta\t1\nu\tb\t2\n')));
    expect(inter.log.toDataset().dataset.itemIds).toEqual(['', 'a', 'b']);
    const csv = await readDelimited(file('a.csv', withBom('user,item,time\nu,a,1\nu,b,2\n')));
    expect(csv.log.toDataset().dataset.userIds).toEqual(['u']);
    const sas = await readSasrecText(file('a.txt', withBom('1 1\n1 2\n')));
    expect(sas.userIds).toEqual(['1']);
  });
});

describe('ids', () => {
  it(`an id longer than MAX_ID_LENGTH (${MAX_ID_LENGTH}) is E_INVALID_DATA naming file, line and field`, async () => {
    const long = 'x'.repeat(5_000_000);
    const path = file('long.csv', `user,item\nu,a\nu,${long}\n`);
    const err = await rejection(readDelimited(path));
    expect(err.code).toBe('E_INVALID_DATA');
    expect(err.message).toBe(`${path}:3: item is 5000000 characters long; ids may have at most ${MAX_ID_LENGTH}`);
    const ok = await readDelimited(file('limit.csv', `user,item\nu,${'y'.repeat(MAX_ID_LENGTH)}\n`));
    expect(ok.log.length).toBe(1);
    // the programmatic path too
    expect(thrown(() => new InteractionLog().add('u'.repeat(MAX_ID_LENGTH + 1), 'a')).message).toContain('user id is 1025 characters long');
  });

  it.each([
    ['-1::10::5::100', 'UserID', '"-1"'],
    ['1::-10::5::100', 'MovieID', '"-10"'],
    ['1::10.5::5::100', 'MovieID', '"10.5"'],
    ['0::10::5::100', 'UserID', '"0"'],
    ['1::1e3::5::100', 'MovieID', '"1e3"'],
  ])('MovieLens ids are positive integers: %s is refused', async (line, field, shown) => {
    const path = file('bad.dat', `1::10::5::100\n${line}\n`);
    const err = await rejection(readMovieLensRatings(path));
    expect(err.message).toBe(`${path}:2: ${field} ${shown} is not a positive integer`);
    const lenient = await readMovieLensRatings(path, { lenient: true });
    expect(lenient.skipped).toBe(1);
  });

  it('users.dat refuses a repeated or empty user', async () => {
    const empty = file('e.dat', '1::F::1::10::48067\n::M::18::3::11111\n');
    expect((await rejection(readMovieLensUsers(empty))).message).toBe(`${empty}:2: UserID is empty`);
    const users = file('u.dat', '1::F::1::10::48067\n1::M::18::3::11111\n');
    expect((await rejection(readMovieLensUsers(users))).message).toBe(`${users}:2: UserID "1" appears twice`);
  });
});

describe('an unmapped time column that looks like one', () => {
  it('CSV and TSV: named in an E_INVALID_OPTION with the fix; mapping it or null reads the file', async () => {
    const path = file('ts.csv', 'user,item,timestamp\nu,b,20\nu,a,10\n');
    const err = await rejection(readDelimited(path));
    expect(err.code).toBe('E_INVALID_OPTION');
    expect(err.message).toBe(
      `options.columns.time: ${path} has a column "timestamp" that looks like an event time, but no time column is mapped; ` +
        'set options.columns.time to "timestamp" to order events by it, or to null to keep file order',
    );
    const byTime = await readDelimited(path, { columns: { time: 'timestamp' } });
    expect(byTime.log.toDataset().dataset.itemIds).toEqual(['', 'a', 'b']);
    const fileOrder = await readDelimited(path, { columns: { time: null } });
    expect(fileOrder.log.toDataset().dataset.itemIds).toEqual(['', 'b', 'a']);
    const tsv = file('t.tsv', 'user\titem\tcreated_at\nu\ta\t1\n');
    expect((await rejection(readDelimited(tsv))).message).toContain('"created_at" that looks like an event time');
  });

  it('a mapped time column is type-checked: a date string is E_INVALID_DATA at its line', async () => {
    const path = file('dates.csv', 'user,item,when\nu,a,1700000000\nu,b,2024-01-02\n');
    const err = await rejection(readDelimited(path, { columns: { time: 'when' } }));
    expect(err.message).toBe(`${path}:3: when "2024-01-02" is not a number`);
  });

  it('JSONL: a time-like property of the first record', async () => {
    const path = file('ts.jsonl', '{"user":"u","item":"a","ts":5}\n');
    const err = await rejection(readJsonl(path));
    expect(err.message).toContain('options.fields.time: ');
    expect(err.message).toContain('has a column "ts" that looks like an event time');
    expect((await readJsonl(path, { fields: { time: 'ts' } })).log.length).toBe(1);
    expect((await readJsonl(path, { fields: { time: null } })).log.length).toBe(1);
  });
});

/**
 * GroupLens MovieLens "::" files (ML-1M/10M layout, Latin-1): ratings.dat
 * (UserID::MovieID::Rating::Timestamp) into an InteractionLog, and the side files movies.dat
 * (MovieID::Title::Genres, genres '|'-separated) and users.dat (UserID::Gender::Age::Occupation::Zip).
 * A malformed line is E_INVALID_DATA naming file, line and field, or, with `lenient`, skipped and
 * counted. Rating ids are positive integers (as GroupLens writes them); the side files' ids only have to
 * be non-empty, since they name the items and users of whatever data they are attached to (matches are
 * reported there). A leading UTF-8 byte-order mark is dropped. The side files come back as Maps by original id, ready for Dataset.withItemInfo /
 * withUserAttributes, which report the ids that do not meet the ratings.
 */
import { InteractionLog } from '../interaction-log.js';
import { aborted, lenientRow, positiveIntegerId, PROGRESS_EVERY, type ReaderOptions, readerOptions, requireEvents } from './common.js';
import { type LineOptions, lineError, readLines } from './lines.js';

/** lenient, signal and onProgress (lines read), as for every reader. */
export type MovieLensReadOptions = ReaderOptions;

export interface MovieLensRatings {
  log: InteractionLog;
  /** malformed lines skipped (lenient mode) */
  skipped: number;
}

// Type aliases, not interfaces, so they fit the index signatures of ItemInfo and UserAttributes.
export type Movie = {
  /** (str) title with the year, e.g. "Toy Story (1995)" */
  title: string;
  /** (str[]) genres, e.g. ["Animation", "Children's", "Comedy"] */
  genres: string[];
};

export type MovieLensUser = {
  /** (str) "M" or "F" */
  gender: string;
  /** (int) age group code: 1, 18, 25, 35, 45, 50 or 56 */
  age: number;
  /** (int) occupation code 0..20 */
  occupation: number;
  /** (str) zip code as written */
  zip: string;
};

const encoding: LineOptions['encoding'] = 'latin1';

async function readFields(
  path: string,
  columns: readonly string[],
  options: MovieLensReadOptions,
  row: (fields: string[], line: number) => void,
): Promise<number> {
  const o = readerOptions('options', options, []);
  if (o.signal?.aborted) throw aborted(path, 0);
  let skipped = 0;
  let lines = 0;
  let records = 0;
  for await (const { text, line } of readLines(path, { encoding, signal: o.signal })) {
    lines = line;
    if (text === '') continue;
    skipped += lenientRow(o.lenient, () => {
      const fields = text.split('::');
      if (fields.length !== columns.length) {
        throw lineError(path, line, 'line', `has ${fields.length} fields, expected ${columns.length} (${columns.join('::')})`);
      }
      row(fields, line);
    });
    if (++records % PROGRESS_EVERY === 0) o.onProgress?.(lines);
  }
  o.onProgress?.(lines);
  return skipped;
}

function numeric(path: string, line: number, field: string, value: string, integer: boolean): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw lineError(path, line, field, `${JSON.stringify(value)} is not ${integer ? 'an integer' : 'a number'}`);
  }
  return n;
}

export async function readMovieLensRatings(path: string, options: MovieLensReadOptions = {}): Promise<MovieLensRatings> {
  const log = new InteractionLog();
  const skipped = await readFields(path, ['UserID', 'MovieID', 'Rating', 'Timestamp'], options, ([user, movie, rating, time], line) => {
    const r = numeric(path, line, 'Rating', rating!, false);
    const t = numeric(path, line, 'Timestamp', time!, true);
    log.add(positiveIntegerId(path, line, 'UserID', user!), positiveIntegerId(path, line, 'MovieID', movie!), t, r);
  });
  requireEvents(path, log, skipped);
  return { log, skipped };
}

export async function readMovieLensMovies(path: string, options: MovieLensReadOptions = {}): Promise<Map<string, Movie>> {
  const movies = new Map<string, Movie>();
  await readFields(path, ['MovieID', 'Title', 'Genres'], options, ([id, title, genres], line) => {
    if (id === '') throw lineError(path, line, 'MovieID', 'is empty');
    if (movies.has(id!)) throw lineError(path, line, 'MovieID', `${JSON.stringify(id)} appears twice`);
    movies.set(id!, { title: title!, genres: genres === '' ? [] : genres!.split('|') });
  });
  return movies;
}

export async function readMovieLensUsers(path: string, options: MovieLensReadOptions = {}): Promise<Map<string, MovieLensUser>> {
  const users = new Map<string, MovieLensUser>();
  await readFields(path, ['UserID', 'Gender', 'Age', 'Occupation', 'Zip-code'], options, ([id, gender, age, occupation, zip], line) => {
    if (id === '') throw lineError(path, line, 'UserID', 'is empty');
    if (users.has(id!)) throw lineError(path, line, 'UserID', `${JSON.stringify(id)} appears twice`);
    if (gender !== 'M' && gender !== 'F') throw lineError(path, line, 'Gender', `${JSON.stringify(gender)} is not "M" or "F"`);
    users.set(id!, { gender, age: numeric(path, line, 'Age', age!, true), occupation: numeric(path, line, 'Occupation', occupation!, true), zip: zip! });
  });
  return users;
}

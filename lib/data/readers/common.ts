/**
 * Pieces shared by the readers (delimited, JSONL, RecBole, Parquet, MovieLens, SASRec text): the
 * common options (lenient, signal, onProgress) and their validation, the column mapping (user, item,
 * optional time and rating; explicit names must exist, default names are used when present, null
 * turns time or rating off), field parsers that throw lineError, and the lenient skip-and-count rule.
 */
import { SeqrecError } from '../../errors.js';
import { abortSignal, boolean, func, invalid, noUnknownKeys, optionsObject } from '../../validate.js';
import type { InteractionLog } from '../interaction-log.js';
import { MAX_ID_LENGTH } from '../interaction-log.js';
import { lineError } from './lines.js';
export { abortedAt as aborted } from './lines.js';

export interface ReaderOptions {
  /** skip and count malformed lines instead of throwing. Default false. */
  lenient?: boolean;
  signal?: AbortSignal;
  /**
   * called with the number of lines read so far (rows for Parquet), every 16384 records (every row
   * group for Parquet) and once at the end.
   */
  onProgress?: (lines: number) => void;
}

export interface InteractionsRead {
  log: InteractionLog;
  /** malformed lines skipped (lenient mode) */
  skipped: number;
}

export const PROGRESS_EVERY = 16384;

export type Role = 'user' | 'item' | 'time' | 'rating';
export const ROLES: readonly Role[] = ['user', 'item', 'time', 'rating'];
/** Where each role comes from: a column name / property, or a 0-based index; undefined = not read. */
export type Mapping<K> = { user: K; item: K; time?: K; rating?: K };
/** user option for a mapping: time and rating may be null (= ignore). */
export type MappingOption<K> = { user?: K; item?: K; time?: K | null; rating?: K | null };

/** Validate lenient/signal/onProgress plus `extra` keys; returns the options object. */
export function readerOptions(name: string, value: unknown, extra: readonly string[]): Record<string, unknown> & ReaderOptions {
  const o = streamOptions(name, value, ['lenient', ...extra]);
  if (o.lenient !== undefined) boolean(`${name}.lenient`, o.lenient);
  return o;
}

/** Validate signal/onProgress plus `extra` keys, for readers without a lenient mode. */
export function streamOptions(name: string, value: unknown, extra: readonly string[]): Record<string, unknown> & ReaderOptions {
  const o = optionsObject(name, value);
  noUnknownKeys(name, o, ['signal', 'onProgress', ...extra]);
  if (o.signal !== undefined) abortSignal(`${name}.signal`, o.signal);
  if (o.onProgress !== undefined) func(`${name}.onProgress`, o.onProgress);
  return o as Record<string, unknown> & ReaderOptions;
}

/** Validate a mapping option whose values are `check`ed (names or indices). */
export function mappingOption<K>(name: string, value: unknown, check: (n: string, v: unknown) => K): MappingOption<K> {
  const o = optionsObject(name, value);
  noUnknownKeys(name, o, ROLES);
  const out: MappingOption<K> = {};
  for (const role of ROLES) {
    const v = o[role];
    if (v === undefined) continue;
    if (v === null && (role === 'time' || role === 'rating')) out[role] = null;
    else out[role] = check(`${name}.${role}`, v);
  }
  return out;
}

export function nameCheck(n: string, v: unknown): string {
  if (typeof v !== 'string' || v === '') throw invalid(n, 'a non-empty string', v);
  return v;
}

/**
 * Resolve a name mapping against a header: explicit names must be present (E_INVALID_OPTION
 * naming the option and listing the header); default names are used only when present.
 */
export function resolveNames(
  path: string,
  header: readonly string[],
  option: MappingOption<string>,
  defaults: Mapping<string>,
  where: string,
): Mapping<number> {
  const out: Partial<Mapping<number>> = {};
  for (const role of ROLES) {
    const explicit = option[role];
    if (explicit === null) continue;
    const name = explicit ?? defaults[role];
    if (name === undefined) continue;
    const at = header.indexOf(name);
    if (at >= 0) out[role] = at;
    else if (explicit !== undefined || role === 'user' || role === 'item') {
      throw new SeqrecError('E_INVALID_OPTION', `${where}.${role}: column ${JSON.stringify(name)} is not in the header of ${path} (${header.join(', ')})`, {
        option: `${where}.${role}`,
        file: path,
        column: name,
        header: [...header],
      });
    }
  }
  if (option.time === undefined && out.time === undefined) refuseUnmappedTime(path, header, `${where}.time`);
  return out as Mapping<number>;
}

/** Column names that hold event times in common exports (case-insensitive). */
const TIME_LIKE = /^(timestamp|ts|time|datetime|date|unix_?time|event_?time|event_?timestamp|created_?at|updated_?at|clicked_?at|watched_?at)$/i;

/**
 * With no time column mapped, events keep file order. A column that looks like a time would then be
 * ignored silently, and a wrong guess shows up much later as a poor model: ask the user to choose.
 */
export function refuseUnmappedTime(path: string, names: readonly string[], option: string): void {
  const like = names.find((n) => TIME_LIKE.test(n.trim()));
  if (like === undefined) return;
  throw new SeqrecError(
    'E_INVALID_OPTION',
    `${option}: ${path} has a column ${JSON.stringify(like)} that looks like an event time, but no time column is mapped; ` +
      `set ${option} to ${JSON.stringify(like)} to order events by it, or to null to keep file order`,
    { option, file: path, column: like },
  );
}

export function idField(path: string, line: number, field: string, value: unknown): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') throw lineError(path, line, field, `${show(value)} is not a string or number`);
  if (value.trim() === '') throw lineError(path, line, field, 'is empty');
  if (value.length > MAX_ID_LENGTH) throw lineError(path, line, field, `is ${value.length} characters long; ids may have at most ${MAX_ID_LENGTH}`);
  return value;
}

/** An id of a format whose ids are positive integers (MovieLens): digits only, no sign, no fraction. */
export function positiveIntegerId(path: string, line: number, field: string, value: string): string {
  if (!/^\d{1,15}$/.test(value) || Number(value) < 1) throw lineError(path, line, field, `${show(value)} is not a positive integer`);
  return value;
}

export function numberField(path: string, line: number, field: string, value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  if (!Number.isFinite(n)) throw lineError(path, line, field, `${show(value)} is not a number`);
  return n;
}

function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  const s = JSON.stringify(value) ?? String(value);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/** Run one row; in lenient mode an E_INVALID_DATA is counted (returns 1) instead of thrown. */
export function lenientRow(lenient: boolean | undefined, row: () => void): number {
  try {
    row();
    return 0;
  } catch (e) {
    if (!lenient || !(e instanceof SeqrecError) || e.code !== 'E_INVALID_DATA') throw e;
    return 1;
  }
}

/** E_INVALID_DATA when nothing was read (an empty file, a header only, or every line skipped). */
export function requireEvents(path: string, log: InteractionLog, skipped: number): void {
  if (log.length > 0) return;
  const why = skipped > 0 ? ` (${skipped} malformed line${skipped === 1 ? '' : 's'} skipped)` : '';
  throw new SeqrecError('E_INVALID_DATA', `${path} has no interactions${why}`, { file: path, skipped });
}

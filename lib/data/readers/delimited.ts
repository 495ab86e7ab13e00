/**
 * CSV/TSV interactions (csv-parse, streamed; gzip when the name ends in .gz; UTF-8 BOM dropped)
 * into an InteractionLog. Columns come from the header by name (defaults user, item, and time /
 * rating when the header has them) or, with `header: false`, by 0-based index (defaults user 0,
 * item 1; time and rating only when mapped). Without a time column, file order is the time order.
 * A missing header column is E_INVALID_OPTION; a wrong field count, empty id, non-numeric time or
 * rating, or broken quoting is E_INVALID_DATA naming file:line and field, or, with `lenient`,
 * skipped and counted (in lines: a broken quote may hide the lines after it, which count too).
 */
import { createReadStream } from 'node:fs';
import { addAbortSignal, pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { type InfoRecord, type Options, parse } from 'csv-parse';
import { SeqrecError } from '../../errors.js';
import { boolean, integer, invalid } from '../../validate.js';
import { InteractionLog } from '../interaction-log.js';
import {
  aborted,
  idField,
  type InteractionsRead,
  lenientRow,
  type Mapping,
  type MappingOption,
  mappingOption,
  nameCheck,
  numberField,
  PROGRESS_EVERY,
  type ReaderOptions,
  readerOptions,
  requireEvents,
  resolveNames,
  ROLES,
} from './common.js';
import { lineError } from './lines.js';

export interface DelimitedOptions extends ReaderOptions {
  /** field separator. Default '\t' for .tsv / .tsv.gz, ',' otherwise. */
  delimiter?: string;
  /** the first record names the columns. Default true. */
  header?: boolean;
  /** header names (header: true) or 0-based indices (header: false); time / rating null = ignore. */
  columns?: MappingOption<string | number>;
}

export async function readDelimited(path: string, options: DelimitedOptions = {}): Promise<InteractionsRead> {
  const o = readerOptions('options', options, ['delimiter', 'header', 'columns']) as DelimitedOptions;
  const header = o.header === undefined ? true : boolean('options.header', o.header);
  const delimiter = o.delimiter ?? (/\.tsv(\.gz)?$/i.test(path) ? '\t' : ',');
  if (typeof delimiter !== 'string' || delimiter === '') throw invalid('options.delimiter', 'a non-empty string', delimiter);
  const option = header
    ? mappingOption<string>('options.columns', o.columns, nameCheck)
    : mappingOption<number>('options.columns', o.columns, (n, v) => integer(n, v, 0, 1e6));
  if (o.signal?.aborted) throw aborted(path, 0);

  const log = new InteractionLog();
  let skipped = 0;
  let lines = 0;
  let records = 0;
  let parsedTo = 0; // the parser runs ahead of this loop
  const parser = parse({
    delimiter,
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: o.lenient === true,
    // the line each record ends on (one info snapshot per record; `info: true` would make a second)
    on_record: ((record: string[], context: InfoRecord) => ({ record, end: (parsedTo = context.lines) })) as unknown as Options['on_record'],
    // a broken quote can swallow the lines after it: count every line up to where csv-parse resynced
    on_skip: (e) => {
      const at = typeof e?.lines === 'number' ? e.lines : parsedTo + 1;
      skipped += Math.max(1, at - parsedTo);
      parsedTo = Math.max(parsedTo, at);
    },
  });
  const file = createReadStream(path);
  const streams: Readable[] = path.endsWith('.gz') ? [file, createGunzip()] : [file];
  pipeline([...streams, parser], () => {}); // errors reach us through the parser's iterator
  if (o.signal) addAbortSignal(o.signal, parser);

  let columns: Mapping<number> | undefined = header ? undefined : indices(option as MappingOption<number>);
  let names: Record<string, string> = {};
  let expected: number | undefined;
  let need: number | undefined; // fields a record must have to hold every mapped column
  try {
    for await (const { record, end } of parser as AsyncIterable<{ record: string[]; end: number }>) {
      lines = end;
      if (o.signal?.aborted) throw aborted(path, lines);
      if (columns === undefined) {
        columns = resolveNames(
          path,
          record,
          option as MappingOption<string>,
          { user: 'user', item: 'item', time: 'time', rating: 'rating' },
          'options.columns',
        );
        expected = record.length;
        names = Object.fromEntries(ROLES.map((r) => [r, record[columns![r] ?? -1] ?? r]));
        continue;
      }
      const map = columns;
      const least = (need ??= Math.max(...ROLES.map((r) => (map[r] ?? -1) + 1)));
      skipped += lenientRow(o.lenient, () => {
        const line = startLine(end, record);
        if (expected === undefined && record.length >= least) expected = record.length;
        if (record.length !== expected) {
          throw lineError(path, line, 'line', `has ${record.length} fields, expected ${expected ?? `at least ${least}`}`);
        }
        const field = (r: keyof typeof map) => (header ? names[r]! : `${r} (column ${map[r]})`);
        const time = map.time === undefined ? Number.NaN : numberField(path, line, field('time'), record[map.time]);
        const rating = map.rating === undefined ? Number.NaN : numberField(path, line, field('rating'), record[map.rating]);
        log.add(idField(path, line, field('user'), record[map.user]), idField(path, line, field('item'), record[map.item]), time, rating);
      });
      if (++records % PROGRESS_EVERY === 0) o.onProgress?.(lines);
    }
  } catch (e) {
    throw readError(path, e, lines);
  } finally {
    parser.destroy();
  }
  o.onProgress?.(lines);
  requireEvents(path, log, skipped);
  return { log, skipped };
}

function indices(option: MappingOption<number>): Mapping<number> {
  const out: Mapping<number> = { user: option.user ?? 0, item: option.item ?? 1 };
  if (typeof option.time === 'number') out.time = option.time;
  if (typeof option.rating === 'number') out.rating = option.rating;
  return out;
}

/** csv-parse reports the line a record ends on; a quoted field with newlines started earlier. */
function startLine(end: number, record: readonly string[]): number {
  let newlines = 0;
  for (const f of record) for (let i = f.indexOf('\n'); i >= 0; i = f.indexOf('\n', i + 1)) newlines++;
  return end - newlines;
}

function readError(path: string, e: unknown, line: number): SeqrecError {
  if (e instanceof SeqrecError) return e;
  const err = e as { name?: string; code?: string; lines?: number; message?: string };
  if (err.name === 'AbortError') return aborted(path, line, e);
  if (typeof err.code === 'string' && /^(CSV_|INVALID_OPENING_QUOTE)/.test(err.code) && typeof err.lines === 'number') {
    return new SeqrecError('E_INVALID_DATA', `${path}:${err.lines}: line ${err.message}`, { file: path, line: err.lines, field: 'line' }, { cause: e });
  }
  return new SeqrecError('E_INVALID_DATA', `cannot read ${path}: ${err.message ?? String(e)}`, { file: path }, { cause: e });
}

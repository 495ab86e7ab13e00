/**
 * RecBole atomic files: tab-separated, first line `name:type` per column with type token,
 * token_seq, float or float_seq (sequences space-separated); gzip when the name ends in .gz.
 * `.inter` → InteractionLog (user_id, item_id, and timestamp / rating when present, or the names in
 * `fields`); `.item` / `.user` → rows by id with each value typed (an empty float is NaN, as in
 * RecBole), plus the line of each id so `checkSideFile` can name side-file ids that are not in the
 * interactions. Malformed lines are E_INVALID_DATA naming file:line and field, or, with `lenient`,
 * skipped and counted.
 */
import { SeqrecError } from '../../errors.js';
import { boolean, invalid, noUnknownKeys, optionsObject } from '../../validate.js';
import { InteractionLog } from '../interaction-log.js';
import {
  aborted,
  idField,
  type InteractionsRead,
  lenientRow,
  type MappingOption,
  mappingOption,
  nameCheck,
  numberField,
  PROGRESS_EVERY,
  type ReaderOptions,
  readerOptions,
  requireEvents,
  resolveNames,
} from './common.js';
import { lineError, readLines } from './lines.js';

export type RecBoleType = 'token' | 'token_seq' | 'float' | 'float_seq';
export type RecBoleValue = string | number | string[] | number[];
export type RecBoleRow = Record<string, RecBoleValue>;

export interface RecBoleInterOptions extends ReaderOptions {
  /** column names without the type; defaults user_id, item_id, timestamp, rating (null = ignore). */
  fields?: MappingOption<string>;
}

export interface RecBoleSideOptions extends ReaderOptions {
  /** the id column. Default 'item_id' for readRecBoleItems, 'user_id' for readRecBoleUsers. */
  id?: string;
}

export interface RecBoleSide {
  /** name of the id column */
  field: string;
  /** column names and types (the id column included) */
  columns: { name: string; type: RecBoleType }[];
  /** each row by id, without the id column */
  rows: Map<string, RecBoleRow>;
  /** line of each id in the file */
  lines: Map<string, number>;
  /** malformed lines skipped (lenient mode) */
  skipped: number;
}

const TYPES: readonly string[] = ['token', 'token_seq', 'float', 'float_seq'];

/** Stream an atomic file: header → columns, then each data line split on tabs (count checked). */
async function readAtomic(
  path: string,
  o: ReaderOptions,
  header: (columns: { name: string; type: RecBoleType }[]) => void,
  row: (fields: string[], line: number, columns: { name: string; type: RecBoleType }[]) => void,
): Promise<{ skipped: number; columns: { name: string; type: RecBoleType }[] }> {
  if (o.signal?.aborted) throw aborted(path, 0);
  let columns: { name: string; type: RecBoleType }[] | undefined;
  let skipped = 0;
  let lines = 0;
  let records = 0;
  for await (const { text, line } of readLines(path, { signal: o.signal })) {
    lines = line;
    if (columns === undefined) {
      columns = text.split('\t').map((cell, at) => {
        const colon = cell.lastIndexOf(':');
        const type = cell.slice(colon + 1);
        if (colon <= 0 || !TYPES.includes(type)) {
          throw lineError(path, line, `header column ${at + 1}`, `${JSON.stringify(cell)} is not name:type with type ${TYPES.join(', ')}`);
        }
        return { name: cell.slice(0, colon), type: type as RecBoleType };
      });
      header(columns);
      continue;
    }
    if (text === '') continue;
    const cols = columns;
    skipped += lenientRow(o.lenient, () => {
      const fields = text.split('\t');
      if (fields.length !== cols.length) throw lineError(path, line, 'line', `has ${fields.length} fields, expected ${cols.length}`);
      row(fields, line, cols);
    });
    if (++records % PROGRESS_EVERY === 0) o.onProgress?.(lines);
  }
  o.onProgress?.(lines);
  if (columns === undefined) throw new SeqrecError('E_INVALID_DATA', `${path} is empty (no header line)`, { file: path });
  return { skipped, columns };
}

export async function readRecBoleInter(path: string, options: RecBoleInterOptions = {}): Promise<InteractionsRead> {
  const o = readerOptions('options', options, ['fields']) as RecBoleInterOptions;
  const option = mappingOption('options.fields', o.fields, nameCheck);
  const defaults = { user: 'user_id', item: 'item_id', time: 'timestamp', rating: 'rating' };
  const log = new InteractionLog();
  let map: ReturnType<typeof resolveNames> | undefined;
  const header = (columns: { name: string }[]) =>
    void (map = resolveNames(
      path,
      columns.map((c) => c.name),
      option,
      defaults,
      'options.fields',
    ));
  const { skipped } = await readAtomic(path, o, header, (f, line, columns) => {
    const m = map!;
    const name = (at: number) => columns[at]!.name;
    const time = m.time === undefined ? Number.NaN : numberField(path, line, name(m.time), f[m.time]);
    const rating = m.rating === undefined ? Number.NaN : numberField(path, line, name(m.rating), f[m.rating]);
    log.add(idField(path, line, name(m.user), f[m.user]), idField(path, line, name(m.item), f[m.item]), time, rating);
  });
  requireEvents(path, log, skipped);
  return { log, skipped };
}

export function readRecBoleItems(path: string, options: RecBoleSideOptions = {}): Promise<RecBoleSide> {
  return readSide(path, options, 'item_id');
}

export function readRecBoleUsers(path: string, options: RecBoleSideOptions = {}): Promise<RecBoleSide> {
  return readSide(path, options, 'user_id');
}

async function readSide(path: string, options: RecBoleSideOptions, defaultId: string): Promise<RecBoleSide> {
  const o = readerOptions('options', options, ['id']) as RecBoleSideOptions;
  const field = o.id === undefined ? defaultId : nameCheck('options.id', o.id);
  const rows = new Map<string, RecBoleRow>();
  const lines = new Map<string, number>();
  let idAt = -1;
  const header = (cols: { name: string }[]) => {
    idAt = cols.findIndex((c) => c.name === field);
    if (idAt < 0) {
      throw new SeqrecError(
        'E_INVALID_OPTION',
        `options.id: column ${JSON.stringify(field)} is not in the header of ${path} (${cols.map((c) => c.name).join(', ')})`,
        {
          option: 'options.id',
          file: path,
          column: field,
          header: cols.map((c) => c.name),
        },
      );
    }
  };
  const { skipped, columns } = await readAtomic(path, o, header, (f, line, cols) => {
    const id = idField(path, line, field, f[idAt]);
    if (rows.has(id)) throw lineError(path, line, field, `${JSON.stringify(id)} appears twice (first on line ${lines.get(id)})`);
    const row: RecBoleRow = {};
    cols.forEach((c, at) => {
      if (at !== idAt) row[c.name] = value(path, line, c.name, c.type, f[at]!);
    });
    rows.set(id, row);
    lines.set(id, line);
  });
  return { field, columns, rows, lines, skipped };
}

function value(path: string, line: number, name: string, type: RecBoleType, text: string): RecBoleValue {
  const float = (s: string) => (s.trim() === '' ? Number.NaN : numberField(path, line, name, s));
  const seq = (s: string) => s.split(' ').filter((t) => t !== '');
  switch (type) {
    case 'token':
      return text;
    case 'token_seq':
      return seq(text);
    case 'float':
      return float(text);
    case 'float_seq':
      return seq(text).map(float);
  }
}

/**
 * Side-file ids that are not in the interactions (`known`, e.g. the ids read from the .inter):
 * E_INVALID_DATA naming the first such id and its line, or, with `lenient`, removed from `side`
 * and counted. Returns the number removed.
 */
export function checkSideFile(
  side: Pick<RecBoleSide, 'field' | 'rows' | 'lines'>,
  known: ReadonlySet<string>,
  path: string,
  options: { lenient?: boolean } = {},
): number {
  const o = optionsObject('options', options);
  noUnknownKeys('options', o, ['lenient']);
  const lenient = o.lenient === undefined ? false : boolean('options.lenient', o.lenient);
  if (!(known instanceof Set)) throw invalid('known', 'a Set of ids', known);
  let unknown = 0;
  for (const [id, line] of side.lines) {
    if (known.has(id)) continue;
    if (!lenient) throw lineError(path, line, side.field, `${JSON.stringify(id)} does not appear in the interactions`);
    side.rows.delete(id);
    side.lines.delete(id);
    unknown++;
  }
  return unknown;
}

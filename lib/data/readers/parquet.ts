/**
 * Apache Parquet interactions into an InteractionLog, through the optional package hyparquet (loaded
 * on first use; E_MISSING_DEPENDENCY when it is not installed). Columns by name as for CSV: user and
 * item (strings or integers), optional time (numbers in seconds; a TIMESTAMP column becomes seconds
 * since the epoch) and rating; defaults user, item, and time / rating when the file has them, null
 * turns time or rating off. Without time, file order is time order. Reads one row group at a time,
 * so progress and cancellation happen between row groups. A bad value is E_INVALID_DATA naming
 * file:row (1-based data row) and column, or, with `lenient`, skipped and counted; a column that is
 * not in the file is E_INVALID_OPTION. Codecs: uncompressed and snappy (hyparquet's built-ins).
 */
import { SeqrecError } from '../../errors.js';
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
  type ReaderOptions,
  readerOptions,
  requireEvents,
  resolveNames,
  type Role,
  ROLES,
} from './common.js';

export interface ParquetOptions extends ReaderOptions {
  /** (str) column of user ids. Default 'user'. */
  user?: string;
  /** (str) column of item ids. Default 'item'. */
  item?: string;
  /** (str | null) column of event times in seconds, or a TIMESTAMP column. Default 'time' when present; null = none. */
  time?: string | null;
  /** (str | null) column of ratings. Default 'rating' when present; null = none. */
  rating?: string | null;
}

type Hyparquet = typeof import('hyparquet');
type ParquetFile = Awaited<ReturnType<Hyparquet['asyncBufferFromFile']>>;
type Metadata = Awaited<ReturnType<Hyparquet['parquetMetadataAsync']>>;

/** Import hyparquet, an optional dependency, or say how to install it. */
export async function loadHyparquet(): Promise<Hyparquet> {
  try {
    return await import('hyparquet');
  } catch (e) {
    const message = 'Reading Parquet needs the optional package hyparquet: npm install hyparquet';
    throw new SeqrecError('E_MISSING_DEPENDENCY', message, { dependency: 'hyparquet' }, { cause: e });
  }
}

export async function readParquet(path: string, options: ParquetOptions = {}): Promise<InteractionsRead> {
  const o = readerOptions('options', options, ROLES) as ParquetOptions;
  const option = mappingOption('options', { user: o.user, item: o.item, time: o.time, rating: o.rating }, nameCheck);
  if (o.signal?.aborted) throw aborted(path, 0);
  const parquet = await loadHyparquet();
  const { file, metadata } = await guard(path, async () => {
    const file = await parquet.asyncBufferFromFile(path);
    return { file, metadata: await parquet.parquetMetadataAsync(file) };
  });
  const columns = resolveColumns(
    path,
    parquet.parquetSchema(metadata).children.map((c) => c.element.name),
    option,
  );

  const log = new InteractionLog();
  let skipped = 0;
  let row = 0;
  for (const [g, group] of metadata.row_groups.entries()) {
    if (g > 0) o.onProgress?.(row);
    if (o.signal?.aborted) throw aborted(path, row);
    const rows = await readRowGroup(parquet, path, file, metadata, columns, row, row + Number(group.num_rows));
    for (const values of rows) {
      const at = ++row;
      skipped += lenientRow(o.lenient, () => addRow(log, path, at, columns, values));
    }
  }
  o.onProgress?.(row);
  requireEvents(path, log, skipped);
  return { log, skipped };
}

/** Append row `row` (1-based, for error messages) to the log. */
function addRow(log: InteractionLog, path: string, row: number, columns: Partial<Record<Role, string>>, values: Record<string, unknown>): void {
  const { user, item, time, rating } = columns;
  log.add(
    idField(path, row, user!, bigintToString(values[user!])),
    idField(path, row, item!, bigintToString(values[item!])),
    time === undefined ? Number.NaN : numberField(path, row, time, seconds(values[time])),
    rating === undefined ? Number.NaN : numberField(path, row, rating, bigintToNumber(values[rating])),
  );
}

function readRowGroup(
  parquet: Hyparquet,
  path: string,
  file: ParquetFile,
  metadata: Metadata,
  columns: Partial<Record<Role, string>>,
  rowStart: number,
  rowEnd: number,
): Promise<Record<string, unknown>[]> {
  const names = [...new Set(Object.values(columns))];
  return guard(path, () => parquet.parquetReadObjects({ file, metadata, columns: names, rowStart, rowEnd }));
}

/**
 * The column of each role: explicit names must be in the file (E_INVALID_OPTION naming the option and
 * listing the columns), the default names (the role's own name) are used when present.
 */
function resolveColumns(path: string, names: readonly string[], option: MappingOption<string>): Partial<Record<Role, string>> {
  const at = resolveNames(path, names, option, { user: 'user', item: 'item', time: 'time', rating: 'rating' }, 'options');
  return Object.fromEntries(ROLES.filter((r) => at[r] !== undefined).map((r) => [r, names[at[r]!]!]));
}

/** Run a hyparquet call, turning its failures (missing file, corrupt footer, unsupported codec) into E_INVALID_DATA. */
async function guard<T>(path: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof SeqrecError) throw e;
    throw new SeqrecError('E_INVALID_DATA', `cannot read ${path}: ${(e as Error)?.message ?? String(e)}`, { file: path }, { cause: e });
  }
}

// INT64 columns arrive as bigint and TIMESTAMP columns as Date; the field parsers take strings and numbers.
function bigintToString(value: unknown): unknown {
  return typeof value === 'bigint' ? String(value) : value;
}

function bigintToNumber(value: unknown): unknown {
  return typeof value === 'bigint' ? Number(value) : value;
}

function seconds(value: unknown): unknown {
  return value instanceof Date ? value.getTime() / 1000 : bigintToNumber(value);
}

/**
 * JSON Lines interactions (one object per line, streamed; gzip when the name ends in .gz) into an
 * InteractionLog. `fields` names the properties (defaults user, item, time, rating). user and item
 * are strings or numbers; time and rating are numbers or numeric strings. A property named
 * explicitly must be on every line; a default time / rating is read when the first record has it,
 * and then every line must agree with the first (null turns it off); with no time property, a property that
 * looks like a time (timestamp, date, created_at, …) is an E_INVALID_OPTION asking to map it or set time null. Without time, file order is time order.
 * Invalid JSON, a non-object line, a missing property or a wrong type is E_INVALID_DATA naming
 * file:line and field, or, with `lenient`, skipped and counted.
 */
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
  refuseUnmappedTime,
  requireEvents,
} from './common.js';
import { lineError, readLines } from './lines.js';

export interface JsonlOptions extends ReaderOptions {
  /** property names; time / rating null = ignore. */
  fields?: MappingOption<string>;
}

type Optional = 'time' | 'rating';

export async function readJsonl(path: string, options: JsonlOptions = {}): Promise<InteractionsRead> {
  const o = readerOptions('options', options, ['fields']) as JsonlOptions;
  const fields = mappingOption('options.fields', o.fields, nameCheck);
  if (o.signal?.aborted) throw aborted(path, 0);
  const user = fields.user ?? 'user';
  const item = fields.item ?? 'item';
  // 'yes' = required on every line, 'off' = ignored (null), 'no' = absent from every line (the
  // first record had none), undefined = decided by the first record
  const mode: Record<Optional, 'yes' | 'no' | 'off' | undefined> = {
    time: fields.time === null ? 'off' : fields.time !== undefined ? 'yes' : undefined,
    rating: fields.rating === null ? 'off' : fields.rating !== undefined ? 'yes' : undefined,
  };
  const name: Record<Optional, string> = { time: fields.time ?? 'time', rating: fields.rating ?? 'rating' };

  const log = new InteractionLog();
  let skipped = 0;
  let lines = 0;
  let records = 0;
  for await (const { text, line } of readLines(path, { signal: o.signal })) {
    lines = line;
    if (text.trim() === '') continue;
    skipped += lenientRow(o.lenient, () => {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (e) {
        throw lineError(path, line, 'line', `is not valid JSON (${(e as Error).message})`);
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw lineError(path, line, 'line', 'is not a JSON object');
      const row = value as Record<string, unknown>;
      if (!(user in row)) throw lineError(path, line, user, 'is missing');
      if (!(item in row)) throw lineError(path, line, item, 'is missing');
      const u = idField(path, line, user, row[user]);
      const i = idField(path, line, item, row[item]);
      const read = (key: Optional, otherwise: number): number => {
        const present = name[key] in row && row[name[key]] !== null;
        if (mode[key] === undefined && log.length === 0) {
          if (!present && key === 'time') refuseUnmappedTime(path, Object.keys(row), 'options.fields.time');
          mode[key] = present ? 'yes' : 'no';
        }
        if (mode[key] === 'off') return otherwise;
        if (mode[key] === 'no') {
          if (present) throw lineError(path, line, name[key], 'is present but the first record has none (set it to null to ignore it)');
          return otherwise;
        }
        if (!present) throw lineError(path, line, name[key], 'is missing');
        return numberField(path, line, name[key], row[name[key]]);
      };
      const time = read('time', Number.NaN);
      const rating = read('rating', Number.NaN);
      log.add(u, i, time, rating);
    });
    if (++records % PROGRESS_EVERY === 0) o.onProgress?.(lines);
  }
  o.onProgress?.(lines);
  requireEvents(path, log, skipped);
  return { log, skipped };
}

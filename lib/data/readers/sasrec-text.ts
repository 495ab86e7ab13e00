/**
 * Reader for the SASRec/BERT4Rec preprocessed text format: one "user item" pair per line,
 * 1-based integer ids, each user's lines in time order (the form the published ML-1M numbers
 * use). Streams the file line by line (gzip when the name ends in .gz); a malformed line is a
 * SeqrecError naming the file, line and field. Dense item id = file id. The preprocessing renumbers
 * ids, so itemIds / userIds are the file's ids unless `itemIdMap` / `userIdMap` name files of
 * "sas_id original_id" lines (shipped beside the ML-1M file) that give the original ids back; side
 * information keyed by original id (MovieLens movies.dat, users.dat) can then be attached.
 */
import { SeqrecError } from '../../errors.js';
import { Dataset } from '../dataset.js';
import { aborted, nameCheck, PROGRESS_EVERY, type ReaderOptions, streamOptions } from './common.js';
import { lineError, readLines } from './lines.js';

export interface SasrecTextOptions extends Omit<ReaderOptions, 'lenient'> {
  /** (str) path of the "sas_id original_id" file for items: itemIds become the original ids. */
  itemIdMap?: string;
  /** (str) path of the "sas_id original_id" file for users: userIds become the original ids. */
  userIdMap?: string;
}

/** One id map file: sas id → original id and the line it is on. */
interface IdMap {
  path: string;
  entries: Map<number, { id: string; line: number }>;
}

/**
 * Read the file into a Dataset. With an id map, every id in the file needs an entry (E_INVALID_DATA
 * naming the file:line of its first use), and every entry must name an id of the file (items: 1..numItems;
 * E_INVALID_DATA naming the map's file:line); item ids absent from both the file and the map get ''.
 */
export async function readSasrecText(path: string, options: SasrecTextOptions = {}): Promise<Dataset> {
  const o = streamOptions('options', options, ['itemIdMap', 'userIdMap']) as SasrecTextOptions;
  const itemMap = o.itemIdMap === undefined ? undefined : await readIdMap(nameCheck('options.itemIdMap', o.itemIdMap), o.signal);
  const userMap = o.userIdMap === undefined ? undefined : await readIdMap(nameCheck('options.userIdMap', o.userIdMap), o.signal);
  if (o.signal?.aborted) throw aborted(path, 0);
  const byUser = new Map<number, number[]>();
  let numItems = 0;
  let lines = 0;
  let records = 0;
  for await (const { text, line } of readLines(path, { signal: o.signal })) {
    lines = line;
    if (text.trim() === '') continue;
    const [user, item] = parsePair(path, line, text);
    if (userMap && !userMap.entries.has(user)) throw lineError(path, line, 'user', `${user} has no entry in ${userMap.path}`);
    if (itemMap && !itemMap.entries.has(item)) throw lineError(path, line, 'item', `${item} has no entry in ${itemMap.path}`);
    let seq = byUser.get(user);
    if (!seq) byUser.set(user, (seq = []));
    seq.push(item);
    if (item > numItems) numItems = item;
    if (++records % PROGRESS_EVERY === 0) o.onProgress?.(lines);
  }
  o.onProgress?.(lines);
  if (byUser.size === 0) throw new SeqrecError('E_INVALID_DATA', `${path} has no interactions`, { file: path });
  if (itemMap) requireKnown(itemMap, (id) => id <= numItems, `an item of ${path} (ids 1..${numItems})`);
  if (userMap) requireKnown(userMap, (id) => byUser.has(id), `a user of ${path}`);
  return toDataset(byUser, numItems, itemMap, userMap);
}

/** Users sorted by file id, each with their items in file order. */
function toDataset(byUser: Map<number, number[]>, numItems: number, itemMap: IdMap | undefined, userMap: IdMap | undefined): Dataset {
  const users = [...byUser.keys()].sort((a, b) => a - b);
  const offsets = new Int32Array(users.length + 1);
  const items = new Int32Array([...byUser.values()].reduce((n, s) => n + s.length, 0));
  users.forEach((u, i) => {
    const seq = byUser.get(u)!;
    items.set(seq, offsets[i]!);
    offsets[i + 1] = offsets[i]! + seq.length;
  });
  const itemIds = Array.from({ length: numItems + 1 }, (_, i) => (i === 0 ? '' : (originalId(itemMap, i) ?? '')));
  const userIds = users.map((u) => originalId(userMap, u)!);
  return Dataset.fromCSR({ offsets, items, numItems, itemIds, userIds });
}

/** The id to show for file id `id`: the map's original id, or the file's id without a map. */
function originalId(map: IdMap | undefined, id: number): string | undefined {
  return map ? map.entries.get(id)?.id : String(id);
}

function parsePair(path: string, line: number, text: string): [number, number] {
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 2) throw lineError(path, line, 'line', `has ${parts.length} fields, expected 2 ("user item")`);
  const [user, item] = parts.map(Number) as [number, number];
  if (!Number.isInteger(user) || user < 1) throw lineError(path, line, 'user', `${JSON.stringify(parts[0])} is not a positive integer`);
  if (!Number.isInteger(item) || item < 1 || item > 0x7ffffffd) throw lineError(path, line, 'item', `${JSON.stringify(parts[1])} is not a positive integer`);
  return [user, item];
}

/** Read "sas_id original_id" lines; malformed lines and repeated ids on either side are errors. */
async function readIdMap(path: string, signal: AbortSignal | undefined): Promise<IdMap> {
  if (signal?.aborted) throw aborted(path, 0);
  const entries = new Map<number, { id: string; line: number }>();
  const originals = new Map<string, number>(); // original id → line
  for await (const { text, line } of readLines(path, { signal })) {
    if (text.trim() === '') continue;
    const parts = text.trim().split(/\s+/);
    if (parts.length !== 2) throw lineError(path, line, 'line', `has ${parts.length} fields, expected 2 ("sas_id original_id")`);
    const [sas, id] = parts as [string, string];
    const n = Number(sas);
    if (!/^\d+$/.test(sas) || n < 1) throw lineError(path, line, 'sas_id', `${JSON.stringify(sas)} is not a positive integer`);
    const first = entries.get(n);
    if (first) throw lineError(path, line, 'sas_id', `${n} appears twice (first on line ${first.line})`);
    const again = originals.get(id);
    if (again !== undefined) throw lineError(path, line, 'original_id', `${JSON.stringify(id)} appears twice (first on line ${again})`);
    entries.set(n, { id, line });
    originals.set(id, line);
  }
  if (entries.size === 0) throw new SeqrecError('E_INVALID_DATA', `${path} has no id pairs`, { file: path });
  return { path, entries };
}

/** E_INVALID_DATA at the first map entry (in file order) whose sas id fails `known`. */
function requireKnown(map: IdMap, known: (id: number) => boolean, what: string): void {
  for (const [sas, { line }] of map.entries) {
    if (!known(sas)) throw lineError(map.path, line, 'sas_id', `${sas} is not ${what}`);
  }
}

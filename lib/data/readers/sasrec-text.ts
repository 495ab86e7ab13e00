/**
 * Reader for the SASRec/BERT4Rec preprocessed text format: one "user item" pair per line,
 * 1-based integer ids, each user's lines in time order (the form the published ML-1M numbers
 * use). Streams the file line by line (gzip when the name ends in .gz); a malformed line is a
 * SeqrecError naming the file, line and field. Ids are kept as given: dense item id = file id.
 */
import { SeqrecError } from '../../errors.js';
import { Dataset } from '../dataset.js';
import { lineError, readLines } from './lines.js';

export async function readSasrecText(path: string, options: { signal?: AbortSignal } = {}): Promise<Dataset> {
  const byUser = new Map<number, number[]>();
  let numItems = 0;
  for await (const { text, line } of readLines(path, options)) {
    if (text.trim() === '') continue;
    const parts = text.trim().split(/\s+/);
    if (parts.length !== 2) throw lineError(path, line, 'line', `has ${parts.length} fields, expected 2 ("user item")`);
    const [user, item] = parts.map(Number) as [number, number];
    if (!Number.isInteger(user) || user < 1) throw lineError(path, line, 'user', `${JSON.stringify(parts[0])} is not a positive integer`);
    if (!Number.isInteger(item) || item < 1 || item > 0x7ffffffd) throw lineError(path, line, 'item', `${JSON.stringify(parts[1])} is not a positive integer`);
    let seq = byUser.get(user);
    if (!seq) byUser.set(user, (seq = []));
    seq.push(item);
    if (item > numItems) numItems = item;
  }
  if (byUser.size === 0) throw new SeqrecError('E_INVALID_DATA', `${path} has no interactions`, { file: path });

  const users = [...byUser.keys()].sort((a, b) => a - b);
  const offsets = new Int32Array(users.length + 1);
  const items = new Int32Array([...byUser.values()].reduce((n, s) => n + s.length, 0));
  users.forEach((u, i) => {
    const seq = byUser.get(u)!;
    items.set(seq, offsets[i]!);
    offsets[i + 1] = offsets[i]! + seq.length;
  });
  const itemIds = Array.from({ length: numItems + 1 }, (_, i) => (i === 0 ? '' : String(i)));
  return Dataset.fromCSR({ offsets, items, numItems, itemIds, userIds: users.map(String) });
}

/**
 * Reader for the SASRec/BERT4Rec preprocessed text format: one "user item" pair per line,
 * 1-based integer ids, each user's lines in time order (the form the published ML-1M numbers
 * use). Streams the file line by line (gzip when the name ends in .gz); a malformed line is a
 * SeqrecError naming the file, line and field. Ids are kept as given: dense item id = file id.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { SeqrecError } from '../../errors.js';
import { Dataset } from '../dataset.js';

export async function readSasrecText(path: string, options: { signal?: AbortSignal } = {}): Promise<Dataset> {
  const file = createReadStream(path);
  const stream = path.endsWith('.gz') ? file.pipe(createGunzip()) : file;
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  const fail = (line: number, field: string, why: string) =>
    new SeqrecError('E_INVALID_DATA', `${path}:${line}: ${field} ${why}`, { file: path, line, field });

  const byUser = new Map<number, number[]>();
  let numItems = 0;
  let lineNo = 0;
  try {
    for await (const text of lines) {
      lineNo++;
      if (options.signal?.aborted) throw new SeqrecError('E_ABORTED', `reading ${path} was aborted at line ${lineNo}`);
      if (text.trim() === '') continue;
      const parts = text.trim().split(/\s+/);
      if (parts.length !== 2) throw fail(lineNo, 'line', `has ${parts.length} fields, expected 2 ("user item")`);
      const [user, item] = parts.map(Number) as [number, number];
      if (!Number.isInteger(user) || user < 1) throw fail(lineNo, 'user', `${JSON.stringify(parts[0])} is not a positive integer`);
      if (!Number.isInteger(item) || item < 1 || item > 0x7ffffffd) throw fail(lineNo, 'item', `${JSON.stringify(parts[1])} is not a positive integer`);
      let seq = byUser.get(user);
      if (!seq) byUser.set(user, (seq = []));
      seq.push(item);
      if (item > numItems) numItems = item;
    }
  } catch (e) {
    if (e instanceof SeqrecError) throw e;
    throw new SeqrecError('E_INVALID_DATA', `cannot read ${path}: ${(e as Error).message}`, { file: path }, { cause: e });
  } finally {
    lines.close();
    file.destroy();
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

/**
 * Streams a text file line by line (gzip when the name ends in .gz, any Node text encoding such
 * as 'latin1' for MovieLens), with 1-based line numbers for error messages and AbortSignal
 * support. A leading UTF-8 byte-order mark is dropped (whatever the declared encoding: in Latin-1 it
 * would read as "ï»¿" and become part of the first id). Failing to open or read the file is
 * E_INVALID_DATA naming the path.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { SeqrecError } from '../../errors.js';

export interface LineOptions {
  /** text encoding of the file. Default 'utf8'. */
  encoding?: BufferEncoding;
  signal?: AbortSignal;
}

export async function* readLines(path: string, options: LineOptions = {}): AsyncGenerator<{ text: string; line: number }> {
  const file = createReadStream(path);
  const bytes = path.endsWith('.gz') ? file.pipe(createGunzip()) : file;
  bytes.setEncoding(options.encoding ?? 'utf8');
  const lines = createInterface({ input: bytes, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      if (options.signal?.aborted) throw abortedAt(path, line);
      yield { text: line === 1 ? withoutBom(text) : text, line };
    }
  } catch (e) {
    if (e instanceof SeqrecError) throw e;
    throw new SeqrecError('E_INVALID_DATA', `cannot read ${path}: ${(e as Error).message}`, { file: path }, { cause: e });
  } finally {
    lines.close();
    file.destroy();
  }
}

/** The UTF-8 byte-order mark as it decodes in UTF-8 (U+FEFF) and in Latin-1 (its three bytes as characters). */
const BOMS = ['\uFEFF', '\u00EF\u00BB\u00BF'];

function withoutBom(text: string): string {
  const bom = BOMS.find((b) => text.startsWith(b));
  return bom ? text.slice(bom.length) : text;
}

/** E_INVALID_DATA for one field of one line. */
export function lineError(path: string, line: number, field: string, why: string): SeqrecError {
  return new SeqrecError('E_INVALID_DATA', `${path}:${line}: ${field} ${why}`, { file: path, line, field });
}

/** E_ABORTED for a read cancelled at `line` (0 = before the first line). */
export function abortedAt(path: string, line: number, cause?: unknown): SeqrecError {
  return new SeqrecError('E_ABORTED', `reading ${path} was aborted at line ${line}`, { file: path, line }, cause === undefined ? undefined : { cause });
}

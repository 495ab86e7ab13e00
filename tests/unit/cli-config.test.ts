import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/cli/config.js';
import { resolveFormat } from '../../lib/cli/load-data.js';
import { progress } from '../../lib/cli/progress.js';
import { isSeqrecError } from '../../lib/index.js';
import { tempFiles } from '../helpers/temp.js';

const file = tempFiles('config');

async function failure(p: Promise<unknown>): Promise<Error & { code?: string }> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: Error) => e,
  );
}

describe('CLI config', () => {
  it('lays flags over the file, section by section', async () => {
    const path = file('run.json', JSON.stringify({ data: { path: 'a.csv', minRating: 4 }, train: { epochs: 10, lr: 0.001 } }));
    const config = await loadConfig(path, { data: { path: 'b.csv' }, train: { epochs: 3, lr: undefined } });
    expect(config).toEqual({ data: { path: 'b.csv', minRating: 4 }, train: { epochs: 3, lr: 0.001 } });
  });

  it('names the path and the source of unknown keys and wrong types', async () => {
    const unknown = await failure(loadConfig(file('u.json', JSON.stringify({ train: { epochz: 3 } })), {}));
    expect(isSeqrecError(unknown, 'E_INVALID_OPTION')).toBe(true);
    expect(unknown.message).toMatch(/u\.json: train: unknown key epochz/);
    const section = await failure(loadConfig(file('s.json', JSON.stringify({ traning: {} })), {}));
    expect(section.message).toContain('traning');
    const type = await failure(loadConfig(file('t.json', JSON.stringify({ model: { dropout: 2 } })), {}));
    expect(type.message).toMatch(/t\.json: model\.dropout/);
    const flag = await failure(loadConfig(undefined, { model: { heads: 0 } }));
    expect(flag.message).toMatch(/the command line: model\.heads/);
  });

  it('rejects unreadable and non-JSON files', async () => {
    expect((await failure(loadConfig('/no/such/file.json', {}))).message).toContain('/no/such/file.json');
    const bad = await failure(loadConfig(file('bad.json', '{ "train": '), {}));
    expect(isSeqrecError(bad, 'E_INVALID_DATA')).toBe(true);
    expect(bad.message).toContain('not valid JSON');
  });

  it('picks the reader by extension, .gz stripped, and asks for --format otherwise', () => {
    expect(resolveFormat('x/ratings.dat', undefined)).toBe('movielens');
    expect(resolveFormat('x/ml-1m.txt.gz', 'auto')).toBe('sasrec');
    expect(resolveFormat('x/log.tsv', undefined)).toBe('tsv');
    expect(resolveFormat('x/log.whatever', 'csv')).toBe('csv');
    expect(() => resolveFormat('x/log.whatever', undefined)).toThrow(/--format/);
    expect(() => resolveFormat('data/ml-1m-sasrec', undefined)).toThrow('cannot tell the format of data/ml-1m-sasrec: it has no extension; pass --format');
  });
});

describe('CLI progress without a terminal', () => {
  it('prints every `every`-th update, the last one, and nothing when quiet', () => {
    const lines: string[] = [];
    const p = progress({ quiet: false, tty: false, every: 3, write: (l) => lines.push(l) });
    p.start('training', 7);
    for (let i = 1; i <= 5; i++) p.update(i, `loss ${i}`);
    p.stop();
    expect(lines).toEqual(['training 1/7 loss 1', 'training 4/7 loss 4', 'training 5/7 loss 5']);
    const silent: string[] = [];
    const q = progress({ quiet: true, write: (l) => silent.push(l) });
    q.start('x', 1);
    q.update(1, '');
    q.stop();
    expect(silent).toEqual([]);
  });

  it('an unknown total prints the count alone, never "599/0"', () => {
    const lines: string[] = [];
    const p = progress({ quiet: false, tty: false, every: 1, write: (l) => lines.push(l) });
    p.start('reading');
    p.update(599, 'lines');
    p.stop();
    expect(lines).toEqual(['reading 599 lines']);
  });
});

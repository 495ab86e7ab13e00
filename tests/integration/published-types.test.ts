/**
 * The published types hold no internal surface: dist/index.d.ts and index.d.cts (built by tsup from
 * lib/index.ts, as `npm test` does before vitest) name no raw addon type (lib/native/raw.ts), no state
 * export/import, no model core and no checkpoint loader; and a model has none of them at run time.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BERT4Rec, BertTextEncoder, SASRec, SequentialRecommender } from '../../lib/index.js';

const INTERNAL = ['exportState', 'importState', 'loadInto', 'fromConfig', 'modelCore', 'ModelCore', 'tuneRequest', 'textTuneRequest', 'writeRows'];

describe('published types', () => {
  it.each(['index.d.ts', 'index.d.cts'])('dist/%s names no internal symbol and no raw addon type', (file) => {
    const dts = readFileSync(resolve(import.meta.dirname, '../../dist', file), 'utf8');
    expect(dts).toContain('declare class SequentialRecommender'); // the file is the built API
    for (const name of INTERNAL) expect(dts.match(new RegExp(`\\b${name}\\b`, 'g')), name).toBeNull();
    expect(dts.match(/\bAddon[A-Z]\w*/g)).toBeNull();
  });

  it('a model and its classes carry none of them at run time', async () => {
    await using model = await SASRec.create({ items: 5, dim: 8, layers: 1, heads: 1, maxLen: 4 });
    for (const name of INTERNAL) {
      expect(name in model, name).toBe(false);
      for (const owner of [SASRec, BERT4Rec, SequentialRecommender, BertTextEncoder, BertTextEncoder.prototype]) expect(name in owner, name).toBe(false);
    }
  });
});

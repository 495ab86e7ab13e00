/**
 * checkEvalSet, the one EvalSet check of the model, fit's validation data and the eval functions: a
 * wrong type is E_INVALID_OPTION naming the argument, lengths that disagree and a catalogue larger than
 * the model's are E_INVALID_DATA, and every consumer refuses the same malformed set.
 */
import { describe, expect, it } from 'vitest';
import type { EvalSet } from '../../lib/data/dataset.js';
import { historyLengths } from '../../lib/eval/fairness.js';
import { checkEvalSet } from '../../lib/eval/eval-set.js';
import { popularityRanks } from '../../lib/eval/popularity.js';
import { randomRanks } from '../../lib/eval/random-baseline.js';
import { sampleNegatives } from '../../lib/eval/sampled.js';
import { i32 } from '../helpers/arrays.js';
import { thrown } from '../helpers/errors.js';

const good: EvalSet = { users: i32([0, 1]), offsets: i32([0, 2, 3]), items: i32([1, 2, 3]), targets: i32([4, 5]), numItems: 5 };

describe('checkEvalSet', () => {
  it('returns a well-formed EvalSet', () => {
    expect(checkEvalSet('evalSet', good, 5)).toBe(good);
  });

  it('refuses other types with E_INVALID_OPTION naming the argument', () => {
    for (const bad of [undefined, null, 3, { ...good, items: [1, 2, 3] }, { ...good, users: undefined }, { ...good, numItems: '5' }]) {
      const e = thrown(() => checkEvalSet('options.validation.data', bad));
      expect(e.code).toBe('E_INVALID_OPTION');
      expect(e.message).toContain('options.validation.data');
    }
  });

  it('refuses lengths that disagree and a catalogue larger than the model with E_INVALID_DATA', () => {
    for (const bad of [
      { ...good, targets: i32([4]) },
      { ...good, users: i32([0]) },
      { ...good, offsets: i32([0, 2, 4]) },
      { ...good, offsets: i32([0, 3]) },
    ]) {
      expect(thrown(() => checkEvalSet('evalSet', bad)).code).toBe('E_INVALID_DATA');
    }
    const e = thrown(() => checkEvalSet('evalSet', good, 4));
    expect(e).toMatchObject({ code: 'E_INVALID_DATA', details: { field: 'evalSet.numItems' } });
    expect(e.message).toContain('5 items but the model was created for 4');
  });

  it('is what the eval functions run', () => {
    const short = { ...good, users: i32([0]) };
    const counts = i32([0, 1, 1, 1, 1, 1]);
    for (const f of [
      () => popularityRanks(counts, short),
      () => randomRanks(short),
      () => historyLengths(short),
      () => sampleNegatives(short, { negatives: 'uniform', seed: 0 }, 1),
    ]) {
      expect(thrown(f).details).toMatchObject({ field: 'evalSet' });
    }
  });
});

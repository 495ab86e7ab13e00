/**
 * The one check of an EvalSet (../data/dataset.ts) that everything reading one runs first: the
 * model's rank, top-K lists and evaluate, fit's validation data, and the baselines and metrics of
 * lib/eval. It checks the shape in O(1); item and target ranges are checked where the items are
 * read (natively for a model, in the loops of the pure functions).
 */
import type { EvalSet } from '../data/dataset.js';
import { SeqrecError } from '../errors.js';
import { invalid } from '../validate.js';

/**
 * `value` as an EvalSet: users, offsets, items and targets Int32Arrays whose lengths agree ((E) users
 * and targets, (E+1) offsets ending at items.length), over at most `numItems` items when given (a
 * model's catalogue). A wrong type is E_INVALID_OPTION, lengths that disagree are E_INVALID_DATA.
 */
export function checkEvalSet(name: string, value: unknown, numItems?: number): EvalSet {
  const e = value as EvalSet;
  if (
    !e ||
    typeof e !== 'object' ||
    ![e.users, e.offsets, e.items, e.targets].every((a) => a instanceof Int32Array) ||
    !Number.isSafeInteger(e.numItems) ||
    e.numItems < 0
  ) {
    throw invalid(name, 'an EvalSet (users, offsets, items, targets as Int32Array; numItems)', value);
  }
  const n = e.targets.length;
  if (e.users.length !== n || e.offsets.length !== n + 1 || e.offsets[n] !== e.items.length) {
    throw new SeqrecError(
      'E_INVALID_DATA',
      `${name} has ${n} targets, ${e.users.length} users and ${e.offsets.length} offsets ending at ${e.offsets[e.offsets.length - 1]} for ${e.items.length} items; expected ${n} users and ${n + 1} offsets ending at ${e.items.length}`,
      { field: name },
    );
  }
  if (numItems !== undefined && e.numItems > numItems) {
    throw new SeqrecError('E_INVALID_DATA', `${name} has ${e.numItems} items but the model was created for ${numItems}`, { field: `${name}.numItems` });
  }
  return e;
}

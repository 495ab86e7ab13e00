/**
 * Fairness across user groups: a per-user metric (e.g. `perUser(ranks, 'ndcg', 10)`) averaged per group,
 * with the max−min gap and the min/max ratio between group means, plus helpers that label users by
 * activity tertile or by an attribute (gender, age, …). Pure functions; the metrics themselves are in
 * ./metrics.ts, and item-side exposure fairness (Gini) in ./beyond-accuracy.ts.
 */
import type { EvalSet } from '../data/dataset.js';
import { SeqrecError } from '../errors.js';
import { invalid } from '../validate.js';
import { checkEvalSet } from './eval-set.js';

export interface GroupStat {
  group: string;
  /** users in the group */
  count: number;
  /** mean of the metric over the group's users */
  mean: number;
}

export interface GroupReport {
  /** one entry per group, in order of first appearance in `groups` */
  groups: GroupStat[];
  /** max − min of the group means, >= 0; 0 with a single group */
  gap: number;
  /** min / max of the group means, in [0, 1] for nonnegative metrics; 1 when all means are equal (incl. all 0) */
  ratio: number;
}

/**
 * Per-group mean and count of `values` (one per user) under `groups` (one label per user, same order),
 * and the gap and ratio between the best and worst group (the "metric per group, gap, ratio" view of
 * Ekstrand et al. 2018 / Li et al. 2021 user-oriented fairness).
 */
export function groupFairness(values: ArrayLike<number>, groups: readonly string[]): GroupReport {
  if (values === null || typeof values !== 'object' || typeof values.length !== 'number') throw invalid('values', 'an array of numbers', values);
  if (!Array.isArray(groups) || groups.length !== values.length) {
    throw new SeqrecError('E_INVALID_DATA', `Expected groups to be an array of ${values.length} labels, one per user`, { field: 'groups' });
  }
  if (values.length === 0) throw new SeqrecError('E_INVALID_DATA', 'no users to evaluate: values is empty', { field: 'values' });
  const acc = new Map<string, { sum: number; count: number }>();
  for (let u = 0; u < values.length; u++) {
    const v = values[u]!;
    const g = groups[u];
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new SeqrecError('E_INVALID_DATA', `Expected values[${u}] to be finite but found ${v}`, { field: 'values', index: u });
    if (typeof g !== 'string') throw new SeqrecError('E_INVALID_DATA', `Expected groups[${u}] to be a string label`, { field: 'groups', index: u });
    const a = acc.get(g) ?? acc.set(g, { sum: 0, count: 0 }).get(g)!;
    a.sum += v;
    a.count++;
  }
  const stats = [...acc].map(([group, a]) => ({ group, count: a.count, mean: a.sum / a.count }));
  const means = stats.map((s) => s.mean);
  const max = Math.max(...means);
  const min = Math.min(...means);
  return { groups: stats, gap: max - min, ratio: max === min ? 1 : min / max };
}

/** (E) number of history items of each evaluated user (repeats counted), for activityTertiles. */
export function historyLengths(evalSet: EvalSet): Int32Array {
  const { offsets } = checkEvalSet('evalSet', evalSet);
  return Int32Array.from({ length: offsets.length - 1 }, (_, e) => offsets[e + 1]! - offsets[e]!);
}

/**
 * 'low' / 'mid' / 'high' activity label per user by rank tertile: users sorted by length, ties by index
 * (the earlier user goes to the lower tertile), position p of n gets tertile floor(3p/n). Group sizes
 * differ by at most one; users of equal length may straddle a boundary, deterministically.
 */
export function activityTertiles(lengths: ArrayLike<number>): string[] {
  const n = lengths.length;
  const order = Array.from({ length: n }, (_, u) => u).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  const labels = new Array<string>(n);
  order.forEach((u, p) => (labels[u] = tertileNames[Math.floor((3 * p) / n)]!));
  return labels;
}
const tertileNames = ['low', 'mid', 'high'] as const;

/**
 * A label per evaluated user from a user attribute, e.g. `attributeGroups(test.users, train.userIds!,
 * await readMovieLensUsers(path), 'gender')`: `users` are dataset user indices, `userIds` maps them to raw ids,
 * `attributes` maps raw ids to records. The label is String(value); a missing user or field gets `missing`.
 */
export function attributeGroups<T extends object>(
  users: Int32Array,
  userIds: readonly string[],
  attributes: ReadonlyMap<string, T>,
  field: keyof T & string,
  missing = 'unknown',
): string[] {
  if (!(attributes instanceof Map)) throw invalid('attributes', 'a Map from user id to attributes', attributes);
  return Array.from(users, (u, e) => {
    const id = userIds[u];
    if (id === undefined) throw new SeqrecError('E_INVALID_DATA', `Expected userIds[${u}] for users[${e}]`, { field: 'userIds', index: u });
    const value = attributes.get(id)?.[field];
    return value === undefined || value === null ? missing : String(value);
  });
}

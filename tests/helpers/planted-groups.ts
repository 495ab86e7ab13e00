/**
 * Test data where an item's text names its behaviour: items 1..V in GROUPS groups of interchangeable
 * items; users walk group g → g+1 (mod GROUPS) with probability 0.9, else jump to a random group,
 * taking a uniform item of the group at each step. Item i's text is "genre<g> word<j>" (j random
 * noise), so the text says which group an item is in. Used by the cold-start tests.
 */
import { Dataset, seededRandom } from '../../lib/index.js';

export const GROUPS = 12;
export const PER_GROUP = 10;
export const V = GROUPS * PER_GROUP;

export function plantedGroups(seed: number, users = 600): { data: Dataset; texts: string[] } {
  const rand = seededRandom(seed);
  const below = (n: number) => Math.floor(rand() * n);
  const groupOf = (item: number) => (item - 1) % GROUPS;
  const texts = Array.from({ length: V + 1 }, (_, i) => (i === 0 ? '' : `genre${groupOf(i)} word${below(30)}`));
  return { data: plantedWalks(rand, users, GROUPS, PER_GROUP), texts };
}

/** Users walking `groups` groups of `perGroup` items (item i is in group (i−1) mod groups), as above. */
export function plantedWalks(rand: () => number, users: number, groups: number, perGroup: number): Dataset {
  const below = (n: number) => Math.floor(rand() * n);
  const seqs: number[][] = [];
  for (let u = 0; u < users; u++) {
    let g = below(groups);
    const seq: number[] = [];
    for (let n = 12 + below(9); n > 0; n--) {
      seq.push(1 + g + groups * below(perGroup));
      g = rand() < 0.9 ? (g + 1) % groups : below(groups);
    }
    seqs.push(seq);
  }
  return Dataset.fromSequences(seqs, groups * perGroup);
}

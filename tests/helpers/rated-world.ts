/**
 * Test helper: a small world with planted explicit feedback. Each user belongs to one of three groups;
 * item i belongs to group i % 3 (its attribute). A user's events are items of their own group with
 * probability 0.8 (rated 5, liked) and of another group otherwise (rated 1), so the rating of the next
 * event and the group of the next item are both readable from the history.
 */
import { Dataset, seededRandom } from '../../lib/index.js';

export const GROUPS = 3;

export function ratedWorld(options: { users?: number; items?: number; seed?: number } = {}): Dataset {
  const { users = 600, items = 120, seed = 1 } = options;
  const rand = seededRandom(seed);
  const seqs: number[][] = [];
  const ratings: number[] = [];
  for (let u = 0; u < users; u++) {
    const group = u % GROUPS;
    const n = 8 + Math.floor(rand() * 8);
    const seq: number[] = [];
    for (let t = 0; t < n; t++) {
      const own = rand() < 0.8;
      const g = own ? group : (group + 1 + Math.floor(rand() * (GROUPS - 1))) % GROUPS;
      seq.push(1 + g + GROUPS * Math.floor(rand() * (items / GROUPS)));
      ratings.push(own ? 5 : 1);
    }
    seqs.push(seq);
  }
  const d = Dataset.fromSequences(seqs, items);
  return Dataset.fromCSR({ offsets: d.offsets, items: d.items, numItems: items, ratings: Float32Array.from(ratings) });
}

/** ((V+1)·G) item i's attribute: its group i % 3 (item ids start at 1: group of i is (i − 1) % 3). */
export function groupLabels(items: number): Float32Array {
  const labels = new Float32Array((items + 1) * GROUPS);
  for (let i = 1; i <= items; i++) labels[i * GROUPS + ((i - 1) % GROUPS)] = 1;
  return labels;
}

/**
 * Scores as the server writes them: each float32 score as its shortest decimal that reads back as the same
 * float32 (0.6140553, not 0.6140552759170532). V8 writes a float32 seen as a double in 17 digits, slowly:
 * ten of them cost a minimal Fastify route 7 of its 55 µs a request, and `seqrec serve`'s session load
 * ~5 µs a request (8 interleaved runs, all faster). A client loses nothing: Math.fround(score)
 * (numpy.float32(score)) is the model's score exactly. One native call per batch of lists.
 */
import { callNativeSync } from '../errors.js';
import type { Recommendation } from '../models/inference.js';
import { addon } from '../native/loader.js';

/** Rewrite, in place, every recommendation's score in `lists` as its shortest float32 decimal; returns `lists`. */
export function shortestScores<T extends Recommendation[][]>(lists: T): T {
  let n = 0;
  for (const list of lists) n += list.length;
  const scores = new Float32Array(n);
  let i = 0;
  for (const list of lists) for (const r of list) scores[i++] = r.score;
  const decimals = callNativeSync(() => addon().shortestDecimals(scores));
  i = 0;
  for (const list of lists) for (const r of list) r.score = decimals[i++]!;
  return lists;
}

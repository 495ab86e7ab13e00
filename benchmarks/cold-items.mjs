/**
 * The new-item protocol of Gantner et al. (ICDM 2010) for the cold-item benchmarks: the rank of each
 * cold target among the cold items its user has not seen, and what a random order of them scores.
 */
/**
 * (E) rank of each target among the cold items its user has not seen (1 = first), from the model's full
 * score list of each history (recommend, seen excluded). One native call per user: ~1 min for ML-1M.
 */
export async function ranksAmongCold(model, evalSet, cold) {
  const isCold = new Uint8Array(evalSet.numItems + 1);
  for (const i of cold) isCold[i] = 1;
  const ranks = new Int32Array(evalSet.targets.length);
  for (let e = 0; e < ranks.length; e++) {
    const history = evalSet.items.subarray(evalSet.offsets[e], evalSet.offsets[e + 1]);
    const list = await model.recommend(history, { k: evalSet.numItems - new Set(history).size });
    const coldList = list.filter((r) => isCold[r.item]);
    const at = coldList.findIndex((r) => r.item === evalSet.targets[e]);
    ranks[e] = at >= 0 ? at + 1 : coldList.length + 1;
  }
  return ranks;
}

export function median(values) {
  const sorted = Int32Array.from(values).sort();
  return sorted[sorted.length >> 1];
}

/**
 * Expected HR@k and NDCG@k of a scorer that knows which items are cold and ranks them in random order
 * above every warm item: the target's rank is uniform over the user's unseen cold items (C of them), so
 * HR@k = min(k, C)/C and NDCG@k = (1/C)·Σ_{r ≤ min(k, C)} 1/log2(r + 1), averaged over users. Exact, no draws.
 */
export function randomAmongCold(evalSet, cold, k) {
  let hr = 0;
  let dcg = 0;
  for (let e = 0; e < evalSet.targets.length; e++) {
    const seen = new Set(evalSet.items.subarray(evalSet.offsets[e], evalSet.offsets[e + 1]));
    let c = 1; // the target itself stays a candidate
    for (const i of cold) if (i !== evalSet.targets[e] && !seen.has(i)) c++;
    hr += Math.min(k, c) / c;
    for (let r = 1; r <= Math.min(k, c); r++) dcg += 1 / Math.log2(r + 1) / c;
  }
  return { 'hr@10': hr / evalSet.targets.length, 'ndcg@10': dcg / evalSet.targets.length };
}

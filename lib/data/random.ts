/** mulberry32: a tiny seeded 32-bit PRNG, identical on every platform; numbers in [0, 1). For data, not crypto. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box–Muller; 1 − u keeps the logarithm finite). */
export function normalDraw(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** One draw from probabilities ∝ exp(x / t) (shifted by the largest x, so large scores do not overflow): its index and probability. */
export function softmaxDraw(xs: readonly number[], t: number, random: () => number): { index: number; probability: number } {
  const top = Math.max(...xs);
  const weights = xs.map((x) => Math.exp((x - top) / t));
  const total = weights.reduce((s, w) => s + w, 0);
  let u = random() * total;
  let index = weights.findIndex((w) => (u -= w) < 0);
  if (index < 0) index = xs.length - 1;
  return { index, probability: weights[index]! / total };
}

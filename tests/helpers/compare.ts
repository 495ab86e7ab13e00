/**
 * Element-wise closeness for the parity tests, in the spirit of llm.c's test_gpt2.c: a failure
 * names the check, the worst difference and where it is, and prints the first few numbers of both
 * sides so a broken gradient can be read off the test log. NaN never counts as close.
 */

export interface Tolerance {
  /** absolute tolerance */
  atol: number;
  /** relative tolerance, against |expected| (numpy.allclose: |a − e| <= atol + rtol·|e|) */
  rtol?: number;
}

export interface Difference {
  /** largest |actual − expected| (Infinity when a value is NaN) */
  maxAbs: number;
  /** index of that difference, -1 for empty arrays */
  index: number;
}

/** The largest absolute difference of two equally long arrays and its index. */
export function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): Difference {
  if (actual.length !== expected.length) {
    throw new Error(`maxAbsDiff: lengths differ (actual ${actual.length}, expected ${expected.length})`);
  }
  let maxAbs = 0;
  let index = actual.length > 0 ? 0 : -1;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    const diff = Number.isNaN(d) ? Infinity : d;
    if (diff > maxAbs) {
      maxAbs = diff;
      index = i;
    }
  }
  return { maxAbs, index };
}

const head = (xs: ArrayLike<number>, n = 5) => Array.from({ length: Math.min(n, xs.length) }, (_, i) => xs[i]!.toPrecision(10)).join(', ');

/**
 * Throws unless every |actual[i] − expected[i]| <= atol + rtol·|expected[i]|. The message gives the
 * max abs difference, its index and values, how many entries fail, and the first 5 values of both
 * arrays. Returns the measured difference when the check passes.
 */
export function expectClose(name: string, actual: ArrayLike<number>, expected: ArrayLike<number>, { atol, rtol = 0 }: Tolerance): Difference {
  if (actual.length !== expected.length) {
    throw new Error(`${name}: lengths differ (actual ${actual.length}, expected ${expected.length})`);
  }
  let failing = 0;
  let worst = -1; // the entry furthest outside its tolerance
  let worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(excess <= 0)) {
      failing++;
      if (worst < 0 || !(excess <= worstExcess)) [worst, worstExcess] = [i, excess];
    }
  }
  const diff = maxAbsDiff(actual, expected);
  if (failing > 0) {
    const i = diff.index;
    throw new Error(
      `${name}: ${failing} of ${actual.length} values differ by more than atol=${atol} rtol=${rtol}\n` +
        `  max |actual − expected| = ${diff.maxAbs.toExponential(3)} at index ${i} ` +
        `(actual ${actual[i]}, expected ${expected[i]})\n` +
        (worst !== i ? `  furthest outside tolerance: index ${worst} (actual ${actual[worst]}, expected ${expected[worst]})\n` : '') +
        `  actual[0..5]:   ${head(actual)}\n` +
        `  expected[0..5]: ${head(expected)}`,
    );
  }
  return diff;
}

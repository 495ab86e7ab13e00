/** Test helpers: typed arrays from literal lists, for hand-made CSR data and EvalSets. */
export const i32 = (xs: number[]): Int32Array => Int32Array.from(xs);

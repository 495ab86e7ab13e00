/**
 * Dense Cholesky factorisation and solve in Float64, for the small symmetric positive-definite
 * systems of ridge regression (t × t, t = text width, a few hundred). Row-major, no pivoting, no
 * blocking: O(n³/3) for the factor and O(n²·m) for m right-hand sides is milliseconds at this size.
 * Not a general linear-algebra kernel; a non-positive-definite matrix is an error, not a fallback.
 */
import { SeqrecError } from '../errors.js';

/**
 * The lower-triangular L with A = L·Lᵀ (Cholesky–Banachiewicz, row by row), as a new (n, n)
 * row-major array whose strict upper triangle is zero. Reads only the lower triangle of `a`.
 * Throws E_INVALID_DATA when a pivot is not > 0 (A is not positive definite to working precision).
 */
export function choleskyFactor(a: Float64Array, n: number): Float64Array {
  if (a.length !== n * n) throw new SeqrecError('E_INVALID_DATA', `Expected an (${n}, ${n}) matrix of ${n * n} values but found ${a.length}`, { field: 'a' });
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * n + j]!;
      for (let k = 0; k < j; k++) sum -= l[i * n + k]! * l[j * n + k]!;
      if (i === j) {
        if (!(sum > 0)) {
          throw new SeqrecError('E_INVALID_DATA', `the matrix is not positive definite (pivot ${i} is ${sum})`, { field: 'a', index: i });
        }
        l[i * n + i] = Math.sqrt(sum);
      } else {
        l[i * n + j] = sum / l[j * n + j]!;
      }
    }
  }
  return l;
}

/**
 * X with L·Lᵀ·X = B for the factor L of choleskyFactor: forward substitution (L·Z = B), then back
 * substitution (Lᵀ·X = Z). B is (n, m) row-major, m right-hand sides; returns a new (n, m) array.
 */
export function choleskySolve(l: Float64Array, n: number, b: Float64Array, m: number): Float64Array {
  if (l.length !== n * n) throw new SeqrecError('E_INVALID_DATA', `Expected an (${n}, ${n}) factor but found ${l.length} values`, { field: 'l' });
  if (b.length !== n * m) throw new SeqrecError('E_INVALID_DATA', `Expected an (${n}, ${m}) right-hand side but found ${b.length} values`, { field: 'b' });
  const x = Float64Array.from(b);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < i; k++) axpy(x, i * m, -l[i * n + k]!, x, k * m, m);
    scale(x, i * m, 1 / l[i * n + i]!, m);
  }
  for (let i = n - 1; i >= 0; i--) {
    for (let k = i + 1; k < n; k++) axpy(x, i * m, -l[k * n + i]!, x, k * m, m);
    scale(x, i * m, 1 / l[i * n + i]!, m);
  }
  return x;
}

/** z with L·z = b (forward substitution only), for one vector; ‖z‖² = bᵀA⁻¹b, the quadratic form of a leverage. */
export function forwardSubstitute(l: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = b[i]!;
    for (let k = 0; k < i; k++) sum -= l[i * n + k]! * z[k]!;
    z[i] = sum / l[i * n + i]!;
  }
  return z;
}

/** x with Lᵀ·x = z (back substitution only), for one vector: with z ~ N(0, I), x ~ N(0, A⁻¹). */
export function backSubstitute(l: Float64Array, n: number, z: ArrayLike<number>): Float64Array {
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = z[i]!;
    for (let k = i + 1; k < n; k++) sum -= l[k * n + i]! * x[k]!;
    x[i] = sum / l[i * n + i]!;
  }
  return x;
}

/** Solve A·X = B for symmetric positive-definite A (n, n) and B (n, m): factor, then solve. */
export function solveSPD(a: Float64Array, n: number, b: Float64Array, m: number): Float64Array {
  return choleskySolve(choleskyFactor(a, n), n, b, m);
}

/** y[yAt..yAt+m) += s · x[xAt..xAt+m) */
function axpy(y: Float64Array, yAt: number, s: number, x: Float64Array, xAt: number, m: number): void {
  for (let j = 0; j < m; j++) y[yAt + j]! += s * x[xAt + j]!;
}

function scale(y: Float64Array, at: number, s: number, m: number): void {
  for (let j = 0; j < m; j++) y[at + j]! *= s;
}

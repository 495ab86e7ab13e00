/**
 * Multi-output ridge regression with an unpenalised bias, in closed form and Float64:
 * W = (XcᵀXc + λI)⁻¹ XcᵀYc on centred inputs and targets, b = ȳ − x̄ᵀW, so y ≈ xᵀW + b.
 * Centring is the usual way to leave the bias out of the penalty (Hastie et al., ESL §3.4.1); it
 * equals the normal equations of [X 1] with the penalty diag(λ, …, λ, 0). Given a grid of λ, it picks
 * the one with the least exact leave-one-out error (ESL §7.10: e_i / (1 − h_ii) for a linear smoother,
 * with hat diagonal h_ii = 1/n + xc_iᵀ(XcᵀXc + λI)⁻¹xc_i). Dense, O(n·t² + t³) per λ: meant for t up to
 * a few thousand text features. The solve is ./cholesky.ts.
 */
import { SeqrecError } from '../errors.js';
import { choleskyFactor, choleskySolve, forwardSubstitute } from './cholesky.js';

export interface RidgeFit {
  /** (t, d) row-major: column j maps the inputs to output j */
  weights: Float64Array;
  /** (d) intercept of each output */
  bias: Float64Array;
  /** the penalty used (the grid's best when a grid was given) */
  lambda: number;
  /** pooled in-sample R² = 1 − Σ‖y − ŷ‖² / Σ‖y − ȳ‖² over all outputs; 1 when the targets are constant */
  r2: number;
  /** with a grid: each λ and its leave-one-out mean squared error per output value, Σ_i ‖y_i − ŷ_(−i)‖² / (n·d) */
  search?: { lambda: number; looMse: number }[];
}

/** Centred cross products of one data set, shared by every λ tried. */
interface Prepared {
  x: Float64Array;
  y: Float64Array;
  n: number;
  t: number;
  d: number;
  xMean: Float64Array;
  yMean: Float64Array;
  /** (t, t) XcᵀXc, lower triangle only (all choleskyFactor reads) */
  gram: Float64Array;
  /** (t, d) XcᵀYc */
  cross: Float64Array;
}

/**
 * Fit y ≈ xᵀW + b to n rows of inputs `x` (n, t) and targets `y` (n, d), both row-major, with
 * penalty λ > 0 on W (which keeps the system positive definite even when n < t), or with the λ of
 * `lambda` (a grid) whose leave-one-out error is least (ties go to the larger λ); a grid needs n >= 2.
 */
export function ridgeRegression(x: Float64Array, y: Float64Array, n: number, t: number, d: number, lambda: number | readonly number[]): RidgeFit {
  const grid = typeof lambda === 'number' ? [lambda] : [...lambda];
  if (grid.length === 0 || !grid.every((l) => l > 0 && Number.isFinite(l))) {
    throw new SeqrecError('E_INVALID_OPTION', `Expected lambda > 0 (or a non-empty grid of them) but found ${String(lambda)}`, { option: 'lambda' });
  }
  const p = prepare(x, y, n, t, d);
  if (typeof lambda === 'number') return finish(p, lambda, solveAt(p, lambda).weights);
  if (n < 2) throw new SeqrecError('E_INVALID_DATA', 'choosing lambda by leave-one-out needs at least 2 rows; give lambda as a number', { field: 'x' });
  const search = grid.map((l) => ({ lambda: l, ...looAt(p, l) }));
  const best = search.reduce((a, b) => (b.looMse < a.looMse || (b.looMse === a.looMse && b.lambda > a.lambda) ? b : a));
  return { ...finish(p, best.lambda, best.weights), search: search.map(({ lambda: l, looMse }) => ({ lambda: l, looMse })) };
}

/** (d) ŷ = xᵀW + b for one input row starting at x[at]. */
export function predictRow(x: ArrayLike<number>, at: number, weights: Float64Array, bias: Float64Array, t: number, d: number): Float64Array {
  const out = Float64Array.from(bias);
  for (let i = 0; i < t; i++) {
    const v = x[at + i]!;
    if (v === 0) continue; // text vectors are sparse: most features are absent
    for (let j = 0; j < d; j++) out[j]! += v * weights[i * d + j]!;
  }
  return out;
}

function prepare(x: Float64Array, y: Float64Array, n: number, t: number, d: number): Prepared {
  if (n < 1) throw new SeqrecError('E_INVALID_DATA', 'ridge regression needs at least one row', { field: 'x' });
  if (x.length !== n * t) throw new SeqrecError('E_INVALID_DATA', `Expected x to hold (${n}, ${t}) values but found ${x.length}`, { field: 'x' });
  if (y.length !== n * d) throw new SeqrecError('E_INVALID_DATA', `Expected y to hold (${n}, ${d}) values but found ${y.length}`, { field: 'y' });
  const xMean = columnMeans(x, n, t);
  const yMean = columnMeans(y, n, d);
  const gram = new Float64Array(t * t);
  const cross = new Float64Array(t * d);
  const xc = new Float64Array(t);
  const yc = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    centredRow(xc, x, r, xMean);
    centredRow(yc, y, r, yMean);
    for (let i = 0; i < t; i++) {
      const v = xc[i]!;
      if (v === 0) continue;
      for (let k = 0; k <= i; k++) gram[i * t + k]! += v * xc[k]!;
      for (let j = 0; j < d; j++) cross[i * d + j]! += v * yc[j]!;
    }
  }
  return { x, y, n, t, d, xMean, yMean, gram, cross };
}

/** The Cholesky factor of XcᵀXc + λI and W solved with it. */
function solveAt(p: Prepared, lambda: number): { factor: Float64Array; weights: Float64Array } {
  const a = Float64Array.from(p.gram);
  for (let i = 0; i < p.t; i++) a[i * p.t + i]! += lambda;
  const factor = choleskyFactor(a, p.t);
  return { factor, weights: choleskySolve(factor, p.t, p.cross, p.d) };
}

/** Exact leave-one-out error at λ: Σ_i ‖e_i‖² / (1 − h_ii)², per output value. */
function looAt(p: Prepared, lambda: number): { looMse: number; weights: Float64Array } {
  const { factor, weights } = solveAt(p, lambda);
  const { n, t, d } = p;
  const xc = new Float64Array(t);
  let sum = 0;
  for (let r = 0; r < n; r++) {
    centredRow(xc, p.x, r, p.xMean);
    const z = forwardSubstitute(factor, t, xc);
    const leverage = 1 / n + z.reduce((s, v) => s + v * v, 0);
    const fit = predictRow(xc, 0, weights, p.yMean, t, d); // centred inputs: ŷ = xcᵀW + ȳ
    let residual = 0;
    for (let j = 0; j < d; j++) residual += (p.y[r * d + j]! - fit[j]!) ** 2;
    sum += residual / Math.max(1 - leverage, 1e-12) ** 2;
  }
  return { looMse: sum / (n * d), weights };
}

function finish(p: Prepared, lambda: number, weights: Float64Array): RidgeFit {
  const { t, d } = p;
  const bias = Float64Array.from(p.yMean, (m, j) => {
    let b = m;
    for (let i = 0; i < t; i++) b -= p.xMean[i]! * weights[i * d + j]!;
    return b;
  });
  return { weights, bias, lambda, r2: rSquared(p, weights, bias) };
}

function columnMeans(m: Float64Array, n: number, w: number): Float64Array {
  const mean = new Float64Array(w);
  for (let r = 0; r < n; r++) for (let j = 0; j < w; j++) mean[j]! += m[r * w + j]!;
  for (let j = 0; j < w; j++) mean[j]! /= n;
  return mean;
}

/** out = row r of m minus the column means */
function centredRow(out: Float64Array, m: Float64Array, r: number, mean: Float64Array): void {
  const w = mean.length;
  for (let j = 0; j < w; j++) out[j] = m[r * w + j]! - mean[j]!;
}

function rSquared(p: Prepared, weights: Float64Array, bias: Float64Array): number {
  const { x, y, n, t, d, yMean } = p;
  let residual = 0;
  let total = 0;
  for (let r = 0; r < n; r++) {
    const fit = predictRow(x, r * t, weights, bias, t, d);
    for (let j = 0; j < d; j++) {
      residual += (y[r * d + j]! - fit[j]!) ** 2;
      total += (y[r * d + j]! - yMean[j]!) ** 2;
    }
  }
  return total === 0 ? 1 : 1 - residual / total;
}

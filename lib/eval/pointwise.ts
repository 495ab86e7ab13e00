/**
 * Pointwise metrics of explicit feedback: a prediction per (user, item) against its label. Pairs whose
 * label is NaN (an unrated event) are left out; none left is an error, not a NaN.
 *   rmse     sqrt(mean (p − y)²)            mae  mean |p − y|         (ratings)
 *   auc      P(score of a positive > score of a negative), ties count ½ (Mann–Whitney U over midranks)
 *   logloss  −mean (y log p + (1 − y) log(1 − p)), p clamped to [1e-7, 1 − 1e-7]   (probabilities, y in {0, 1})
 */
import { SeqrecError } from '../errors.js';

type Values = ArrayLike<number>;

/** The (prediction, label) pairs with a label, as two arrays. */
function labelled(predictions: Values, labels: Values, metric: string): { p: Float64Array; y: Float64Array } {
  if (predictions.length !== labels.length) {
    throw new SeqrecError('E_INVALID_DATA', `${metric}: ${predictions.length} predictions for ${labels.length} labels`, { field: 'labels' });
  }
  const at: number[] = [];
  for (let i = 0; i < labels.length; i++) if (!Number.isNaN(labels[i]!)) at.push(i);
  if (at.length === 0) throw new SeqrecError('E_INVALID_DATA', `${metric}: no labelled pair to evaluate`, { field: 'labels' });
  return { p: Float64Array.from(at, (i) => predictions[i]!), y: Float64Array.from(at, (i) => labels[i]!) };
}

export function rmse(predictions: Values, labels: Values): number {
  const { p, y } = labelled(predictions, labels, 'rmse');
  let s = 0;
  for (let i = 0; i < p.length; i++) s += (p[i]! - y[i]!) ** 2;
  return Math.sqrt(s / p.length);
}

export function mae(predictions: Values, labels: Values): number {
  const { p, y } = labelled(predictions, labels, 'mae');
  let s = 0;
  for (let i = 0; i < p.length; i++) s += Math.abs(p[i]! - y[i]!);
  return s / p.length;
}

/** Labels must be 0 or 1 (NaN left out); both classes present. */
function binary(y: Float64Array, metric: string): number {
  let positives = 0;
  for (const v of y) {
    if (v !== 0 && v !== 1) throw new SeqrecError('E_INVALID_DATA', `${metric}: labels must be 0 or 1, found ${v}`, { field: 'labels' });
    positives += v;
  }
  return positives;
}

export function auc(scores: Values, labels: Values): number {
  const { p, y } = labelled(scores, labels, 'auc');
  const positives = binary(y, 'auc');
  const negatives = p.length - positives;
  if (positives === 0 || negatives === 0) {
    throw new SeqrecError('E_INVALID_DATA', `auc needs both classes, got ${positives} positives and ${negatives} negatives`, { field: 'labels' });
  }
  const order = Array.from(p.keys()).sort((a, b) => p[a]! - p[b]!);
  let positiveRankSum = 0; // 1-based midranks of the positives
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && p[order[end + 1]!] === p[order[start]!]) end++;
    const midrank = (start + end) / 2 + 1;
    for (let j = start; j <= end; j++) if (y[order[j]!] === 1) positiveRankSum += midrank;
    start = end + 1;
  }
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export function logLoss(probabilities: Values, labels: Values): number {
  const { p, y } = labelled(probabilities, labels, 'logloss');
  binary(y, 'logloss');
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    if (!(p[i]! >= 0 && p[i]! <= 1))
      throw new SeqrecError('E_INVALID_DATA', `logloss: predictions must be probabilities in [0, 1], found ${p[i]}`, { field: 'predictions' });
    const q = Math.min(1 - 1e-7, Math.max(1e-7, p[i]!));
    s -= y[i]! ? Math.log(q) : Math.log(1 - q);
  }
  return s / p.length;
}

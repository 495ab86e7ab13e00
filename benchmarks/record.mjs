/**
 * What every ML-1M benchmark shares: the files of ../shared/data by role, a clean skip when they are
 * absent (the data is read by path, never stored in the repo), the device line, and the record of a
 * run (its JSON under results/, one row of RESULTS.md).
 */
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The default data folder: ../shared/data beside the checkout. */
export const DATA = join(here, '../../shared/data');

/** The ML-1M files under `data`, by role. */
export function ml1mFiles(data) {
  return {
    interactions: join(data, 'ml-1m-sasrec/ml-1m.txt'),
    itemMap: join(data, 'ml-1m-sasrec/sas_to_original_items.txt'),
    userMap: join(data, 'ml-1m-sasrec/sas_to_original_users.txt'),
    movies: join(data, 'ml-1m/movies.dat'),
    users: join(data, 'ml-1m/users.dat'),
    ratings: join(data, 'ml-1m/ratings.users-1-2999.dat'),
  };
}

/**
 * The ML-1M SASRec recipe the issue-15/16 benchmarks share (fairness, contrastive, defaults): the model's
 * sizes and seed, fit's options besides epochs and data, and early stopping on valid NDCG@10.
 */
export const ML1M_MODEL = { dim: 64, layers: 2, heads: 2, maxLen: 200, dropout: 0.2, seed: 0 };
export const ML1M_FIT = { batchSize: 128, lr: 2e-3, warmupSteps: 200, schedule: 'cosine', minLrRatio: 0.05, weightDecay: 0.05 };
export const ML1M_VALIDATION = { every: 4, metric: 'ndcg@10', patience: 4, restoreBest: true };

/** Exit 0 with a message when any of `paths` is missing. */
export function requireFiles(paths) {
  const absent = paths.filter((p) => !existsSync(p));
  if (absent.length === 0) return;
  console.log(`skipped: ${absent.join(', ')} not found (MovieLens-1M is read by path, never stored in the repo)`);
  process.exit(0);
}

/** "CPU: <model>, <n> threads" from seqrec's versions(). */
export function cpuDevice(versions) {
  return `CPU: ${cpus()[0]?.model.trim()}, ${versions.threads} threads`;
}

/** p50 / p99 / mean of latencies in ms (sorted in place); a percentile is the order statistic at ⌊q·n⌋. */
export function latencySummary(times) {
  times.sort((x, y) => x - y);
  const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  return { p50_ms: at(0.5), p99_ms: at(0.99), mean_ms: times.reduce((s, x) => s + x, 0) / times.length };
}

/** The command line that ran this script, for the record. */
export function commandLine(script) {
  return `node benchmarks/${script} ${process.argv.slice(2).join(' ')}`.trim();
}

/**
 * The path, without extension, of this run's files: the first results/<name>-<day>[-n] that has no
 * .json or .html yet, so a run's record and report share it and no earlier run's is overwritten.
 * With `noRecord` (a smoke test), the same name in the temp folder.
 */
export function runFiles(name, { noRecord = false, day = new Date().toISOString().slice(0, 10) } = {}) {
  if (noRecord) return join(tmpdir(), `${name}-${day}`);
  mkdirSync(join(here, 'results'), { recursive: true });
  let stem = join(here, 'results', `${name}-${day}`);
  for (let n = 2; existsSync(`${stem}.json`) || existsSync(`${stem}.html`); n++) stem = join(here, 'results', `${name}-${day}-${n}`);
  return stem;
}

/**
 * Write `result` (with its ISO `date`) to <stem>.json (default: runFiles(name)) and append `row` (the
 * cells after the date, '|'-separated) to RESULTS.md.
 */
export function recordRun(name, result, row, stem = runFiles(name, { day: result.date.slice(0, 10) })) {
  const day = result.date.slice(0, 10);
  const out = `${stem}.json`;
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  appendFileSync(join(here, 'RESULTS.md'), `| ${day} | ${row} |\n`);
  console.log(`wrote ${out} and a row of benchmarks/RESULTS.md`);
}

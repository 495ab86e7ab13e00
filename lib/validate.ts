/**
 * Option validation with one message format (sharp's): "Expected <what> for <name> but received <value> of type <type>".
 * Recipe (better-sqlite3): apply defaults → validate each field → interpret → validate the combination.
 * Unknown keys throw with a "did you mean" suggestion; nothing is silently ignored.
 */
import { SeqrecError } from './errors.js';

function describe(value: unknown): string {
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  let shown: string;
  try {
    shown = typeof value === 'string' ? JSON.stringify(value) : typeof value === 'bigint' ? `${value}n` : String(value);
  } catch {
    shown = '[unprintable]';
  }
  if (shown.length > 60) shown = `${shown.slice(0, 57)}...`;
  return `${shown} of type ${type}`;
}

export function invalid(name: string, expected: string, value: unknown): SeqrecError {
  return new SeqrecError('E_INVALID_OPTION', `Expected ${expected} for ${name} but received ${describe(value)}`, {
    option: name,
    expected,
    received: value,
  });
}

export function integer(name: string, value: unknown, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(name, `an integer${range(min, max)}`, value);
  }
  return value;
}

export function number(name: string, value: unknown, min = -Infinity, max = Infinity, opts: { exclusiveMin?: boolean } = {}): number {
  const belowMin = opts.exclusiveMin ? (value as number) <= min : (value as number) < min;
  if (typeof value !== 'number' || !Number.isFinite(value) || belowMin || value > max) {
    throw invalid(name, `a finite number${range(min, max, opts.exclusiveMin)}`, value);
  }
  return value;
}

/** An item vocabulary: (V+1) distinct string ids, [0] the unused padding slot (not checked). */
export function itemIdList(name: string, value: unknown): readonly string[] {
  if (!Array.isArray(value) || value.length === 0) throw invalid(name, 'an array of (V+1) item ids, [0] unused', value);
  const seen = new Set<string>();
  for (let i = 1; i < value.length; i++) {
    const id: unknown = value[i];
    if (typeof id !== 'string' || seen.has(id)) throw invalid(`${name}[${i}]`, 'a string item id not listed before', id);
    seen.add(id);
  }
  return value as readonly string[];
}

export function boolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalid(name, 'a boolean', value);
  return value;
}

export function oneOf<const T extends string>(name: string, value: unknown, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw invalid(name, `one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`, value);
  }
  return value as T;
}

export function func<T extends (...args: never[]) => unknown = (...args: never[]) => unknown>(name: string, value: unknown): T {
  if (typeof value !== 'function') throw invalid(name, 'a function', value);
  return value as T;
}

export function abortSignal(name: string, value: unknown): AbortSignal {
  if (!(value instanceof AbortSignal)) throw invalid(name, 'an AbortSignal', value);
  return value;
}

/** Throw on keys that are not in `known`, suggesting the closest known key. */
export function noUnknownKeys(where: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if ((options as Record<string, unknown>)[key] === undefined || known.includes(key)) continue;
    const guess = closest(key, known);
    throw new SeqrecError(
      'E_INVALID_OPTION',
      `Unknown option ${where}.${key}${guess ? ` (did you mean ${where}.${guess}?)` : ''}; known options: ${known.join(', ')}`,
      { option: `${where}.${key}`, suggestion: guess },
    );
  }
}

/** Plain object check used before reading any options bag. */
export function optionsObject(name: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(name, 'an options object', value);
  return value as Record<string, unknown>;
}

function range(min: number, max: number, exclusiveMin = false): string {
  const lo = Number.isFinite(min) ? `${exclusiveMin ? '>' : '>='} ${min}` : '';
  const hi = Number.isFinite(max) ? `<= ${max}` : '';
  return lo && hi ? ` ${lo} and ${hi}` : lo || hi ? ` ${lo || hi}` : '';
}

/** The candidate closest to `word` by edit distance, if any is close enough to suggest. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** A LibTorch device name: "cpu", "cuda" or "cuda:N". */
export function device(name: string, value: unknown): string {
  if (typeof value !== 'string' || !/^(cpu|cuda(:\d+)?)$/.test(value)) throw invalid(name, '"cpu", "cuda" or "cuda:N"', value);
  return value;
}

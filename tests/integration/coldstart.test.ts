/**
 * Cold start from item text (lib/coldstart): the Cholesky/ridge solve against hand-computed cases and
 * plain normal equations; apply() writing exactly W·x + b into cold rows (checked through saved
 * checkpoints, an independent path) and nothing else; on data where an item's text names its
 * behaviour, cold items ranked far better than random and than their unmapped rows; and the errors.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BERT4Rec,
  Dataset,
  HashingTextEncoder,
  SASRec,
  hitRate,
  isSeqrecError,
  randomRanks,
  readSafetensors,
  seededRandom,
  type ItemTextVectors,
  type SafetensorsFile,
} from '../../lib/index.js';
import {
  LAMBDA_GRID,
  TextMapping,
  choleskyFactor,
  choleskySolve,
  coldStartFromText,
  fitTextMapping,
  ridgeRegression,
  solveSPD,
} from '../../lib/coldstart/index.js';
import { GROUPS, PER_GROUP, V, plantedGroups } from '../helpers/planted-groups.js';
import { tempDir } from '../helpers/temp.js';

const EMBEDDING = 'model.itemEmbedding.weight';

// ---- independent references ---------------------------------------------------------------

/** X with A·X = B by Gaussian elimination with partial pivoting (A (n, n), B (n, m), row-major). */
function gaussSolve(a: Float64Array, n: number, b: Float64Array, m: number): Float64Array {
  const A = Float64Array.from(a);
  const X = Float64Array.from(b);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r * n + c]!) > Math.abs(A[p * n + c]!)) p = r;
    for (let k = 0; k < n; k++) [A[c * n + k], A[p * n + k]] = [A[p * n + k]!, A[c * n + k]!];
    for (let k = 0; k < m; k++) [X[c * m + k], X[p * m + k]] = [X[p * m + k]!, X[c * m + k]!];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = A[r * n + c]! / A[c * n + c]!;
      for (let k = 0; k < n; k++) A[r * n + k]! -= f * A[c * n + k]!;
      for (let k = 0; k < m; k++) X[r * m + k]! -= f * X[c * m + k]!;
    }
  }
  for (let r = 0; r < n; r++) for (let k = 0; k < m; k++) X[r * m + k]! /= A[r * n + r]!;
  return X;
}

/** Ridge with unpenalised bias as the normal equations of [X 1]: ([X 1]ᵀ[X 1] + diag(λ…λ, 0)) β = [X 1]ᵀY. */
function ridgeReference(x: Float64Array, y: Float64Array, n: number, t: number, d: number, lambda: number) {
  const w = t + 1;
  const a = new Float64Array(w * w);
  const b = new Float64Array(w * d);
  const row = (r: number, i: number) => (i < t ? x[r * t + i]! : 1);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < w; i++) {
      for (let k = 0; k < w; k++) a[i * w + k]! += row(r, i) * row(r, k);
      for (let j = 0; j < d; j++) b[i * d + j]! += row(r, i) * y[r * d + j]!;
    }
  }
  for (let i = 0; i < t; i++) a[i * w + i]! += lambda;
  const beta = gaussSolve(a, w, b, d);
  return { weights: beta.slice(0, t * d), bias: beta.slice(t * d) };
}

function randomMatrix(rand: () => number, rows: number, cols: number): Float64Array {
  return Float64Array.from({ length: rows * cols }, () => rand() * 2 - 1);
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!)));
  if (worst > tolerance)
    expect.fail(`max relative error ${worst} > ${tolerance}; first values ${Array.from(actual).slice(0, 4)} vs ${Array.from(expected).slice(0, 4)}`);
}

// ---- the linear algebra ----------------------------------------------------------------------

describe('Cholesky and ridge solve', () => {
  it('factors and solves the hand-computed 2×2 and 3×3 cases', () => {
    // [[4,2],[2,3]] = L·Lᵀ with L = [[2,0],[1,√2]]; 4x+2y = 2, 2x+3y = 1 → (0.5, 0)
    expectClose(choleskyFactor(Float64Array.of(4, 2, 2, 3), 2), [2, 0, 1, Math.SQRT2], 1e-15);
    expectClose(solveSPD(Float64Array.of(4, 2, 2, 3), 2, Float64Array.of(2, 1), 1), [0.5, 0], 1e-15);
    // the textbook 3×3: L = [[2,0,0],[6,1,0],[-8,5,3]]; A·(1,1,1) = (0, 6, 39), A·(1,-1,2) = (-40, -111, 223)
    const a = Float64Array.of(4, 12, -16, 12, 37, -43, -16, -43, 98);
    expect(Array.from(choleskyFactor(a, 3))).toEqual([2, 0, 0, 6, 1, 0, -8, 5, 3]);
    expectClose(choleskySolve(choleskyFactor(a, 3), 3, Float64Array.of(0, -40, 6, -111, 39, 223), 2), [1, 1, 1, -1, 1, 2], 1e-12);
  });

  it('refuses a matrix that is not positive definite', () => {
    expect(() => choleskyFactor(Float64Array.of(1, 2, 2, 1), 2)).toThrow(/not positive definite/);
    expect(() => choleskyFactor(Float64Array.of(1, 0, 0), 2)).toThrow(/\(2, 2\) matrix/);
  });

  it('ridge matches the hand-computed one-feature fit', () => {
    // x = (0,1,2), y = (1,3,5): centred Σxy = 4, Σx² = 2; λ = 2 → w = 4/(2+2) = 1, b = ȳ − w·x̄ = 3 − 1 = 2
    const fit = ridgeRegression(Float64Array.of(0, 1, 2), Float64Array.of(1, 3, 5), 3, 1, 1, 2);
    expectClose(fit.weights, [1], 1e-15);
    expectClose(fit.bias, [2], 1e-15);
    // predictions (2, 3, 4): SSE = 1+0+1 = 2, SST = 4+0+4 = 8 → R² = 0.75
    expect(fit.r2).toBeCloseTo(0.75, 14);
  });

  it('ridge matches the normal equations of [X 1] on random data, with n > t and n < t', () => {
    const rand = seededRandom(7);
    for (const [n, t, d, lambda] of [
      [60, 9, 4, 0.3],
      [5, 12, 3, 1],
      [200, 30, 8, 10],
    ] as const) {
      const x = randomMatrix(rand, n, t);
      const y = randomMatrix(rand, n, d);
      const fit = ridgeRegression(x, y, n, t, d, lambda);
      const ref = ridgeReference(x, y, n, t, d, lambda);
      expectClose(fit.weights, ref.weights, 1e-9);
      expectClose(fit.bias, ref.bias, 1e-9);
      expect(fit.r2).toBeGreaterThan(0);
      expect(fit.r2).toBeLessThanOrEqual(1);
    }
  });

  it('picks λ by exact leave-one-out error, equal to refitting without each row', () => {
    const rand = seededRandom(11);
    const [n, t, d] = [14, 5, 2];
    const x = randomMatrix(rand, n, t);
    const y = randomMatrix(rand, n, d);
    const grid = [0.01, 0.3, 5];
    const fit = ridgeRegression(x, y, n, t, d, grid);
    const brute = grid.map((lambda) => {
      let sum = 0;
      for (let out = 0; out < n; out++) {
        const keep = Array.from({ length: n }, (_, r) => r).filter((r) => r !== out);
        const ref = ridgeReference(
          Float64Array.from(keep.flatMap((r) => Array.from(x.subarray(r * t, (r + 1) * t)))),
          Float64Array.from(keep.flatMap((r) => Array.from(y.subarray(r * d, (r + 1) * d)))),
          n - 1,
          t,
          d,
          lambda,
        );
        for (let j = 0; j < d; j++) {
          let pred = ref.bias[j]!;
          for (let i = 0; i < t; i++) pred += x[out * t + i]! * ref.weights[i * d + j]!;
          sum += (y[out * d + j]! - pred) ** 2;
        }
      }
      return sum / (n * d);
    });
    expectClose(
      fit.search!.map((s) => s.looMse),
      brute,
      1e-9,
    );
    const best = grid[brute.indexOf(Math.min(...brute))]!;
    expect(fit.lambda).toBe(best);
    expectClose(fit.weights, ridgeReference(x, y, n, t, d, best).weights, 1e-9);
    expect(() => ridgeRegression(x.subarray(0, t), y.subarray(0, d), 1, t, d, grid)).toThrow(/at least 2 rows/);
  });
});

// ---- data where an item's text names its behaviour (../helpers/planted-groups.ts) ------------------

const { data, texts } = plantedGroups(5);
const split = data.split('cold-items', { fraction: 0.1, seed: 1 });
const vectors: ItemTextVectors = new HashingTextEncoder({ dim: 128 }).encode(texts);
const ARCH = { items: V, dim: 32, layers: 1, heads: 2, maxLen: 20, seed: 3, threads: 1 } as const;

const root = tempDir('coldstart');
const trained = join(root, 'trained.safetensors');
let saves = 0;

async function saved(model: SASRec | BERT4Rec): Promise<SafetensorsFile> {
  const path = join(root, `state-${saves++}.safetensors`);
  await model.save(path);
  return readSafetensors(path);
}

/** (rows, d) Float32 copy of the item table of a saved state. */
function itemTable(file: SafetensorsFile): { rows: Float32Array; shape: number[] } {
  const t = file.tensors.find((e) => e.name === EMBEDDING)!;
  return { rows: new Float32Array(t.data.slice().buffer), shape: t.shape };
}

function rowOf(rows: Float32Array, item: number, d: number): Float32Array {
  return rows.slice(item * d, (item + 1) * d);
}

/** Row `item` of both tables is the same bytes. */
function expectSameRow(after: Float32Array, before: Float32Array, item: number, d: number): void {
  const bytes = (rows: Float32Array) => Buffer.from(rows.buffer, rows.byteOffset + item * d * 4, d * 4);
  expect(Buffer.compare(bytes(after), bytes(before)), `row ${item}`).toBe(0);
}

/** W·x + b for item `item`, in Float64, straight from the mapping's public weights. */
function mappedRow(mapping: TextMapping, item: number): Float64Array {
  const { textDim: t, embeddingDim: d } = mapping;
  const out = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    let s = mapping.bias[j]!;
    for (let i = 0; i < t; i++) s += vectors.data[item * t + i]! * mapping.weights[i * d + j]!;
    out[j] = s;
  }
  return out;
}

/** Every tensor but the item table, byte for byte. */
function expectOtherTensorsEqual(before: SafetensorsFile, after: SafetensorsFile): void {
  expect(after.tensors.map((t) => t.name)).toEqual(before.tensors.map((t) => t.name));
  before.tensors.forEach((t, i) => {
    if (t.name !== EMBEDDING) expect(Buffer.compare(Buffer.from(t.data), Buffer.from(after.tensors[i]!.data)), t.name).toBe(0);
  });
  expect(after.metadata.trainStep).toBe(before.metadata.trainStep);
}

describe('text mapping on a model', () => {
  beforeAll(async () => {
    await using model = await SASRec.create(ARCH);
    await model.fit(split.train, { epochs: 15, batchSize: 64, lr: 5e-3, warmupSteps: 5 });
    await model.save(trained);
  });

  it('fits the ridge solution of the saved warm rows, writes W·x + b into cold rows and nothing else', async () => {
    await using model = await SASRec.load(trained);
    const before = await saved(model);
    const counts = split.train.itemCounts();
    const warm = Int32Array.from({ length: V }, (_, i) => i + 1).filter((i) => counts[i]! > 0);
    const mapping = await fitTextMapping(model, { itemVectors: vectors, train: split.train, lambda: 0.5 });
    expect(mapping.warmCount).toBe(warm.length);
    expect([mapping.textDim, mapping.embeddingDim, mapping.lambda]).toEqual([128, 32, 0.5]);

    // W and b against normal equations on the rows read back from the checkpoint file
    const { rows: oldRows } = itemTable(before);
    const x = new Float64Array(warm.length * 128);
    const y = new Float64Array(warm.length * 32);
    warm.forEach((item, r) => {
      x.set(vectors.data.subarray(item * 128, (item + 1) * 128), r * 128);
      y.set(rowOf(oldRows, item, 32), r * 32);
    });
    const ref = ridgeReference(x, y, warm.length, 128, 32, 0.5);
    expectClose(mapping.weights, ref.weights, 1e-8);
    expectClose(mapping.bias, ref.bias, 1e-8);

    await mapping.apply(model, split.coldItems);
    const after = await saved(model);
    const { rows: newRows, shape } = itemTable(after);
    expect(shape).toEqual([V + 1, 32]);
    const cold = new Set(split.coldItems);
    for (let item = 0; item <= V; item++) {
      if (cold.has(item)) expectClose(rowOf(newRows, item, 32), mappedRow(mapping, item), 1e-6);
      else expectSameRow(newRows, oldRows, item, 32);
    }
    expectOtherTensorsEqual(before, after);
  });

  it('leaves BERT4Rec padding and [mask] rows alone', async () => {
    await using model = await BERT4Rec.create({ ...ARCH, maxLen: 20 });
    const before = await saved(model);
    const mapping = await fitTextMapping(model, { itemVectors: vectors, warmItems: Int32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13) });
    await mapping.apply(model, Int32Array.of(14, V));
    const after = await saved(model);
    const { rows: oldRows } = itemTable(before);
    const { rows: newRows, shape } = itemTable(after);
    expect(shape).toEqual([V + 2, 32]);
    for (const row of [0, V + 1, 1, 13, 15, V - 1]) expectSameRow(newRows, oldRows, row, 32);
    expectClose(rowOf(newRows, 14, 32), mappedRow(mapping, 14), 1e-6);
    expectClose(rowOf(newRows, V, 32), mappedRow(mapping, V), 1e-6);
    expectOtherTensorsEqual(before, after);
  });

  it('ranks cold items far above random and above their unmapped rows when text names behaviour', async () => {
    await using model = await SASRec.load(trained);
    const metrics = ['hr@10'];
    const unmapped = (await model.evaluate(split.test, { metrics })).metrics['hr@10']!;
    const random = hitRate(randomRanks(split.test, { seed: 0 }), 10);
    const { mapping, coldItems, blendedItems } = await coldStartFromText(model, split.train, vectors);
    expect(Array.from(coldItems)).toEqual(Array.from(split.coldItems));
    expect(blendedItems.length).toBe(0);
    const mapped = (await model.evaluate(split.test, { metrics })).metrics['hr@10']!;
    console.log(
      `cold HR@10 (${split.test.targets.length} users): mapped ${mapped.toFixed(3)}, unmapped ${unmapped.toFixed(3)}, random ${random.toFixed(3)}; warm R² ${mapping.warmR2.toFixed(3)}, λ ${mapping.lambda}`,
    );
    expect(mapping.lambdaSearch!.map((e) => e.lambda)).toEqual(LAMBDA_GRID);
    expect(mapping.warmR2).toBeGreaterThan(0.3);
    expect(mapped).toBeGreaterThan(3 * random);
    expect(mapped).toBeGreaterThan(unmapped + 0.2);
    // recommend() now offers cold items: after an item of group g, cold items of group g+1 appear
    const coldItem = split.coldItems[0]!;
    const previous = 1 + ((coldItem - 1 + GROUPS - 1) % GROUPS); // an item of the preceding group
    const top = await model.recommend([previous], { k: 2 * PER_GROUP });
    expect(top.map((r) => r.item)).toContain(coldItem);
  });

  it('blends rare items: alpha · learned + (1 − alpha) · mapped', async () => {
    await using model = await SASRec.load(trained);
    const before = itemTable(await saved(model)).rows;
    const counts = split.train.itemCounts();
    const minCount = [...counts].filter((c) => c > 0).sort((p, q) => p - q)[5]! + 1; // at least a few rare items
    const { mapping, blendedItems } = await coldStartFromText(model, split.train, vectors, { minCount, alpha: 0.25, lambda: 2 });
    expect(blendedItems.length).toBeGreaterThan(0);
    expect(Array.from(blendedItems).every((i) => counts[i]! > 0 && counts[i]! < minCount)).toBe(true);
    const after = itemTable(await saved(model)).rows;
    for (const item of blendedItems) {
      const m = mappedRow(mapping, item);
      const expected = Array.from(rowOf(before, item, 32), (v, j) => 0.25 * v + 0.75 * m[j]!);
      expectClose(rowOf(after, item, 32), expected, 1e-6);
    }
  });

  it('rejects bad input with stable codes', async () => {
    await using model = await SASRec.load(trained);
    const code = async (run: () => Promise<unknown>) => {
      try {
        await run();
      } catch (e) {
        return isSeqrecError(e) ? `${e.code}: ${e.message}` : `not a SeqrecError: ${e}`;
      }
      return 'no error';
    };
    const fit = (options: object) => code(() => fitTextMapping(model, { itemVectors: vectors, train: split.train, ...options }));
    expect(await fit({ lambda: 0 })).toMatch(/^E_INVALID_OPTION: Expected a finite number > 0 or 'auto' for options.lambda/);
    expect(await fit({ lambda: 'best' })).toMatch(/^E_INVALID_OPTION/);
    expect(await fit({ lambda: -1 })).toMatch(/^E_INVALID_OPTION/);
    expect(await fit({ itemVectors: { data: vectors.data.subarray(128), dim: 128 } })).toMatch(/^E_INVALID_OPTION: .*options.itemVectors.data/);
    expect(await fit({ itemVectors: { data: vectors.data, dim: 64 } })).toMatch(/^E_INVALID_OPTION: .*options.itemVectors.data/);
    expect(await fit({ lamda: 1 })).toMatch(/did you mean options.lambda/);
    expect(await code(() => fitTextMapping(model, { itemVectors: vectors, warmItems: new Int32Array(0) }))).toMatch(/^E_INVALID_DATA: no warm items/);
    const empty = Dataset.fromCSR({ offsets: new Int32Array(1), items: new Int32Array(0), numItems: V });
    expect(await code(() => coldStartFromText(model, empty, vectors))).toMatch(/^E_INVALID_DATA: no warm items/);
    expect(await fit({ warmItems: Int32Array.of(1) })).toMatch(/exactly one of options.warmItems and options.train/);
    expect(await code(() => fitTextMapping(model, { itemVectors: vectors, warmItems: Int32Array.of(0) }))).toMatch(/options.warmItems\[0\]/);
    const mapping = await fitTextMapping(model, { itemVectors: vectors, train: split.train });
    expect(await code(() => mapping.apply(model, Int32Array.of(V + 1)))).toMatch(/^E_INVALID_OPTION: .*items\[0\]/);
    expect(await code(() => mapping.apply(model, Int32Array.of(1), { alpha: 2 }))).toMatch(/options.alpha/);
    await using wider = await SASRec.create({ ...ARCH, dim: 16 });
    expect(await code(() => mapping.apply(wider, Int32Array.of(1)))).toMatch(/^E_INVALID_OPTION: Expected a model of 120 items and dim 32/);
    await model.dispose();
    expect(await code(() => mapping.apply(model, Int32Array.of(1)))).toMatch(/^E_DISPOSED/);
  });
});

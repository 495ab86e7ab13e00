/**
 * Data-parallel training over c10d's Gloo process group (native/train/data_parallel.h), as separate
 * processes on loopback: two ranks with batch B end with the same parameters as one process with
 * batch 2B (within 1e-6 relative, after every step of a run); both ranks hold identical parameters;
 * a rank that dies makes the other's fit reject with E_DISTRIBUTED within the timeout, never hang;
 * a master nobody reaches says so. Skipped where the addon was built without Gloo's headers.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SASRec, type SeqrecError, versions } from '../../lib/index.js';
import { readSafetensors } from '../../lib/io/safetensors.js';
import { tempDir } from '../helpers/temp.js';
import { ARCH, DATA } from './fixtures/distributed-world.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'distributed-fit.ts');
const dir = tempDir('distributed');
// 96 users in batches of 2 × 20: every third batch is 16 sequences, all rank 0's (rank 1 takes part with none)
const FIT = { steps: 8, batchSize: 20, lr: 3e-3, schedule: 'constant', clipNorm: 0, progressEvery: 1 };
const available = versions().distributed;
if (!available) console.log('distributed tests skipped: this build has no Gloo (apt install libgloo-dev, then npm run build:native)');

let nextPort = 29600 + (process.pid % 200) * 5;

/**
 * Run the fixture as `world` ranks; resolve with each rank's exit code, output and time to exit. When rank 0
 * fails, the others still running 10 s later are killed (a stopped rank would otherwise never exit; a rank that
 * is exiting on its own, as a dying rank may still be when the survivor has already failed, keeps its code).
 */
function ranks(world: number, options: object, env: (rank: number) => Record<string, string> = () => ({})) {
  const port = String(nextPort++);
  const children = Array.from({ length: world }, (_, rank) =>
    spawn(process.execPath, ['--import', 'tsx', FIXTURE, join(dir, `rank${rank}-${port}.safetensors`), JSON.stringify(options)], {
      env: { ...process.env, RANK: String(rank), WORLD_SIZE: String(world), MASTER_ADDR: '127.0.0.1', MASTER_PORT: port, ...env(rank) },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const started = Date.now();
  return Promise.all(
    children.map((child, rank) => {
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      return new Promise<{ code: number | null; out: string; ms: number; path: string }>((resolve) =>
        child.on('exit', (code) => {
          if (rank === 0 && code !== 0)
            setTimeout(() => {
              for (const other of children.slice(1)) if (other.exitCode === null && other.signalCode === null) other.kill('SIGKILL');
            }, 10_000);
          resolve({ code, out, ms: Date.now() - started, path: join(dir, `rank${rank}-${port}.safetensors`) });
        }),
      );
    }),
  );
}

async function tensors(path: string): Promise<Map<string, Float32Array>> {
  const file = await readSafetensors(path);
  return new Map(file.tensors.filter((t) => t.dtype === 'F32').map((t) => [t.name, new Float32Array(t.data.slice().buffer, 0, t.data.byteLength / 4)]));
}

/**
 * The bound on relativeDistance below: fp32 rounding of sums taken in another order, which the BLAS kernels set
 * (below 1e-6 on an Intel Xeon, 1.1e-6 on an AMD EPYC).
 */
const ROUNDING = 3e-6;

/**
 * ‖θ_ranks − θ_alone‖ / ‖θ_alone‖ over the model's parameters, after checking that the two ranks hold the same
 * tensors. The ranks sum the same gradients in another order, and a few entries are pure rounding noise (a key
 * bias: attention ignores it, so its gradient is ~1e-13 and Adam turns that noise into lr-sized steps), so the
 * comparison is of the whole parameter vector.
 */
async function relativeDistance(rank0: Map<string, Float32Array>, alone: Map<string, Float32Array>, rank1: Map<string, Float32Array>) {
  expect([...rank0.keys()].sort()).toEqual([...alone.keys()].sort());
  let diff2 = 0;
  let norm2 = 0;
  for (const [name, want] of alone) {
    const got = rank0.get(name)!;
    expect(rank1.get(name)).toEqual(got); // the ranks never drift apart
    if (!name.startsWith('model.')) continue;
    for (let i = 0; i < want.length; i++) {
      diff2 += (got[i]! - want[i]!) ** 2;
      norm2 += want[i]! ** 2;
    }
  }
  return Math.sqrt(diff2 / norm2);
}

describe.skipIf(!available)('distributed training (Gloo, loopback)', () => {
  it('two ranks with batch B train the same model as one process with batch 2B, and hold the same parameters', async () => {
    const [zero, one] = await ranks(2, FIT);
    expect(zero!.code, zero!.out).toBe(0);
    expect(one!.code, one!.out).toBe(0);
    await using alone = await SASRec.create(ARCH);
    const summary = await alone.fit(DATA, { ...FIT, batchSize: 2 * FIT.batchSize } as never);
    const path = join(dir, 'alone.safetensors');
    await alone.save(path);
    const [a, r0, r1] = await Promise.all([tensors(path), tensors(zero!.path), tensors(one!.path)]);
    expect(await relativeDistance(r0, a, r1)).toBeLessThan(ROUNDING);
    const losses = JSON.parse(zero!.out.trim().split('\n').at(-1)!).losses as number[];
    losses.forEach((l, i) => expect(Math.abs(l - summary.losses[i]!)).toBeLessThan(1e-5 * Math.abs(summary.losses[i]!))); // the global mean loss
  }, 120_000);

  it('the same with many small gradient buckets sent during backward, the item table as touched rows, and gradient accumulation', async () => {
    // 2 KiB buckets split the model's gradients into ~20, so buckets go out from the hooks while backward runs
    const [zero, one] = await ranks(2, { ...FIT, accumulate: 2 }, () => ({ BUCKET_BYTES: '2048', ITEM_GRADIENT: 'rows' }));
    expect(zero!.code, zero!.out).toBe(0);
    expect(one!.code, one!.out).toBe(0);
    await using alone = await SASRec.create(ARCH);
    await alone.fit(DATA, { ...FIT, accumulate: 2, batchSize: 2 * FIT.batchSize } as never);
    const path = join(dir, 'alone-accumulated.safetensors');
    await alone.save(path);
    const [a, r0, r1] = await Promise.all([tensors(path), tensors(zero!.path), tensors(one!.path)]);
    expect(await relativeDistance(r0, a, r1)).toBeLessThan(ROUNDING);
  }, 120_000);

  it('resume: a run interrupted in one process with batch 2B ends on two ranks with batch B exactly as the uninterrupted run', async () => {
    const whole = { ...FIT, batchSize: 2 * FIT.batchSize };
    await using full = await SASRec.create(ARCH);
    await full.fit(DATA, whole as never);
    const fullPath = join(dir, 'full.safetensors');
    await full.save(fullPath);
    await using first = await SASRec.create(ARCH);
    const controller = new AbortController();
    const stopped = await first
      .fit(DATA, { ...whole, signal: controller.signal, onProgress: (p: { step: number }) => void (p.step >= 3 && controller.abort()) } as never)
      .then(
        () => undefined,
        (e: unknown) => (e as SeqrecError).code,
      );
    expect(stopped).toBe('E_ABORTED');
    expect(first.info().trainStep).toBeLessThan(FIT.steps);
    const paused = join(dir, 'paused.safetensors');
    await first.save(paused);
    const [zero, one] = await ranks(2, { ...FIT, resume: true }, () => ({ RESUME_FROM: paused }));
    expect(zero!.code, zero!.out).toBe(0);
    expect(one!.code, one!.out).toBe(0);
    const [a, r0, r1] = await Promise.all([tensors(fullPath), tensors(zero!.path), tensors(one!.path)]);
    expect(await relativeDistance(r0, a, r1)).toBeLessThan(ROUNDING);
  }, 120_000);

  it("a rank that dies ends the other rank's fit with E_DISTRIBUTED within the timeout", async () => {
    const [survivor, dead] = await ranks(2, { ...FIT, steps: 400, distributed: undefined }, (rank): Record<string, string> =>
      rank === 1 ? { DIE_AFTER_STEP: '3' } : {},
    );
    expect(dead!.code).toBe(9);
    expect(survivor!.code).not.toBe(0);
    expect(survivor!.out).toMatch(/E_DISTRIBUTED/);
    expect(survivor!.out).toMatch(/rank 0 of 2/);
    expect(survivor!.ms).toBeLessThan(60_000);
  }, 120_000);

  it("a rank that stalls ends the other rank's fit with E_DISTRIBUTED after the timeout", async () => {
    const [survivor] = await ranks(2, { ...FIT, steps: 400 }, (rank): Record<string, string> => ({
      DISTRIBUTED_TIMEOUT: '3000',
      ...(rank === 1 && { STALL_AFTER_STEP: '3' }),
    }));
    expect(survivor!.code).not.toBe(0);
    expect(survivor!.out).toMatch(/E_DISTRIBUTED/);
    expect(survivor!.out).toMatch(/3000 ms timeout/);
    expect(survivor!.ms).toBeLessThan(45_000);
  }, 120_000);

  it('a master that never answers is named, after the timeout', async () => {
    await using model = await SASRec.create(ARCH);
    const started = Date.now();
    const err = (await model
      .fit(DATA, { ...FIT, distributed: { rank: 1, worldSize: 2, masterAddr: '127.0.0.1', masterPort: nextPort++, timeout: 1500 } } as never)
      .then(
        () => undefined,
        (e: unknown) => e,
      )) as SeqrecError;
    expect(err.code).toBe('E_DISTRIBUTED');
    expect(err.message).toMatch(/127\.0\.0\.1:\d+/);
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 60_000);
});

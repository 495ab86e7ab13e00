#!/usr/bin/env node
/**
 * Training speed and peak memory: seqrec (C++ LibTorch addon) beside a Python PyTorch eager script of
 * the same model (benchmarks/torch_reference.py), on the same machine and the same LibTorch, one after
 * the other, each in its own process. Default shape: ML-1M SASRec (V=3706, d=64, L=200, B=128,
 * 2 blocks, 2 heads, F=4·d, full cross-entropy over all items at every position).
 *
 *   node benchmarks/train-speed.mjs [--steps 20] [--warmup 3] [--threads N] [--items 3706 --dim 64
 *        --layers 2 --heads 2 --max-len 200 --batch 128] [--ffn 256] [--dropout 0.2] [--seed 0]
 *        [--python .venv/bin/python] [--compile] [--skip-torch] [--no-record] [--idle-wait 300] [--loss-chunk-mib M]
 *
 * --compile also runs the PyTorch side under torch.compile (PyTorch 2.x), a third process.
 * Prints a markdown table and the seqrec/PyTorch steps/s ratio, the achieved GFLOP/s beside the
 * machine's single-precision GEMM rate (measured here with the same LibTorch, through the venv's
 * PyTorch), and where a seqrec step's time goes (fit's `profile` option: sample, forward, fused
 * loss, backward, optimizer, each with its GFLOP/s); writes benchmarks/results/train-speed-cpu-<date>.json
 * and appends one row to benchmarks/RESULTS.md.
 * Targets (CPU, 2 cores, this shape): seqrec >= 1.5 steps/s and >= 6x PyTorch eager steps/s.
 *
 * Before each side it waits (up to --idle-wait seconds) until other processes use < 0.2 cores, and it
 * records how many cores other processes used while each side ran: on a shared machine a busy
 * neighbour slows OpenMP's spinning workers badly, so such a run's numbers are flagged in the output.
 *
 * --loss-chunk-mib sets seqrec's fit option lossChunkBytes (default: seqrec's own, 64 MiB), for tuning.
 * --no-record prints the table only (no JSON file, no RESULTS.md row): for trying the script out.
 *
 * Internal: `--child seqrec` runs only the seqrec side and prints one JSON line (the parent spawns it so
 * that its peak RSS is seqrec's alone).
 */
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const TARGET_RATIO = 6;
const TARGET_STEPS_PER_S = 1.5;

// ---------------------------------------------------------------------------------------------- options
const DEFAULTS = {
  steps: 20,
  warmup: 3,
  threads: os.availableParallelism(),
  items: 3706,
  dim: 64,
  layers: 2,
  heads: 2,
  'max-len': 200,
  batch: 128,
  ffn: 0,
  dropout: 0.2,
  seed: 0,
  python: existsSync(path.join(ROOT, '.venv/bin/python')) ? path.join(ROOT, '.venv/bin/python') : '/usr/bin/python3',
  'skip-torch': false,
  compile: false,
  'no-record': false,
  'idle-wait': 300,
  'loss-chunk-mib': 0,
  child: '',
};
const FLAGS = new Set(['skip-torch', 'no-record', 'compile']);
const FLOATS = new Set(['dropout', 'loss-chunk-mib']);
const STRINGS = new Set(['python', 'child']);

function parseArgs(argv) {
  const o = { ...DEFAULTS };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      console.log(
        readFileSync(fileURLToPath(import.meta.url), 'utf8')
          .split('*/')[0]
          .replace(/^#!.*\n\/\*\*\n?/, '')
          .replace(/^ \* ?/gm, ''),
      );
      process.exit(0);
    }
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m || !(m[1] in DEFAULTS)) fail(`unknown argument ${a} (see --help)`);
    const key = m[1];
    if (FLAGS.has(key)) {
      o[key] = true;
      continue;
    }
    const raw = m[2] ?? argv[++i];
    if (raw === undefined) fail(`--${key} needs a value`);
    if (STRINGS.has(key)) o[key] = raw;
    else {
      const v = Number(raw);
      if (!Number.isFinite(v) || (!FLOATS.has(key) && !Number.isInteger(v)) || v < 0)
        fail(`--${key} expects a ${FLOATS.has(key) ? 'number' : 'non-negative integer'}, got ${raw}`);
      o[key] = v;
    }
  }
  if (o.ffn === 0) o.ffn = 4 * o.dim;
  for (const k of ['steps', 'threads', 'items', 'dim', 'layers', 'heads', 'max-len', 'batch']) if (o[k] < 1) fail(`--${k} must be >= 1`);
  if (o.dim % o.heads) fail(`--dim ${o.dim} is not divisible by --heads ${o.heads}`);
  return o;
}

function fail(msg) {
  console.error(`train-speed: ${msg}`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------- seqrec side (child process)

async function runSeqrec(o) {
  const distIndex = path.join(ROOT, 'dist', 'index.js');
  if (!existsSync(distIndex)) fail(`${path.relative(process.cwd(), distIndex)} is missing: build it first (npx tsup, or npm run build)`);
  const { SASRec, Dataset, versions, seededRandom } = await import(distIndex);
  const total = o.warmup + o.steps;
  const L = o['max-len'];
  const B = o.batch;

  // B * (warmup + steps) users, each with L+1 random items: every batch is full (B sequences) and full
  // length (B * L targets), like the Python script's torch.randint((B, L+1)) batches; no user repeats.
  const random = seededRandom(o.seed + 1);
  const seqs = [];
  for (let u = 0; u < B * total; u++) {
    const s = new Int32Array(L + 1);
    for (let t = 0; t <= L; t++) s[t] = 1 + Math.floor(random() * o.items);
    seqs.push(s);
  }
  const data = Dataset.fromSequences(seqs, o.items);
  seqs.length = 0;
  const rssBeforeModel = process.memoryUsage().rss;

  const model = await SASRec.create({
    items: o.items,
    dim: o.dim,
    layers: o.layers,
    heads: o.heads,
    maxLen: L,
    ffnDim: o.ffn,
    dropout: o.dropout,
    seed: o.seed,
    threads: o.threads,
  });
  const reports = [];
  const t0 = performance.now();
  const summary = await model.fit(data, {
    steps: total,
    batchSize: B,
    lr: 1e-3,
    schedule: 'constant',
    weightDecay: 0.1,
    clipNorm: 1.0,
    progressEvery: 1,
    profile: true,
    ...(o['loss-chunk-mib'] > 0 && { lossChunkBytes: Math.round(o['loss-chunk-mib'] * 2 ** 20) }),
    onProgress: (p) => {
      reports.push({ step: p.step, loss: p.loss, gradNorm: p.gradNorm, elapsedSec: p.elapsedSec });
      const dt = reports.length > 1 ? p.elapsedSec - reports[reports.length - 2].elapsedSec : p.elapsedSec;
      process.stderr.write(`  seqrec step ${p.step}/${total}${p.step <= o.warmup ? ' (warmup)' : ''}: ${dt.toFixed(3)} s, loss ${p.loss.toFixed(4)}\n`);
    },
  });
  const wallSec = (performance.now() - t0) / 1000;
  if (reports.length !== total) throw new Error(`expected ${total} progress reports, got ${reports.length}`);

  const start = o.warmup > 0 ? reports[o.warmup - 1].elapsedSec : 0; // end of the last warmup step
  const elapsed = reports[total - 1].elapsedSec - start;
  const stepTimes = reports.map((r, i) => r.elapsedSec - (i > 0 ? reports[i - 1].elapsedSec : 0));
  const measured = stepTimes.slice(o.warmup).sort((a, b) => a - b);
  const info = model.info();
  const v = versions();
  await model.dispose();
  const peakKiB = process.resourceUsage().maxRSS; // KiB on Linux, like Python's ru_maxrss
  return {
    impl: 'seqrec',
    torch: v.torch,
    device: v.deviceName,
    threads: o.threads,
    items: o.items,
    dim: o.dim,
    layers: o.layers,
    heads: o.heads,
    max_len: L,
    batch: B,
    ffn: o.ffn,
    dtype: 'fp32',
    steps: o.steps,
    warmup: o.warmup,
    steps_per_s: o.steps / elapsed,
    seqs_per_s: (o.steps * B) / elapsed,
    peak_mem_gb: (peakKiB * 1024) / 1e9,
    final_loss: reports[total - 1].loss,
    first_losses: reports.slice(0, 5).map((r) => r.loss),
    step_sec: { median: median(measured), min: measured[0], max: measured[measured.length - 1], first: stepTimes[0] },
    step_times_sec: stepTimes,
    profile_sec: summary.profile, // summed over all warmup + timed steps
    fit_wall_sec: wallSec,
    fit_elapsed_sec: summary.elapsedSec,
    rss_before_model_gb: rssBeforeModel / 1e9,
    parameters: info.parameters,
    sdpa: info.sdpa,
    versions: v,
  };
}

// ---------------------------------------------------------------------------------------------- FLOPs and the GEMM rate
/**
 * Floating-point operations of one training step (multiply-add = 2), by phase, for the dense shape
 * every implementation here computes (full-length sequences, causal attention computed in full):
 * per block Q, K, V, output projections 8·N·d², feed-forward 4·N·d·F, scores and weighted sum
 * 4·B·L²·d (N = B·L); the full-softmax loss 2·N·V·d for the logits plus 4·N·V·d for its two
 * gradients; the transformer's backward twice its forward. Element-wise work is not counted.
 */
function flopsPerStep(o) {
  const [B, L, d, F, V] = [o.batch, o['max-len'], o.dim, o.ffn, o.items];
  const N = B * L;
  const forward = o.layers * (8 * N * d * d + 4 * N * d * F + 4 * B * L * L * d);
  const loss = 6 * N * V * d;
  return { forward, loss, backward: 2 * forward, total: 3 * forward + loss };
}

/** The machine's fp32 GEMM rate with the same LibTorch (the venv's PyTorch), on `threads` threads: a square 2048³ product and the loss's (N, d)·(d, V). */
function measureGemm(o) {
  const script = `
import json, sys, time, torch
torch.set_num_threads(int(sys.argv[1]))
def rate(m, k, n, reps):
    a, b = torch.randn(m, k), torch.randn(k, n)
    torch.mm(a, b)
    t = time.perf_counter()
    for _ in range(reps): torch.mm(a, b)
    return 2.0 * m * k * n * reps / (time.perf_counter() - t) / 1e9
print(json.dumps({"square_2048": rate(2048, 2048, 2048, 10), "loss_shape": rate(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), 5), "torch": torch.__version__}))
`;
  try {
    const out = execFileSync(o.python, ['-c', script, String(o.threads), String(o.batch * o['max-len']), String(o.dim), String(o.items)], { encoding: 'utf8' });
    return JSON.parse(out.trim().split('\n').at(-1));
  } catch (e) {
    console.error(`  GEMM rate not measured (${o.python}: ${e instanceof Error ? e.message.split('\n')[0] : e})`);
    return null;
  }
}

/** Achieved GFLOP/s overall and per phase, from the measured steps/s and the seqrec step profile. */
function flopReport(o, seqrec, gemm) {
  const flops = flopsPerStep(o);
  const achieved = (flops.total * seqrec.steps_per_s) / 1e9;
  const steps = o.warmup + o.steps;
  const p = seqrec.profile_sec;
  const phases = p
    ? [
        ['sample', p.sampleSec, 0],
        ['forward', p.forwardSec, flops.forward],
        ['loss (fused CE, both gradients)', p.lossSec, flops.loss],
        ['backward', p.backwardSec, flops.backward],
        ['optimizer (clip + AdamW)', p.optimizerSec, 0],
      ].map(([name, sec, f]) => ({
        phase: name,
        sec_per_step: sec / steps,
        share: sec / Object.values(p).reduce((a, b) => a + b, 0),
        gflops: f && sec > 0 ? (f * steps) / sec / 1e9 : null,
      }))
    : [];
  const lines = [
    `Achieved: ${achieved.toFixed(1)} GFLOP/s (${(flops.total / 1e9).toFixed(1)} GFLOP per step)` +
      (gemm
        ? `; the machine's fp32 GEMM rate here (same LibTorch, ${o.threads} threads): ${gemm.square_2048.toFixed(1)} GFLOP/s on 2048³, ${gemm.loss_shape.toFixed(1)} GFLOP/s on the loss's (N, d)·(d, V) = ${((achieved / gemm.square_2048) * 100).toFixed(0)}% / ${((achieved / gemm.loss_shape) * 100).toFixed(0)}% of them`
        : ''),
    ...(phases.length
      ? [
          '',
          `Where a seqrec step goes (fit's profile, mean of ${steps} steps, warmup included):`,
          '',
          '| phase | s / step | share | GFLOP/s |',
          '| --- | ---: | ---: | ---: |',
          ...phases.map((r) => `| ${r.phase} | ${r.sec_per_step.toFixed(4)} | ${(r.share * 100).toFixed(1)}% | ${fmt(r.gflops, 1)} |`),
        ]
      : []),
  ];
  return { text: lines.join('\n'), json: { flops_per_step: flops, achieved_gflops: achieved, gemm_gflops: gemm, phases } };
}

// ---------------------------------------------------------------------------------------------- parent
/** /proc/stat's aggregate line: busy and total jiffies of all CPUs since boot (null off Linux). */
function cpuTimes() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - f[3] - (f[4] ?? 0), total }; // idle and iowait are not busy
  } catch {
    return null;
  }
}

/** utime + stime (jiffies) of a live process, all its threads; null once it has gone. */
function procJiffies(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return null;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Cores busy over `ms` milliseconds, machine-wide (this process is idle meanwhile). */
async function busyCores(ms) {
  const a = cpuTimes();
  await sleep(ms);
  const b = cpuTimes();
  if (!a || !b || b.total === a.total) return null;
  return ((b.busy - a.busy) / (b.total - a.total)) * os.cpus().length;
}

/** Waits (up to maxSec) until other processes use less than `below` cores; returns what it saw. */
async function waitForIdle(label, maxSec, below = 0.2) {
  const t0 = performance.now();
  let busy = await busyCores(2000);
  while (busy !== null && busy >= below && (performance.now() - t0) / 1000 < maxSec) {
    console.error(`  waiting for an idle machine before ${label}: other processes use ${busy.toFixed(2)} cores`);
    busy = await busyCores(5000);
  }
  const waited = (performance.now() - t0) / 1000;
  if (busy !== null && busy >= below) console.error(`  machine still busy (${busy.toFixed(2)} cores) after ${waited.toFixed(0)} s; measuring anyway`);
  return { busy_cores_before: busy, waited_sec: waited };
}

/**
 * Runs a command, streams its stderr through, returns the last JSON line of its stdout plus `_load`:
 * the cores the command itself and all other processes used on average while it ran (from /proc).
 */
function runJson(cmd, args) {
  return new Promise((resolve, reject) => {
    const sys0 = cpuTimes();
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let own = 0;
    const poll = setInterval(() => {
      const j = procJiffies(child.pid);
      if (j !== null) own = j;
    }, 200);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', (e) => {
      clearInterval(poll);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearInterval(poll);
      const sys1 = cpuTimes();
      const lines = out.split('\n').filter((l) => l.startsWith('{'));
      if (code !== 0 || !lines.length) return reject(new Error(`${cmd} ${args.join(' ')} exited with ${signal ?? code}\n${out}`));
      const result = { json: [], load: null };
      for (const line of lines) {
        try {
          result.json.push(JSON.parse(line));
        } catch {
          return reject(new Error(`${cmd}: bad JSON line: ${line}`));
        }
      }
      if (sys0 && sys1 && sys1.total > sys0.total) {
        const cores = (j) => (j / (sys1.total - sys0.total)) * os.cpus().length;
        // own is sampled every 200 ms, so it misses the child's last moments: others is an upper bound.
        result.load = { own_cores: cores(own), other_cores: Math.max(0, cores(sys1.busy - sys0.busy - own)) };
      }
      resolve(result);
    });
  });
}

/**
 * Runs torch_reference.py unchanged, with torch.optim.AdamW.step wrapped to note when each optimizer
 * step (the last call of each train step) ends, so per-step times are known as on the seqrec side.
 * Prints the script's own JSON line, then {"step_end_times": [...]} on stdout.
 */
const TORCH_WRAPPER = `
import json, runpy, sys, time
import torch
ends = []
total = int(sys.argv[sys.argv.index("--warmup") + 1]) + int(sys.argv[sys.argv.index("--steps") + 1])
_step = torch.optim.AdamW.step
def step(self, *args, **kwargs):
    out = _step(self, *args, **kwargs)
    ends.append(time.perf_counter())
    if len(ends) > 1:
        sys.stderr.write("  pytorch step %d/%d: %.3f s\\n" % (len(ends), total, ends[-1] - ends[-2]))
    return out
torch.optim.AdamW.step = step
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
print(json.dumps({"step_end_times": ends}))
`;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : null;
}

/** What was measured: git commit (and whether the tree had changes) and when dist/ and the addon were built. */
function buildInfo() {
  const git = (...args) => {
    try {
      return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return null;
    }
  };
  const mtime = (p) => {
    try {
      return statSync(path.join(ROOT, p)).mtime.toISOString();
    } catch {
      return null;
    }
  };
  const status = git('status', '--porcelain');
  return {
    commit: git('rev-parse', 'HEAD'),
    changed_files: status === null ? null : status.split('\n').filter(Boolean).length,
    dist_built: mtime('dist/index.js'),
    addon_built: mtime('build/Release/seqrec.node'),
  };
}

const fmt = (x, digits) => (x === undefined || x === null ? '—' : x.toFixed(digits));

/** One PyTorch side (benchmarks/torch_reference.py, eager or torch.compile): its report with step times. */
async function runTorchSide(o, compiled, label) {
  const args = [
    'benchmarks/torch_reference.py',
    '--items',
    o.items,
    '--dim',
    o.dim,
    '--layers',
    o.layers,
    '--heads',
    o.heads,
    '--max-len',
    o['max-len'],
    '--batch',
    o.batch,
    '--ffn',
    o.ffn,
    '--dropout',
    o.dropout,
    '--steps',
    o.steps,
    '--warmup',
    o.warmup,
    '--threads',
    o.threads,
    '--seed',
    o.seed,
    ...(compiled ? ['--compile'] : []),
  ].map(String);
  const command = [o.python, ...args].join(' ');
  console.error(`${label} (own process): ${command}`);
  const before = await waitForIdle(label, o['idle-wait']);
  const t0 = performance.now();
  const run = await runJson(o.python, ['-c', TORCH_WRAPPER, ...args]);
  const result = run.json.find((j) => 'impl' in j);
  if (!result) throw new Error(`no report line from ${command}`);
  result.wall_sec = (performance.now() - t0) / 1000;
  const ends = run.json.find((j) => 'step_end_times' in j)?.step_end_times ?? [];
  result.step_times_sec = ends.slice(1).map((t, i) => t - ends[i]); // step 2 onwards (step 1 has no start mark)
  const timed = result.step_times_sec.slice(Math.max(0, o.warmup - 1));
  if (o.warmup >= 1 && timed.length === o.steps) result.step_sec = { median: median(timed), min: Math.min(...timed), max: Math.max(...timed) };
  return { result, command, load: run.load, before };
}

async function main() {
  const argv = process.argv.slice(2);
  const o = parseArgs(argv);
  if (o.child === 'seqrec') {
    console.log(JSON.stringify(await runSeqrec(o)));
    return;
  }
  if (o.child) fail(`unknown --child ${o.child}`);

  const command = ['node', 'benchmarks/train-speed.mjs', ...argv].join(' ');
  const cpu = os.cpus()[0]?.model?.trim() ?? 'unknown';
  const shape = `V=${o.items} d=${o.dim} L=${o['max-len']} B=${o.batch} blocks=${o.layers} heads=${o.heads} F=${o.ffn} full CE`;
  console.error(`train-speed: ${shape}; ${o.warmup} warmup + ${o.steps} timed steps; ${o.threads} threads; CPU ${cpu}`);

  const load = {};
  console.error('seqrec (own process):');
  load.before_seqrec = await waitForIdle('seqrec', o['idle-wait']);
  const seqrecRun = await runJson(process.execPath, [fileURLToPath(import.meta.url), ...argv, '--child', 'seqrec']);
  const seqrec = seqrecRun.json.at(-1);
  load.during_seqrec = seqrecRun.load;

  // PyTorch eager, and with --compile also torch.compile, each in its own process on a quiet machine
  const torchSides = [];
  if (!o['skip-torch']) {
    for (const compiled of o.compile ? [false, true] : [false]) {
      const label = compiled ? 'PyTorch torch.compile' : 'PyTorch eager';
      const side = await runTorchSide(o, compiled, label);
      load[compiled ? 'during_pytorch_compile' : 'during_pytorch'] = side.load;
      load[compiled ? 'before_pytorch_compile' : 'before_pytorch'] = side.before;
      torchSides.push(side);
    }
  }
  console.error('fp32 GEMM rate with the same LibTorch:');
  await waitForIdle('the GEMM measurement', o['idle-wait']);
  const flopsReport = flopReport(o, seqrec, measureGemm(o));
  const torch = torchSides[0]?.result ?? null;
  const torchCommand = torchSides[0]?.command ?? null;
  const compiled = torchSides[1]?.result ?? null;
  const ratio = torch ? seqrec.steps_per_s / torch.steps_per_s : null;
  const medianRate = (r) => (r?.step_sec?.median ? 1 / r.step_sec.median : null);
  const ratioMedian = torch && medianRate(seqrec) && medianRate(torch) ? medianRate(seqrec) / medianRate(torch) : null;

  const device = `CPU: ${cpu}, ${o.threads} threads`;
  const others = (r) => (r === seqrec ? load.during_seqrec : r === compiled ? load.during_pytorch_compile : load.during_pytorch)?.other_cores;
  const rows = [seqrec, torch, compiled].filter(Boolean).map((r) => {
    const name = r.impl === 'seqrec' ? `seqrec ${seqrec.versions.seqrec} (LibTorch ${r.torch})` : `${r.impl} (torch ${r.torch})`;
    return `| ${name} | ${r.device} | ${r.threads} | ${fmt(r.steps_per_s, 3)} | ${fmt(medianRate(r), 3)} | ${fmt(r.seqs_per_s, 1)} | ${fmt(r.peak_mem_gb, 2)} | ${fmt(r.final_loss, 4)} | ${fmt(others(r), 2)} |`;
  });
  const CONTENDED = 0.2; // other processes' cores during a side above which its timing is suspect
  const contended = [seqrec, torch, compiled]
    .filter(Boolean)
    .filter((r) => (others(r) ?? 0) > CONTENDED)
    .map((r) => r.impl);
  const table = [
    `Training speed, ${shape}, ${o.steps} timed steps after ${o.warmup} warmup, ${device}`,
    '',
    '| impl | device | threads | steps/s | steps/s (median step) | seqs/s | peak RSS GB | final loss | other procs (cores) |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    ratio === null
      ? 'ratio seqrec/PyTorch steps/s: — (--skip-torch)'
      : `ratio seqrec/PyTorch steps/s: ${ratio.toFixed(2)}× (target ≥ ${TARGET_RATIO}×: ${ratio >= TARGET_RATIO ? 'met' : 'NOT met'})` +
        (ratioMedian === null ? '' : `; on median step times: ${ratioMedian.toFixed(2)}×`) +
        (compiled ? `; over torch.compile ${(seqrec.steps_per_s / compiled.steps_per_s).toFixed(2)}×` : ''),
    `seqrec steps/s: ${seqrec.steps_per_s.toFixed(3)} (target ≥ ${TARGET_STEPS_PER_S} on 2 cores: ${seqrec.steps_per_s >= TARGET_STEPS_PER_S ? 'met' : 'NOT met'})`,
    '',
    flopsReport.text,
    ...(contended.length
      ? ['', `WARNING: other processes used > ${CONTENDED} cores while ${contended.join(' and ')} ran; its timing is unreliable (re-run on a quiet machine).`]
      : []),
  ].join('\n');
  console.log(table);
  if (o['no-record']) return;

  const date = new Date().toISOString().slice(0, 10);
  const resultsDir = path.join(HERE, 'results');
  mkdirSync(resultsDir, { recursive: true });
  let jsonPath = path.join(resultsDir, `train-speed-cpu-${date}.json`);
  for (let n = 2; existsSync(jsonPath); n++) jsonPath = path.join(resultsDir, `train-speed-cpu-${date}-${n}.json`); // keep earlier runs
  const { versions, ...seqrecRaw } = seqrec;
  writeFileSync(
    jsonPath,
    JSON.stringify(
      {
        benchmark: 'train-speed',
        date: new Date().toISOString(),
        command,
        torch_command: torchCommand,
        shape,
        device,
        cpu,
        cpus: os.cpus().length,
        threads: o.threads,
        node: process.version,
        platform: `${os.platform()} ${os.release()} ${os.arch()}`,
        load,
        build: buildInfo(),
        options: o,
        versions,
        seqrec: seqrecRaw,
        pytorch: torch,
        pytorch_compile: compiled,
        ratio_steps_per_s: ratio,
        ratio_median_step: ratioMedian,
        target_ratio: TARGET_RATIO,
        target_steps_per_s: TARGET_STEPS_PER_S,
        flops: flopsReport.json,
      },
      null,
      2,
    ) + '\n',
  );

  const resultsMd = path.join(HERE, 'RESULTS.md');
  if (!existsSync(resultsMd)) {
    writeFileSync(
      resultsMd,
      [
        '# Benchmark results',
        '',
        'One row per run, appended by the scripts in benchmarks/ (see benchmarks/README.md). Raw numbers: benchmarks/results/.',
        '',
        '| date | benchmark | device | setup | seqrec | reference | comparison | command |',
        '| --- | --- | --- | --- | --- | --- | --- | --- |',
        '',
      ].join('\n'),
    );
  }
  const cell = (r) => (r ? `${fmt(r.steps_per_s, 3)} steps/s, ${fmt(r.peak_mem_gb, 2)} GB RSS` : '—');
  const { achieved_gflops: gflops, gemm_gflops: gemm } = flopsReport.json;
  const ratioCell =
    (ratio === null ? '—' : `${ratio.toFixed(2)}×${ratioMedian === null ? '' : ` (median step ${ratioMedian.toFixed(2)}×)`}; target ≥ ${TARGET_RATIO}×`) +
    `; ${gflops.toFixed(1)} GFLOP/s${gemm ? ` = ${((gflops / gemm.square_2048) * 100).toFixed(0)}% of SGEMM ${gemm.square_2048.toFixed(1)} GFLOP/s` : ''}` +
    (contended.length ? ` ⚠ contended: ${contended.join(', ')}` : '');
  appendFileSync(
    resultsMd,
    `| ${date} | train-speed | ${device} | ${shape} | ${cell(seqrec)} | ${torch ? `eager ${cell(torch)}${compiled ? `; torch.compile ${cell(compiled)}` : ''} (torch ${torch.torch})` : '—'} | ${ratioCell} | \`${command}\` |\n`,
  );
  console.error(`wrote ${path.relative(process.cwd(), jsonPath)}; appended a row to ${path.relative(process.cwd(), resultsMd)}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});

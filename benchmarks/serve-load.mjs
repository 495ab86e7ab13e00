#!/usr/bin/env node
/**
 * Load test of `seqrec serve` on loopback, beside a bare node:http hello-world measured in the same
 * run: requests/s, p50/p99 latency, errors and non-2xx answers (autocannon), the CPU each side spends
 * per request (the server process, and autocannon, which shares the machine's cores), and the server's
 * RSS before and after each /recommend run and each session round. Each server runs in its own process;
 * autocannon runs in this one.
 *
 *   node benchmarks/serve-load.mjs [--connections 32] [--duration 10] [--rounds 3] [--items 3706]
 *        [--max-len 200] [--dim 64] [--layers 2] [--threads 1] [--no-record]
 *
 * The model is an untrained SASRec of the given shape with positions: 'start' (latency does not depend
 * on the weights). Two loads: POST /recommend for k=10 after a full history of max-len events (twice:
 * is memory flat?); and POST /session/:id/events with one new event and k=10, over 1,000 sessions (what
 * a live page sends: the server's session keeps the user's keys and values, so each request costs one
 * position), in --rounds rounds, each right after a run of the bare server: a shared machine's speed
 * drifts within minutes, so each round's share compares two runs seconds apart, and the median round
 * is the result. Each connection sends its own fixed cycle of requests, so autocannon builds their
 * bytes once, as it does for the hello-world.
 * Target: ≥ 25% of the bare server's requests/s with p99 ≤ 10 ms at 32 connections, no errors,
 * memory flat over the run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { SASRec, versions } from '../dist/index.js';
import { commandLine, cpuDevice, recordRun } from './record.mjs';

const { values: a } = parseArgs({
  options: {
    connections: { type: 'string', default: '32' },
    duration: { type: 'string', default: '10' },
    items: { type: 'string', default: '3706' },
    'max-len': { type: 'string', default: '200' },
    dim: { type: 'string', default: '64' },
    layers: { type: 'string', default: '2' },
    threads: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '3' },
    'no-record': { type: 'boolean', default: false },
  },
});
const [connections, duration, items, maxLen, dim, layers, threads, rounds] = [
  'connections',
  'duration',
  'items',
  'max-len',
  'dim',
  'layers',
  'threads',
  'rounds',
].map((k) => Number(a[k]));

/** VmRSS of a process in MB. */
const rssMb = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

/** Spawn `args` with node; resolve with the child and the first http://127.0.0.1:port it prints. */
function startChild(args) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed in 60 s: ${out}`)), 60_000);
    const look = (d) => {
      out += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] });
      }
    };
    child.stdout.on('data', look);
    child.stderr.on('data', look);
    child.on('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
  });
}

/** CPU seconds (user + system, all threads) process `pid` has used so far. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/**
 * autocannon against `url + path` (POST `body` when given): requests/s, latency, errors, and the CPU each side spent
 * per request: the server process (`pid`) and this process, the load generator (they share the machine's cores).
 * `requestsOf(i)`, when given, is connection i's own list of requests, which it sends in a loop; autocannon builds
 * their bytes once, so the load generator's work per request is what it is for the static hello-world request.
 */
async function measure(label, url, path, pid, body, requestsOf) {
  let connection = 0;
  const opts = {
    url: url + path,
    connections,
    duration,
    ...(body && { method: 'POST', headers: { 'content-type': 'application/json' }, body }),
    ...(requestsOf && { setupClient: (client) => client.setRequests(requestsOf(connection++ % connections)) }),
  };
  await autocannon({ ...opts, duration: 2 }); // warm-up
  const serverCpu = cpuSeconds(pid),
    ownCpu = process.cpuUsage();
  const r = await autocannon(opts);
  const own = process.cpuUsage(ownCpu),
    total = Math.max(1, r.requests.total);
  const serverUs = ((cpuSeconds(pid) - serverCpu) * 1e6) / total,
    loadUs = (own.user + own.system) / total;
  console.log(
    `${label}: ${r.requests.average.toFixed(0)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, errors ${r.errors}, non-2xx ${r.non2xx}; CPU per request: server ${serverUs.toFixed(1)} µs, autocannon ${loadUs.toFixed(1)} µs`,
  );
  return {
    requests_per_s: r.requests.average,
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    total: r.requests.total,
    server_cpu_us_per_request: serverUs,
    autocannon_cpu_us_per_request: loadUs,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'seqrec-serve-load-'));
try {
  const modelPath = join(dir, 'model.safetensors');
  {
    const model = await SASRec.create({ items, dim, layers, heads: 2, maxLen, threads, seed: 0, positions: 'start' });
    await model.save(modelPath);
    await model.dispose();
  }
  const history = Array.from({ length: maxLen }, (_, i) => 1 + ((i * 7919) % items));
  const body = JSON.stringify({ history, k: 10 });

  const bare = await startChild([
    '-e',
    "require('node:http').createServer((q, s) => { s.setHeader('content-type', 'application/json'); s.end('{\"ok\":true}'); }).listen(0, '127.0.0.1', function () { console.log('http://127.0.0.1:' + this.address().port); });",
  ]);
  const seq = await startChild([join(import.meta.dirname, '../dist/cli.js'), 'serve', '--model', modelPath, '--port', '0', '--threads', String(threads)]);
  await fetch(`${seq.url}/recommend`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }); // first call loads lazily-initialised kernels
  const rssBefore = rssMb(seq.child.pid);
  const serveResult = await measure('seqrec serve POST /recommend', seq.url, '/recommend', seq.child.pid, body);
  const rssAfter = rssMb(seq.child.pid);
  const again = await measure('seqrec serve, second run (memory flat?)', seq.url, '/recommend', seq.child.pid, body);
  const rssAfterSecond = rssMb(seq.child.pid);

  // The session load, in rounds that alternate with the bare server's (a shared machine's speed drifts over a run; each
  // round's share compares two loads a few seconds apart). Round r's connection i owns the sessions r/i, r/i +
  // connections, … and sends each one event in turn, EVENTS times, then again from the first: a session reaches about
  // 150 events in a round, under maxLen (a session past maxLen recomputes its window on each event; see README).
  const EVENTS = 8;
  const sessionRequests = (round) => (i) => {
    const list = [];
    for (let e = 0; e < EVENTS; e++)
      for (let s = i; s < 1000; s += connections) {
        const body = JSON.stringify({ items: [1 + ((s * 31 + e * 977) % items)], k: 10 });
        list.push({ method: 'POST', path: `/session/r${round}u${s}/events`, headers: { 'content-type': 'application/json' }, body });
      }
    return list;
  };
  const bareRuns = [],
    sessionRuns = [],
    rssAfterRounds = []; // the live sessions' keys and values fill up to --live-sessions in round 1, then stay
  for (let round = 0; round < rounds; round++) {
    bareRuns.push(await measure(`round ${round + 1}: bare node:http`, bare.url, '/', bare.child.pid));
    sessionRuns.push(
      await measure(
        `round ${round + 1}: seqrec serve POST /session/:id/events`,
        seq.url,
        '/session/u0/events',
        seq.child.pid,
        JSON.stringify({ items: [1], k: 10 }),
        sessionRequests(round),
      ),
    );
    rssAfterRounds.push(rssMb(seq.child.pid));
  }
  const rssAfterSessions = rssAfterRounds.at(-1);
  const rounded = rssAfterRounds.map((x) => x.toFixed(0)).join(' → ');
  seq.child.kill('SIGINT');
  bare.child.kill();

  const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const shares = sessionRuns.map((r, i) => r.requests_per_s / bareRuns[i].requests_per_s);
  const sessionShare = median(shares);
  const bareRps = median(bareRuns.map((r) => r.requests_per_s));
  const sessions = sessionRuns[shares.indexOf(sessionShare)];
  const share = serveResult.requests_per_s / bareRps;
  const sessionP99 = Math.max(...sessionRuns.map((r) => r.p99_ms));
  const sessionErrors = sessionRuns.reduce((n, r) => n + r.errors + r.non2xx, 0);
  const v = versions();
  const device = cpuDevice({ ...v, threads });
  const shape = `V=${items} d=${dim} L=${maxLen} blocks=${layers}, full history, k=10, ${connections} connections, ${duration} s, loopback`;
  const pct = (x) => `${(x * 100).toFixed(1)}%`;
  console.log(
    `seqrec serve: /recommend ${pct(share)} of bare node:http, p99 ${serveResult.p99_ms} ms; sessions ${pct(sessionShare)} (median of ${rounds} rounds; ${shares.map(pct).join(', ')}), p99 ≤ ${sessionP99} ms, ${sessionErrors} errors or non-2xx (targets ≥ 25%, p99 ≤ 10 ms); RSS ${rssBefore.toFixed(0)} → ${rssAfter.toFixed(0)} → ${rssAfterSecond.toFixed(0)} MB, after each session round ${rounded} MB`,
  );
  if (!a['no-record']) {
    recordRun(
      'serve-load',
      {
        date: new Date().toISOString(),
        command: commandLine('serve-load.mjs'),
        device,
        shape,
        versions: v,
        bare: bareRuns,
        serve: serveResult,
        serveSecondRun: again,
        sessions: sessionRuns,
        rss_mb: { before: rssBefore, after: rssAfter, afterSecondRun: rssAfterSecond, afterSessions: rssAfterSessions, afterSessionRounds: rssAfterRounds },
        share_of_bare: share,
        sessions_share_of_bare: shares,
        sessions_share_median: sessionShare,
      },
      `serve-load | ${device} | ${shape} | /recommend ${serveResult.requests_per_s.toFixed(0)} req/s, p50 ${serveResult.p50_ms} ms, p99 ${serveResult.p99_ms} ms, ${serveResult.errors} errors, ${serveResult.non2xx} non-2xx; /session/:id/events (1 event) ${sessions.requests_per_s.toFixed(0)} req/s (median round), p50 ${sessions.p50_ms} ms, p99 ≤ ${sessionP99} ms over ${rounds} rounds, ${sessionErrors} errors or non-2xx; RSS ${rssBefore.toFixed(0)} → ${rssAfter.toFixed(0)} → ${rssAfterSecond.toFixed(0)} MB over the /recommend runs, ${rounded} MB after each session round | bare node:http ${bareRuns.map((r) => r.requests_per_s.toFixed(0)).join(', ')} req/s (one run per round) | /recommend ${pct(share)} of the median bare, sessions ${pct(sessionShare)} (median round; rounds ${shares.map(pct).join(', ')}) of bare in the same round (target ≥ 25%), p99 target ≤ 10 ms | \`${commandLine('serve-load.mjs')}\``,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

#!/usr/bin/env node
/**
 * Load test of `seqrec serve` on loopback, beside a bare node:http hello-world measured in the same
 * run: requests/s, p50/p99 latency, errors and non-2xx answers (autocannon), and the server's RSS
 * before and after. Each server runs in its own process; autocannon runs in this one.
 *
 *   node benchmarks/serve-load.mjs [--connections 32] [--duration 10] [--items 3706] [--max-len 200]
 *        [--dim 64] [--layers 2] [--threads 1] [--no-record]
 *
 * The model is an untrained SASRec of the given shape with positions: 'start' (latency does not depend
 * on the weights). Two loads: POST /recommend for k=10 after a full history of max-len events; and
 * POST /session/:id/events with one new event and k=10, over 1,000 sessions (what a live page sends:
 * the server's session keeps the user's keys and values, so each request costs one position).
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
    'no-record': { type: 'boolean', default: false },
  },
});
const [connections, duration, items, maxLen, dim, layers, threads] = ['connections', 'duration', 'items', 'max-len', 'dim', 'layers', 'threads'].map((k) =>
  Number(a[k]),
);

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

async function measure(label, url, path, body, setupRequest) {
  const opts = {
    url: url + path,
    connections,
    duration,
    ...(body && { method: 'POST', headers: { 'content-type': 'application/json' }, body }),
    ...(setupRequest && { requests: [{ setupRequest }] }),
  };
  await autocannon({ ...opts, duration: 2 }); // warm-up
  const r = await autocannon(opts);
  console.log(`${label}: ${r.requests.average.toFixed(0)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, errors ${r.errors}, non-2xx ${r.non2xx}`);
  return {
    requests_per_s: r.requests.average,
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    total: r.requests.total,
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
  const bareResult = await measure('bare node:http', bare.url, '/');
  bare.child.kill();

  const seq = await startChild([join(import.meta.dirname, '../dist/cli.js'), 'serve', '--model', modelPath, '--port', '0', '--threads', String(threads)]);
  await fetch(`${seq.url}/recommend`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }); // first call loads lazily-initialised kernels
  const rssBefore = rssMb(seq.child.pid);
  const serveResult = await measure('seqrec serve POST /recommend', seq.url, '/recommend', body);
  const rssAfter = rssMb(seq.child.pid);
  const again = await measure('seqrec serve, second run (memory flat?)', seq.url, '/recommend', body);
  const rssAfterSecond = rssMb(seq.child.pid);
  let event = 0;
  const sessionEvent = (request) => {
    event++;
    return { ...request, method: 'POST', path: `/session/u${event % 1000}/events`, body: JSON.stringify({ items: [1 + ((event * 31) % items)], k: 10 }) };
  };
  const sessions = await measure('seqrec serve POST /session/:id/events', seq.url, '/session/u0/events', JSON.stringify({ items: [1], k: 10 }), sessionEvent);
  const rssAfterSessions = rssMb(seq.child.pid);
  seq.child.kill('SIGINT');

  const share = serveResult.requests_per_s / bareResult.requests_per_s;
  const sessionShare = sessions.requests_per_s / bareResult.requests_per_s;
  const v = versions();
  const device = cpuDevice({ ...v, threads });
  const shape = `V=${items} d=${dim} L=${maxLen} blocks=${layers}, full history, k=10, ${connections} connections, ${duration} s, loopback`;
  console.log(
    `seqrec serve: /recommend ${(share * 100).toFixed(1)}% of bare node:http, p99 ${serveResult.p99_ms} ms; sessions ${(sessionShare * 100).toFixed(1)}%, p99 ${sessions.p99_ms} ms (targets ≥ 25%, p99 ≤ 10 ms); RSS ${rssBefore.toFixed(0)} → ${rssAfter.toFixed(0)} → ${rssAfterSecond.toFixed(0)} → ${rssAfterSessions.toFixed(0)} MB`,
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
        bare: bareResult,
        serve: serveResult,
        serveSecondRun: again,
        sessions,
        rss_mb: { before: rssBefore, after: rssAfter, afterSecondRun: rssAfterSecond, afterSessions: rssAfterSessions },
        share_of_bare: share,
        sessions_share_of_bare: sessionShare,
      },
      `serve-load | ${device} | ${shape} | /recommend ${serveResult.requests_per_s.toFixed(0)} req/s, p50 ${serveResult.p50_ms} ms, p99 ${serveResult.p99_ms} ms, ${serveResult.errors} errors, ${serveResult.non2xx} non-2xx; /session/:id/events (1 event) ${sessions.requests_per_s.toFixed(0)} req/s, p50 ${sessions.p50_ms} ms, p99 ${sessions.p99_ms} ms, ${sessions.errors} errors, ${sessions.non2xx} non-2xx; RSS ${rssBefore.toFixed(0)} → ${rssAfter.toFixed(0)} → ${rssAfterSecond.toFixed(0)} → ${rssAfterSessions.toFixed(0)} MB | bare node:http ${bareResult.requests_per_s.toFixed(0)} req/s, p50 ${bareResult.p50_ms} ms, p99 ${bareResult.p99_ms} ms | /recommend ${(share * 100).toFixed(1)}%, sessions ${(sessionShare * 100).toFixed(1)}% of bare (target ≥ 25%), p99 target ≤ 10 ms | \`${commandLine('serve-load.mjs')}\``,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

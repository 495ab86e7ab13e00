/**
 * `seqrec serve` (lib/serve/server.ts) on loopback, port 0: the routes answer as the library does;
 * malformed JSON, schema violations, unknown items or adapters, k out of range and oversize bodies get
 * a 4xx naming the problem and the server keeps serving; sessions accumulate events; /metrics counts
 * requests; a reload under concurrent load drops no request; close() is idempotent.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SASRec, loadModel, startServer, syntheticDataset, type RunningServer } from '../../lib/index.js';
import { subfolders, tempDir } from '../helpers/temp.js';

const V = 80;
const data = syntheticDataset({ users: 300, items: V, seed: 5, minLength: 6, maxLength: 20 });
const ARCH = { items: V, dim: 16, layers: 1, heads: 2, maxLen: 16, seed: 3, threads: 1 } as const;
const dir = subfolders(tempDir('serve'))();
const [first, second] = [join(dir, 'a.safetensors'), join(dir, 'b.safetensors')];
let server: RunningServer;

const post = async (path: string, body: unknown, raw = false) => {
  const res = await fetch(server.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: raw ? (body as string) : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

beforeAll(async () => {
  for (const [path, seed] of [
    [first, 3],
    [second, 4],
  ] as const) {
    await using model = await SASRec.create({ ...ARCH, seed });
    await model.fit(data, { epochs: 2, batchSize: 64 });
    await model.addAdapter('fans', { r: 2, alpha: 4 });
    mkdirSync(join(dir, `adapters-${seed}`));
    await model.saveAdapter('fans', join(dir, `adapters-${seed}`, 'fans'));
    await model.save(path);
  }
  server = await startServer({ model: first, adapters: join(dir, 'adapters-3'), port: 0 });
}, 60_000);
afterAll(() => server?.close());

describe('seqrec serve', () => {
  it('answers /recommend, /explain and /health as the library does', async () => {
    await using model = await loadModel(first);
    const history = [3, 9, 27, 4];
    const r = await post('/recommend', { history, k: 5, deny: [1] });
    expect(r.status).toBe(200);
    const want = await model.recommend(history, { k: 5, deny: [1] });
    expect((r.body.items as { item: number }[]).map((i) => i.item)).toEqual(want.map((i) => i.item));
    // scores as their shortest float32 decimals (lib/serve/json-scores.ts): read back as float32, the library's exactly
    const scores = (r.body.items as { score: number }[]).map((i) => i.score);
    expect(scores.map((s) => Math.fround(s))).toEqual(want.map((i) => i.score));
    const digits = (s: number) => String(s).replace(/e.*$/, '').replace(/[-.]/g, '').replace(/^0+/, '').length;
    expect(Math.max(...scores.map(digits))).toBeLessThanOrEqual(9);
    const batch = await post('/recommend', { histories: [history, [5, 6]], k: 3 });
    expect((batch.body.lists as unknown[]).length).toBe(2);
    const adapted = await post('/recommend', { history, k: 3, adapter: 'fans' });
    expect(adapted.status).toBe(200);
    const why = await post('/explain', { history, item: want[0]!.item });
    expect((why.body.contributions as unknown[]).length).toBe(history.length);
    const health = (await (await fetch(`${server.url}/health`)).json()) as { status: string; info: { optimizerBytes: number } };
    expect(health.status).toBe('ok');
    expect(health.info.optimizerBytes).toBe(0); // served models hold no optimizer state
  });

  it('answers bad requests with a 4xx naming the problem, and keeps serving', async () => {
    const cases: [unknown, number, string, boolean?][] = [
      ['{"history": [1, 2', 400, 'JSON', true],
      [{ history: [1, 2], k: 0 }, 400, 'k'],
      [{ history: [1, 2], k: V + 1 }, 400, 'options.k'],
      [{ history: [1, V + 5] }, 400, 'history[1]'],
      [{ history: [1, 2], adapter: 'nobody' }, 400, 'nobody'],
      [{ history: [1, 2], surprise: true }, 400, 'surprise'],
      [{ k: 3 }, 400, 'must match exactly one schema'],
      [{ ids: ['movie-1'] }, 400, 'ids[0] = "movie-1"'],
      [{ history: Array.from({ length: 600_000 }, () => 1) }, 413, 'large'],
      // the JSON parser does not scan for these keys (lib/serve/server.ts): the schemas refuse them
      ['{"history": [1], "__proto__": {"polluted": true}}', 400, 'unknown field "__proto__"', true],
      ['{"history": [1], "constructor": {"prototype": {"polluted": true}}}', 400, 'unknown field "constructor"', true],
    ];
    for (const [body, status, words, raw] of cases) {
      const r = await post('/recommend', body, raw);
      expect(r.status, JSON.stringify(body).slice(0, 60)).toBe(status);
      expect(String(r.body.message).toLowerCase()).toContain(words.toLowerCase());
    }
    expect((await post('/recommend', { history: [1, 2] })).status).toBe(200);
    expect((await post('/session/p/events', '{"items": [1], "__proto__": {"k": 1}}', true)).status).toBe(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keeps sessions: events accumulate and the answer follows them', async () => {
    const a = await post('/session/u1/events', { items: [3, 9], k: 4 });
    expect(a.body.events).toBe(2);
    const b = await post('/session/u1/events', { items: [27], k: 4 });
    expect(b.body.events).toBe(3);
    const direct = await post('/recommend', { history: [3, 9, 27], k: 4 });
    expect(b.body.items).toEqual(direct.body.items);
    expect(((await (await fetch(`${server.url}/session/u1`)).json()) as { history: number[] }).history).toEqual([3, 9, 27]);
    expect((await post('/session/u2/events', { items: [0] })).status).toBe(400); // refused, and not kept
    expect((await fetch(`${server.url}/session/u2`)).status).toBe(404);
  });

  it('counts requests in /metrics', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(/seqrec_http_requests_total\{route="\/recommend",status="200"\} \d+/);
    expect(text).toMatch(/seqrec_http_requests_total\{route="\/recommend",status="400"\} \d+/);
    expect(text).toContain('seqrec_http_request_duration_seconds_bucket');
    // each request counted once under its own route and status, the latency histogram beside it
    const scrape = async () => {
      const now = await (await fetch(`${server.url}/metrics`)).text();
      const count = (pattern: RegExp) => Number(pattern.exec(now)?.[1] ?? 0);
      return {
        ok: count(/seqrec_http_requests_total\{route="\/health",status="200"\} (\d+)/),
        bad: count(/seqrec_http_requests_total\{route="\/explain",status="400"\} (\d+)/),
        timed: count(/seqrec_http_request_duration_seconds_count\{route="\/health"\} (\d+)/),
      };
    };
    const before = await scrape();
    for (let i = 0; i < 3; i++) await fetch(`${server.url}/health`);
    await post('/explain', { history: [1], item: 'x' });
    expect(await scrape()).toEqual({ ok: before.ok + 3, bad: before.bad + 1, timed: before.timed + 3 });
  });

  it('reloads a new checkpoint under load without dropping a request', async () => {
    const before = await post('/recommend', { history: [3, 9], k: 5 });
    const load = Array.from({ length: 200 }, (_, i) => post('/recommend', { history: [3, 9, 1 + (i % V)], k: 5 }));
    const reload = post('/reload', { model: second, adapters: join(dir, 'adapters-4') });
    const results = await Promise.all([...load, reload]);
    expect(results.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    const after = await post('/recommend', { history: [3, 9], k: 5 });
    expect(after.body.items).not.toEqual(before.body.items); // the other seed's model answers now
    expect((await post('/reload', { model: join(dir, 'missing.safetensors') })).status).toBeGreaterThanOrEqual(400);
    expect((await post('/recommend', { history: [3, 9], k: 5 })).body.items).toEqual(after.body.items); // a failed reload changes nothing
  });

  it('`seqrec serve` starts on loopback, answers, and stops cleanly on SIGINT', async () => {
    const cli = join(import.meta.dirname, '../../dist/cli.js');
    const child = spawn(process.execPath, [cli, 'serve', '--model', first, '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "serving" line in 30 s: ${stderr}`)), 30_000);
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d;
        const m = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
    expect(((await (await fetch(`${url}/health`)).json()) as { status: string }).status).toBe('ok');
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  }, 60_000);
});

describe('the server session store', () => {
  it('runs the steps of one event-loop turn together, each session in call order, each answer a full recompute', async () => {
    const { SessionStore } = await import('../../lib/serve/session-store.js');
    await using model = await SASRec.create({ ...ARCH, positions: 'start' });
    await model.fit(data, { epochs: 1, batchSize: 64 });
    const store = new SessionStore(100, 100);
    const calls: [string, number[]][] = [
      ['a', [3, 9]],
      ['b', [5]],
      ['a', [27]],
      ['a', [4, 6]],
      ['b', [11]],
    ];
    const answers = await Promise.all(calls.map(([id, events]) => store.events(model, id, events, { k: 4 }))); // all in one turn
    const seen = new Map<string, number[]>();
    for (const [i, [id, events]] of calls.entries()) {
      seen.set(id, [...(seen.get(id) ?? []), ...events]);
      expect(answers[i]!.events).toBe(seen.get(id)!.length);
      const direct = await model.recommend(seen.get(id)!, { k: 4 });
      expect(answers[i]!.items.map((r) => r.item)).toEqual(direct.map((r) => r.item));
      answers[i]!.items.forEach((r, j) => expect(r.score).toBeCloseTo(direct[j]!.score, 5));
    }
    expect(store.history('a', ARCH.maxLen)).toEqual([3, 9, 27, 4, 6]);
    await store.close();
  });

  it('answers a burst larger than one model call takes (16 sessions) in calls of at most 16 (full ones off the JS thread), each answer a full recompute', async () => {
    const { SessionStore } = await import('../../lib/serve/session-store.js');
    await using model = await SASRec.create({ ...ARCH, positions: 'start' });
    await model.fit(data, { epochs: 1, batchSize: 64 });
    const store = new SessionStore(100, 100);
    const calls = Array.from({ length: 40 }, (_, i) => [`s${i % 30}`, [1 + ((i * 7) % V)]] as const); // 30 sessions, 10 with two events
    const sizes: number[] = [];
    const offThread: boolean[] = [];
    const recommendSessions = model.recommendSessions.bind(model);
    model.recommendSessions = (sessions, options) => (
      sizes.push(sessions.length),
      offThread.push(options?.offThread === true),
      recommendSessions(sessions, options)
    );
    const answers = await Promise.all(calls.map(([id, events]) => store.events(model, id, [...events], { k: 4 })));
    expect(Math.max(...sizes)).toBe(16);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(40);
    expect(offThread).toEqual(sizes.map((n) => n === 16));
    const seen = new Map<string, number[]>();
    for (const [i, [id, events]] of calls.entries()) {
      seen.set(id, [...(seen.get(id) ?? []), ...events]);
      const direct = await model.recommend(seen.get(id)!, { k: 4 });
      expect(answers[i]!.items.map((r) => r.item)).toEqual(direct.map((r) => r.item));
      answers[i]!.items.forEach((r, j) => expect(r.score).toBeCloseTo(direct[j]!.score, 5));
    }
    await store.close();
  });

  it('batches requests with different options apart, and refuses a bad event alone, keeping none of it', async () => {
    const { SessionStore } = await import('../../lib/serve/session-store.js');
    await using model = await SASRec.create({ ...ARCH, positions: 'start' });
    const store = new SessionStore(100, 2); // fewer live sessions than a batch holds: the dropped ones rebuild
    const answers = await Promise.allSettled([
      store.events(model, 'a', [3], { k: 2 }),
      store.events(model, 'b', [4], { k: 5 }),
      store.events(model, 'c', [V + 1], { k: 2 }),
      store.events(model, 'd', [5, 6], { k: 5, excludeSeen: false }),
    ]);
    expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    const lists = answers.map((a) => (a.status === 'fulfilled' ? a.value.items : []));
    expect(lists.map((l) => l.length)).toEqual([2, 5, 0, 5]);
    expect(lists[3]!.map((r) => r.item)).toEqual((await model.recommend([5, 6], { k: 5, excludeSeen: false })).map((r) => r.item));
    expect(store.history('c', ARCH.maxLen)).toBeUndefined();
    const again = await store.events(model, 'a', [7], { k: 3 }); // 'a' was dropped from the live set: rebuilt from its events
    expect(again.items.map((r) => r.item)).toEqual((await model.recommend([3, 7], { k: 3 })).map((r) => r.item));
    await store.close();
  });
});

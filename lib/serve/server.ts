/**
 * `seqrec serve`: an HTTP service over one loaded model, on Fastify with JSON-schema-validated
 * routes. Loopback by default.
 *   POST /recommend            { history | ids | histories, k, excludeSeen, allow, deny, adapter, explain }
 *   POST /explain              { history | ids, item }
 *   POST /session/:id/events   { items | ids, k, ... }: append to the user's session, then recommend
 *   GET  /session/:id          the session's events;  DELETE /session/:id  forget it
 *   GET  /health               model facts and uptime;  GET /metrics  Prometheus (prom-client)
 *   POST /reload               { model, adapters }: a new checkpoint swapped in without dropping requests
 * A bad request gets a 4xx naming the field (schema) or the value (seqrec's own checks); nothing a
 * client sends ends the process. Each request holds a lease on the model it started with, so a
 * replaced model is disposed only once its last request has answered.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { isSeqrecError } from '../errors.js';
import type { RecommendOptions } from '../models/inference.js';
import { loadModel } from '../models/sasrec.js';
import type { SequentialRecommender } from '../models/recommender.js';
import { shortestScores } from './json-scores.js';
import { SessionStore } from './session-store.js';

export interface ServeOptions {
  /** (str) checkpoint to serve (loaded with inference: true) */
  model: string;
  /** (str) folder whose sub-folders are PEFT adapters, each loaded under its folder name */
  adapters?: string;
  /** (str) address to listen on. Default '127.0.0.1'. */
  host?: string;
  /** (int) port; 0 picks a free one. Default 8080. */
  port?: number;
  /** (int) largest request body in bytes. Default 1 MiB. */
  bodyLimit?: number;
  /** (int) sessions kept in memory (their last maxLen events), least recently used dropped first. Default 100000. */
  maxSessions?: number;
  /**
   * (int) sessions that also keep the model's keys and values (model.session()), so an event costs one position on
   * a model trained with positions: 'start'; each holds 2 · layers · maxLen · dim · 4 bytes (200 KB at the ML-1M
   * shape). Default 1024.
   */
  liveSessions?: number;
  /** (int) CPU threads of the model. Default: the checkpoint's. */
  threads?: number;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  app: FastifyInstance;
  /** Load `model` (and `adapters`), then serve it; the old model goes once its requests have answered. */
  reload(model: string, adapters?: string): Promise<void>;
  /** Stop accepting, answer what is in flight, free the model. Idempotent. */
  close(): Promise<void>;
}

/** A loaded model and the requests using it. */
class Lease {
  #active = 0;
  #retired = false;
  constructor(
    readonly model: SequentialRecommender,
    readonly path: string,
  ) {}
  async use<T>(run: (model: SequentialRecommender) => Promise<T>): Promise<T> {
    this.#active++;
    try {
      return await run(this.model);
    } finally {
      if (--this.#active === 0 && this.#retired) await this.model.dispose();
    }
  }
  async retire(): Promise<void> {
    this.#retired = true;
    if (this.#active === 0) await this.model.dispose();
  }
}

async function loadServing(path: string, adapters: string | undefined, threads: number | undefined): Promise<Lease> {
  const model = await loadModel(path, { inference: true, ...(threads !== undefined && { threads }) });
  try {
    if (adapters !== undefined) {
      for (const name of readdirSync(adapters)) {
        const dir = join(adapters, name);
        if (statSync(dir).isDirectory()) await model.loadAdapter(dir, { name });
      }
    }
  } catch (e) {
    await model.dispose();
    throw e;
  }
  return new Lease(model, path);
}

const itemArray = { type: 'array', items: { type: 'integer' }, maxItems: 100_000 } as const;
const idArray = { type: 'array', items: { type: 'string' }, maxItems: 100_000 } as const;
const listOptions = {
  k: { type: 'integer', minimum: 1, maximum: 10_000 },
  excludeSeen: { type: 'boolean' },
  allow: itemArray,
  deny: itemArray,
  adapter: { type: ['string', 'null'] },
  explain: { type: 'boolean' },
  scoring: { enum: ['fp32', 'bf16', 'int8'] },
} as const;
const oneHistory = { oneOf: [{ required: ['history'] }, { required: ['ids'] }] } as const;

interface HistoryBody {
  history?: number[];
  ids?: string[];
}
type RecommendBody = HistoryBody & Omit<RecommendOptions, 'allow' | 'deny'> & { histories?: number[][]; allow?: number[]; deny?: number[] };

/** Ajv's findings with the field they are about, e.g. 'body/k must be >= 1', 'body has an unknown field "surprise"'. */
function validationMessage(error: Error & { validation?: unknown; validationContext?: string }): string {
  const found = error.validation as { instancePath: string; message?: string; params: Record<string, unknown> }[];
  return found
    .map((v) => {
      const where = `${error.validationContext ?? 'body'}${v.instancePath}`;
      return v.params.additionalProperty !== undefined
        ? `${where} has an unknown field "${String(v.params.additionalProperty)}"`
        : `${where} ${v.message ?? 'is invalid'}`;
    })
    .join('; ');
}

/** Start serving `options.model`. */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const maxSessions = options.maxSessions ?? 100_000;
  let lease = await loadServing(options.model, options.adapters, options.threads);
  const started = Date.now();
  const sessions = new SessionStore(maxSessions, options.liveSessions ?? 1024);

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'seqrec_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['route', 'status'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'seqrec_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['route'],
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1],
    registers: [registry],
  });

  // Strict schemas: an unknown field or a string where a number belongs is a 400, not dropped or coerced. No schema lets
  // a body hold an object, so a "__proto__" or "constructor" key is such an unknown field: the bodies go through
  // JSON.parse alone, without secure-json-parse's scan of each one for those keys (~2–4 µs a session request).
  const app = Fastify({
    bodyLimit: options.bodyLimit ?? 1 << 20,
    logger: false,
    onProtoPoisoning: 'ignore',
    onConstructorPoisoning: 'ignore',
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
  });
  // A callback hook, not an async one: Fastify then runs it without a Promise and its microtask on every request. Each
  // route's (and status's) labelled children are made once: prom-client checks and hashes the labels on every call.
  const counted = new Map<string, { inc(): void }>();
  const timed = new Map<string, { observe(seconds: number): void }>();
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unknown';
    const key = `${reply.statusCode} ${route}`;
    let count = counted.get(key);
    if (!count) counted.set(key, (count = requests.labels({ route, status: String(reply.statusCode) })));
    let time = timed.get(route);
    if (!time) timed.set(route, (time = latency.labels({ route })));
    count.inc();
    time.observe(reply.elapsedTime / 1000);
    done();
  });
  app.setErrorHandler((error: Error & { validation?: unknown; statusCode?: number; code?: string }, _request, reply) => {
    if (error.validation) return reply.status(400).send({ error: 'E_BAD_REQUEST', message: validationMessage(error) });
    if (isSeqrecError(error)) {
      const status =
        error.code === 'E_INVALID_OPTION' || error.code === 'E_INVALID_DATA' ? 400 : error.code === 'E_DISPOSED' || error.code === 'E_BUSY' ? 503 : 500;
      return reply.status(status).send({ error: error.code, message: error.message });
    }
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    return reply.status(status).send({ error: error.code ?? 'E_INTERNAL', message: error.message });
  });

  /** Dense ids from a body's vocabulary `ids` (through the model's itemIds), else its dense ones. */
  const denseItems = (model: SequentialRecommender, ids: string[] | undefined, dense: number[] | undefined): number[] =>
    ids !== undefined ? Array.from(model.itemsFromIds(ids)) : (dense ?? []);
  const listOptionsOf = (body: RecommendBody): RecommendOptions => {
    const { k, excludeSeen, allow, deny, adapter, explain, scoring } = body;
    const options: RecommendOptions = {}; // (assignments, not spreads: this runs on every request)
    if (scoring !== undefined) options.scoring = scoring;
    if (k !== undefined) options.k = k;
    if (excludeSeen !== undefined) options.excludeSeen = excludeSeen;
    if (allow) options.allow = allow;
    if (deny) options.deny = deny;
    if (adapter !== undefined) options.adapter = adapter;
    if (explain !== undefined) options.explain = explain;
    return options;
  };

  app.post<{ Body: RecommendBody }>(
    '/recommend',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { history: itemArray, ids: idArray, histories: { type: 'array', items: itemArray, maxItems: 1024 }, ...listOptions },
          oneOf: [...oneHistory.oneOf, { required: ['histories'] }],
        },
      },
    },
    async (request) =>
      lease.use(async (model) => {
        const body = request.body;
        if (body.histories) return { lists: shortestScores(await model.recommend(body.histories, listOptionsOf(body))) };
        return { items: shortestScores([await model.recommend(denseItems(model, body.ids, body.history), listOptionsOf(body))])[0] };
      }),
  );

  app.post<{ Body: HistoryBody & { item: number; adapter?: string | null } }>(
    '/explain',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['item'],
          properties: { history: itemArray, ids: idArray, item: { type: 'integer' }, adapter: listOptions.adapter },
          ...oneHistory,
        },
      },
    },
    async (request) =>
      lease.use(async (model) => {
        const { item, adapter } = request.body;
        return {
          contributions: await model.explain(denseItems(model, request.body.ids, request.body.history), item, { ...(adapter !== undefined && { adapter }) }),
        };
      }),
  );

  const sessionParams = { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 256 } } } as const;
  app.post<{ Params: { id: string }; Body: { items?: number[]; ids?: string[] } & RecommendBody }>(
    '/session/:id/events',
    {
      schema: {
        params: sessionParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { items: itemArray, ids: idArray, ...listOptions },
          oneOf: [{ required: ['items'] }, { required: ['ids'] }],
        },
      },
    },
    async (request) =>
      lease.use(async (model) => {
        const { id } = request.params;
        const events = denseItems(model, request.body.ids, request.body.items);
        const { events: kept, items } = await sessions.events(model, id, events, listOptionsOf(request.body));
        return { session: id, events: kept, items };
      }),
  );
  app.get<{ Params: { id: string } }>('/session/:id', { schema: { params: sessionParams } }, async (request, reply) => {
    const history = sessions.history(request.params.id, lease.model.config.maxLen);
    if (!history) return reply.status(404).send({ error: 'E_NOT_FOUND', message: `no session "${request.params.id}"` });
    return { session: request.params.id, history };
  });
  app.delete<{ Params: { id: string } }>('/session/:id', { schema: { params: sessionParams } }, async (request) => ({
    deleted: sessions.delete(request.params.id),
  }));

  app.get('/health', async () =>
    lease.use(async (model) => ({
      status: 'ok',
      model: lease.path,
      architecture: model.config.architecture,
      items: model.config.items,
      info: model.info(),
      sessions: sessions.size,
      uptimeSec: (Date.now() - started) / 1000,
    })),
  );
  app.get('/metrics', async (_request, reply: FastifyReply) => reply.header('content-type', registry.contentType).send(await registry.metrics()));

  let reloading: Promise<void> | undefined;
  const reload = async (model: string, adapters?: string): Promise<void> => {
    while (reloading) await reloading.catch(() => undefined); // one at a time
    reloading = (async () => {
      const next = await loadServing(model, adapters, options.threads);
      const old = lease;
      lease = next;
      await old.retire();
    })();
    try {
      await reloading;
    } finally {
      reloading = undefined;
    }
  };
  app.post<{ Body: { model: string; adapters?: string } }>(
    '/reload',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['model'],
          properties: { model: { type: 'string', minLength: 1 }, adapters: { type: 'string', minLength: 1 } },
        },
      },
    },
    async (request: FastifyRequest<{ Body: { model: string; adapters?: string } }>) => {
      await reload(request.body.model, request.body.adapters);
      return { status: 'reloaded', model: request.body.model };
    },
  );

  const url = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 8080 });
  let closing: Promise<void> | undefined;
  return {
    url,
    app,
    reload,
    close: () =>
      (closing ??= (async () => {
        await app.close(); // stops accepting and waits for the requests in flight
        await reloading?.catch(() => undefined);
        await sessions.close();
        await lease.retire();
      })()),
  };
}

import { rm, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../config/errors.js';
import type { Config } from '../config/schema.js';
import { openAnswer } from './answer-cache.js';
import { ANSWER_LIMITS, type AnswerKind } from './answer-check.js';
import type { AnswerCache, CachedAnswer, IntegrityGate, ModulePrivacy } from './contracts.js';
import { askTargets, type FailoverCounters, type FailoverResult, type Target } from './failover.js';
import { breakerOf, initialHealth, type MirrorHealthState, scoreOf } from './mirror-health.js';
import { type GuardRequest, parseRequestPath, unescapeGoPath } from './request-path.js';
import type { Upstream } from './upstream.js';

export interface GuardDependencies {
  config: Config;
  upstream: Upstream;
  gate: IntegrityGate;
  privacy: ModulePrivacy;
  cache: AnswerCache;
  /** The last probe verdict per mirror name (from the state file), if any. */
  probeVerdicts?: Record<string, string>;
  log(level: 'verbose' | 'warning', message: string): void;
  now?: () => number;
}

export interface RunningGuard {
  /** http://address:port, as go's GOPROXY names it. */
  url: string;
  port: number;
  status(): GuardStatus;
  /** Stops listening, ends open connections and cancels requests to mirrors. */
  close(): Promise<void>;
  /** Resolves when the server has closed (by close() or an error). */
  closed: Promise<void>;
}

export interface GuardStatus {
  url: string;
  uptimeSeconds: number;
  mirrors: { name: string; score: number; breaker: string; latencyMs: number | null; counts: object }[];
  database: { name: string; breaker: string; counts: object };
  counters: Counters;
  cache: ReturnType<AnswerCache['usage']>;
}

interface Counters extends FailoverCounters {
  requests: number;
  cacheHits: number;
  staleServed: number;
  notFound: number;
  failed: number;
  privateRefused: number;
  /** Requests that joined a fetch of the same answer already under way instead of starting one. */
  joined: number;
}

/** What one fetch of a cacheable answer gave: the stored answer, or why there is none. */
type SharedResult =
  | { kind: 'stored'; answer: CachedAnswer; body?: Buffer }
  | Exclude<FailoverResult, { kind: 'answer' }>;

const CANONICAL = /^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+incompatible)?$/;

/**
 * The guard proxy: a GOPROXY on loopback that answers go from the cache or from the best mirror
 * at the moment (askTargets), checks .mod/.zip against the checksum database before go sees
 * them, never sends a private module path upstream, and refuses requests whose Host is not its
 * own address (a web page cannot reach it through DNS rebinding).
 */
export async function startGuardServer(
  deps: GuardDependencies,
  listen: { host: string; port: number },
): Promise<RunningGuard> {
  const { config, upstream, gate, privacy, cache } = deps;
  const now = deps.now ?? Date.now;
  const started = now();
  const counters: Counters = {
    requests: 0,
    hedgesFired: 0,
    failovers: 0,
    tamperedRefused: 0,
    cacheHits: 0,
    staleServed: 0,
    notFound: 0,
    failed: 0,
    privateRefused: 0,
    joined: 0,
  };
  const mirrors = config.mirrors.map((m, rank) => initialHealth(m.name, rank, deps.probeVerdicts?.[m.name]));
  const database = initialHealth(`database ${config.sumdb.name}`, -1);
  const hedgeBounds = { minMs: config.guard.hedgeMinMs, maxMs: config.guard.hedgeMaxMs };
  const inFlight = new Set<AbortController>();
  // Cacheable answers being fetched, by cache key: a burst of requests for one file (go's parallel
  // fetches, or thousands at once) makes one upstream fetch, not one each (and hedges for each).
  const sharedFetches = new Map<string, Promise<SharedResult>>();

  const moduleTargets = (path: string): Target[] =>
    config.mirrors.map((m, i) => ({ health: mirrors[i] as MirrorHealthState, url: `${m.url}${path}` }));
  const databaseTargets = (path: string, mirrorsToo: boolean): Target[] => [
    { health: database, url: `${config.sumdb.url}${path}` },
    ...(mirrorsToo
      ? config.mirrors.map((m, i) => ({
          health: mirrors[i] as MirrorHealthState,
          url: `${m.url}/sumdb/${config.sumdb.name}${path}`,
        }))
      : []),
  ];

  async function answer(request: GuardRequest, head: boolean, response: http.ServerResponse) {
    if (request.kind === 'not-found') return text(response, 404, `not found: ${request.why}\n`);
    if (request.kind === 'status') return json(response, status());
    let kind: AnswerKind;
    let key: string | undefined;
    let immutable: boolean;
    let targets: Target[];
    let verify: ((file: string, signal: AbortSignal) => Promise<'ok' | 'tampered'>) | undefined;
    // The guard itself forwards to the database (or to the mirrors that proxy it), so go may ask it.
    if (request.kind === 'sumdb' && request.databasePath === '/supported') return text(response, 200, '');
    if (request.kind === 'sumdb') {
      const lookup = /^\/lookup\/(.+)@[^@]+$/.exec(request.databasePath)?.[1];
      // A private path goes to the database itself at most (go would send it there), never to a mirror.
      const mirrorsToo = !(lookup && privacy.neverUpstream(unescapeGoPath(lookup) ?? lookup));
      kind = request.databasePath.startsWith('/tile/') ? 'sumdb-tile' : 'sumdb-text';
      immutable = request.immutable;
      key = immutable ? `sumdb/${config.sumdb.name}${request.databasePath}` : undefined;
      targets = databaseTargets(request.databasePath, mirrorsToo);
    } else {
      if (privacy.neverUpstream(request.module)) {
        counters.privateRefused++;
        return text(
          response,
          404,
          `not found: ${request.module} is private (GOPRIVATE/GONOPROXY); the guard never asks a mirror for it\n`,
        );
      }
      kind = request.file;
      immutable = request.version !== undefined && CANONICAL.test(request.version);
      key = `mod${request.upstreamPath}`;
      targets = moduleTargets(request.upstreamPath);
      const { module, version } = request;
      if ((request.file === 'mod' || request.file === 'zip') && version && !privacy.notChecked(module)) {
        const file = request.file;
        verify = async (path, signal) => {
          const result = await gate.check({ module, version, kind: file, file: path }, signal);
          if (result.outcome === 'unchecked')
            deps.log('verbose', `${module}@${version} .${file} served unchecked: ${result.reason}`);
          return result.outcome === 'mismatch' ? 'tampered' : 'ok';
        };
      }
    }
    const cached = key ? await cache.lookup(key) : undefined;
    if (cached && (immutable || now() - cached.storedAt < config.guard.listFreshMs)) {
      counters.cacheHits++;
      return send(response, cached, head);
    }
    const ask = (signal: AbortSignal) =>
      askTargets(
        targets,
        {
          kind,
          maxBytes: ANSWER_LIMITS[kind],
          tempFile: () => cache.tempFile(),
          ...(verify ? { verify } : {}),
        },
        upstream,
        counters,
        hedgeBounds,
        signal,
        now,
      );
    let result: SharedResult;
    if (key) {
      const storeKey = key;
      let shared = sharedFetches.get(storeKey);
      if (shared) counters.joined++;
      else {
        // Not cancelled when this client hangs up (others may be waiting); the deadlines bound it.
        shared = cancellable(async (signal): Promise<SharedResult> => {
          const fetched = await ask(signal);
          if (fetched.kind !== 'answer') return fetched;
          const contentType = fetched.contentType || 'application/octet-stream';
          const answer = await cache.store(storeKey, fetched.file, contentType, now());
          return { kind: 'stored', answer, ...(fetched.body ? { body: fetched.body } : {}) };
        }).finally(() => sharedFetches.delete(storeKey));
        sharedFetches.set(storeKey, shared);
      }
      result = await shared;
    } else {
      const fetched = await cancellable(ask, response);
      if (fetched.kind === 'answer') {
        await sendOnce(response, fetched.file, fetched.contentType || 'application/octet-stream', head);
        return;
      }
      result = fetched;
    }
    if (result.kind === 'stored') return send(response, result.answer, head, result.body);
    if (result.kind === 'not-found') {
      counters.notFound++;
      return text(response, result.status, result.body);
    }
    if (cached) {
      counters.staleServed++;
      deps.log('warning', `every mirror failed; serving a stale ${key} (${result.reasons.join('; ')})`);
      return send(response, cached, head);
    }
    counters.failed++;
    deps.log(
      'warning',
      `${request.kind === 'module' ? request.upstreamPath : request.databasePath}: every mirror failed: ${result.reasons.join('; ')}`,
    );
    return text(response, 502, `goproxy-guard: every mirror failed:\n${result.reasons.join('\n')}\n`);
  }

  /** Runs fn with a signal that fires when the guard closes, or when go hangs up if given its response. */
  async function cancellable<T>(fn: (signal: AbortSignal) => Promise<T>, response?: http.ServerResponse) {
    const controller = new AbortController();
    inFlight.add(controller);
    response?.once('close', () => {
      if (!response.writableFinished) controller.abort();
    });
    try {
      return await fn(controller.signal);
    } finally {
      inFlight.delete(controller);
    }
  }

  function status(): GuardStatus {
    const at = now();
    return {
      url: running.url,
      uptimeSeconds: Math.round((at - started) / 1000),
      mirrors: mirrors.map((m) => ({
        name: m.name,
        score: scoreOf(m),
        breaker: breakerOf(m, at),
        latencyMs: m.latencyEwmaMs === null ? null : Math.round(m.latencyEwmaMs),
        counts: { ...m.counts },
      })),
      database: { name: config.sumdb.name, breaker: breakerOf(database, at), counts: { ...database.counts } },
      counters: { ...counters },
      cache: cache.usage(),
    };
  }

  const allowedHosts = new Set<string>();
  const server = http.createServer((request, response) => {
    counters.requests++;
    const host = (request.headers.host ?? '').toLowerCase();
    if (!allowedHosts.has(host)) {
      return text(response, 403, `goproxy-guard answers only requests for ${[...allowedHosts][0]}\n`);
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      return text(response, 405, 'only GET and HEAD\n');
    }
    const parsed = parseRequestPath(request.url ?? '/', config.sumdb.name);
    answer(parsed, request.method === 'HEAD', response).catch((error: Error) => {
      deps.log('warning', `${request.url}: ${error.stack ?? error.message}`);
      if (!response.headersSent) text(response, 500, `goproxy-guard: internal error: ${error.message}\n`);
      else response.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const where = `${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}`;
      if (error.code === 'EADDRINUSE')
        reject(
          new ConfigError(
            'guard.listen',
            `${where} is already in use (is a guard already running? goproxy-guard serve --listen 127.0.0.1:0 picks a free port)`,
          ),
        );
      else if (error.code === 'EADDRNOTAVAIL')
        reject(new ConfigError('guard.listen', `${where} is not an address of this machine`));
      else reject(error);
    });
    server.listen(listen.port, listen.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shown = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  allowedHosts.add(`${shown}:${port}`);
  if (listen.host === 'localhost' || listen.host.startsWith('127.')) {
    allowedHosts.add(`localhost:${port}`);
    allowedHosts.add(`127.0.0.1:${port}`);
  }
  const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
  const running: RunningGuard = {
    url: `http://${shown}:${port}`,
    port,
    status,
    closed,
    async close() {
      for (const controller of inFlight) controller.abort();
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
  return running;
}

function text(response: http.ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
}

function json(response: http.ServerResponse, body: unknown): void {
  response.writeHead(200, { 'content-type': 'application/json' }).end(`${JSON.stringify(body, null, 2)}\n`);
}

/** Streams an answer from its file; opened first, so an eviction meanwhile cannot cut it short. */
/** Sends an answer: from memory when its whole body is at hand (most lists, .info and .mod), else from its file. */
async function send(
  response: http.ServerResponse,
  answer: CachedAnswer,
  head: boolean,
  body?: Buffer,
): Promise<void> {
  if (body) {
    response.writeHead(200, { 'content-type': answer.contentType, 'content-length': body.length });
    return void response.end(head ? undefined : body);
  }
  const handle = await openAnswer(answer.file);
  response.writeHead(200, { 'content-type': answer.contentType, 'content-length': answer.size });
  if (head) {
    await handle.close();
    return void response.end();
  }
  const stream = handle.createReadStream();
  stream.pipe(response);
  await new Promise<void>((resolve) => {
    stream.once('close', resolve);
    response.once('close', () => {
      stream.destroy();
      resolve();
    });
  });
}

/** Serves an answer that is not kept (the database's latest tree head), then removes it. */
async function sendOnce(response: http.ServerResponse, file: string, contentType: string, head: boolean) {
  const { size } = await stat(file);
  try {
    await send(response, { file, size, contentType, storedAt: 0 }, head);
  } finally {
    await rm(file, { force: true });
  }
}

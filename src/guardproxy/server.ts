import { rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../config/errors.js';
import type { Config } from '../config/schema.js';
import { openAnswer } from './answer-cache.js';
import { ANSWER_LIMITS, type AnswerKind } from './answer-check.js';
import type { AnswerCache, CachedAnswer, CheckedFile, IntegrityGate, ModulePrivacy } from './contracts.js';
import {
  askTargets,
  type FailoverCounters,
  type FailoverRequest,
  type FailoverResult,
  type Target,
} from './failover.js';
import { breakerOf, initialHealth, type MirrorHealthState, scoreOf } from './mirror-health.js';
import { type GuardRequest, parseRequestPath, unescapeGoPath } from './request-path.js';
import type { Upstream } from './upstream.js';
import { createWriteBehind } from './write-behind.js';

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
  /** Connections from go at once (MAX_GO_CONNECTIONS unless given). */
  maxConnections?: number;
  /** Quiet time before answers held in memory are written (WRITE_WHEN_QUIET_MS unless given). */
  writeWhenQuietMs?: number;
}

export interface RunningGuard {
  /** http://address:port, as go's GOPROXY names it. */
  url: string;
  port: number;
  status(): GuardStatus;
  /** Stops listening, ends open connections and cancels requests to mirrors. */
  close(): Promise<void>;
  /** Resolves when the server has closed (by close() or an error) and what it held is written. */
  closed: Promise<void>;
}

export interface GuardStatus {
  url: string;
  uptimeSeconds: number;
  mirrors: { name: string; score: number; breaker: string; latencyMs: number | null; counts: object }[];
  database: { name: string; breaker: string; counts: object };
  counters: Counters;
  cache: ReturnType<AnswerCache['usage']> & {
    heldInMemory: { answers: number; bytes: number; notKept: number };
  };
  /** The guard's own memory, MB: resident, and the V8 heap and memory outside it (buffers). */
  memory: { rssMb: number; heapUsedMb: number; heapTotalMb: number; externalMb: number };
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
  /** go.mod files fetched as their .info was asked for, before go asked for them. */
  prefetched: number;
}

/**
 * What one fetch of a cacheable answer gave: the answer (its whole body when small, and its store
 * in the cache under way), or why there is none.
 */
type SharedResult =
  | { kind: 'fetched'; contentType: string; body: Buffer }
  | { kind: 'fetched'; contentType: string; stored: Promise<CachedAnswer | undefined> }
  | Exclude<FailoverResult, { kind: 'answer' }>;

/** One fetch of a cacheable answer, shared by every request for it while it runs. */
interface SharedFetch {
  result: Promise<SharedResult>;
  /** Requests waiting for it: when the last one hangs up, the fetch is cancelled. */
  waiting: number;
  controller: AbortController;
}

/**
 * Connections go may hold open to the guard at once; more are refused at once (go then moves on
 * through "|"). go opens a few per download; thousands would only be something gone wrong.
 */
export const MAX_GO_CONNECTIONS = 256;

/**
 * When small answers held in memory are written to the cache: after go has been quiet this long,
 * or once held this long under constant load, or at once beyond this many bytes.
 */
const WRITE_WHEN_QUIET_MS = 100;
const WRITE_AT_THE_LATEST_MS = 2_000;
const MAX_HELD_BYTES = 4 << 20;
/** Beyond this much held (the disk behind a burst of thousands), answers are served but not kept. */
const HARD_MAX_HELD_BYTES = 16 << 20;

type ModuleRequest = Extract<GuardRequest, { kind: 'module' }>;

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
    prefetched: 0,
  };
  const mirrors = config.mirrors.map((m, rank) => initialHealth(m.name, rank, deps.probeVerdicts?.[m.name]));
  const database = initialHealth(`database ${config.sumdb.name}`, -1);
  const hedgeBounds = { minMs: config.guard.hedgeMinMs, maxMs: config.guard.hedgeMaxMs };
  const inFlight = new Set<AbortController>();
  // Cacheable answers being fetched, by cache key: a burst of requests for one file (go's parallel
  // fetches, or thousands at once) makes one upstream fetch, not one each (and hedges for each).
  const sharedFetches = new Map<string, SharedFetch>();
  // Answers on disk being placed in the cache after go got them: a request meanwhile waits for the
  // store (a rename) instead of missing the cache and asking a mirror again.
  const storing = new Map<string, Promise<CachedAnswer | undefined>>();
  // Answers whole in memory wait there for a quiet moment before they are written (and are served
  // from memory meanwhile): disk work between go's requests would slow the next one.
  const heldAnswers = createWriteBehind({
    async write(key, held) {
      try {
        await cache.storeBody(key, cache.tempFile(), held.body, held.contentType, held.storedAt);
      } catch (error) {
        deps.log('warning', `${key}: not kept in the cache: ${(error as Error).message}`);
      }
    },
    quietMs: deps.writeWhenQuietMs ?? WRITE_WHEN_QUIET_MS,
    maxHoldMs: WRITE_AT_THE_LATEST_MS,
    maxBytes: MAX_HELD_BYTES,
    hardMaxBytes: HARD_MAX_HELD_BYTES,
    now,
  });

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

  /** How one request is answered: what it is, its cache key (if kept), where it may go, how it is checked. */
  interface RequestPlan {
    kind: AnswerKind;
    key: string | undefined;
    immutable: boolean;
    targets: Target[];
    verify: FailoverRequest['verify'];
  }

  function databasePlan(request: Extract<GuardRequest, { kind: 'sumdb' }>): RequestPlan {
    const lookup = /^\/lookup\/(.+)@[^@]+$/.exec(request.databasePath)?.[1];
    // A private path goes to the database itself at most (go would send it there), never to a mirror.
    const mirrorsToo = !(lookup && privacy.neverUpstream(unescapeGoPath(lookup) ?? lookup));
    const immutable = request.immutable;
    return {
      kind: request.databasePath.startsWith('/tile/') ? 'sumdb-tile' : 'sumdb-text',
      immutable,
      key: immutable ? `sumdb/${config.sumdb.name}${request.databasePath}` : undefined,
      targets: databaseTargets(request.databasePath, mirrorsToo),
      verify: undefined,
    };
  }

  /** The plan for a module request whose path may go to mirrors (privacy.neverUpstream checked first). */
  function modulePlan(request: ModuleRequest): RequestPlan {
    const { module, version, file } = request;
    let verify: FailoverRequest['verify'];
    if ((file === 'mod' || file === 'zip') && version && !privacy.notChecked(module)) {
      verify = async (source, signal) => {
        const checked: CheckedFile =
          'file' in source
            ? { module, version, kind: file, file: source.file }
            : { module, version, kind: 'mod', body: source.body };
        const result = await gate.check(checked, signal);
        if (result.outcome === 'unchecked')
          deps.log('verbose', `${module}@${version} .${file} served unchecked: ${result.reason}`);
        return result.outcome === 'mismatch' ? 'tampered' : 'ok';
      };
    }
    return {
      kind: file,
      immutable: version !== undefined && CANONICAL.test(version),
      key: `mod${request.upstreamPath}`,
      targets: moduleTargets(request.upstreamPath),
      verify,
    };
  }

  /** Asks the plan's targets, best first, with failover and hedging (askTargets). */
  const askerFor =
    ({ kind, targets, verify }: RequestPlan) =>
    (signal: AbortSignal, method: 'GET' | 'HEAD' = 'GET') =>
      askTargets(
        targets,
        {
          kind,
          method,
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

  async function answer(request: GuardRequest, head: boolean, response: http.ServerResponse) {
    if (request.kind === 'not-found') return text(response, 404, `not found: ${request.why}\n`);
    if (request.kind === 'status') return json(response, status());
    // The guard itself forwards to the database (or to the mirrors that proxy it), so go may ask it.
    if (request.kind === 'sumdb' && request.databasePath === '/supported') return text(response, 200, '');
    if (request.kind === 'module' && privacy.neverUpstream(request.module)) {
      counters.privateRefused++;
      return text(
        response,
        404,
        `not found: ${request.module} is private (GOPRIVATE/GONOPROXY); the guard never asks a mirror for it\n`,
      );
    }
    const plan = request.kind === 'sumdb' ? databasePlan(request) : modulePlan(request);
    const { key, immutable } = plan;
    if (request.kind === 'module' && !head) prefetchMod(request, response);
    // The index says whether a usable answer is held; the disk is asked only then (a list past
    // its freshness goes to the mirrors, and is read from disk only if every mirror fails).
    const usable = (storedAt: number) => immutable || now() - storedAt < config.guard.listFreshMs;
    const held = key ? heldAnswers.get(key) : undefined;
    if (held && usable(held.storedAt)) {
      counters.cacheHits++;
      return sendBody(response, held.contentType, held.body, head);
    }
    const known = key ? ((await storing.get(key)) ?? cache.peek(key)) : undefined;
    const fresh = key && known && usable(known.storedAt) ? await cache.lookup(key) : undefined;
    if (fresh && usable(fresh.storedAt)) {
      counters.cacheHits++;
      return send(response, fresh, head);
    }
    const staleCopy = async () => (key && known ? await cache.lookup(key) : undefined);
    const ask = askerFor(plan);
    let result: SharedResult;
    if (head) {
      // go asks only for the headers: so are the mirrors, and no body is fetched (nor kept).
      const fetched = await cancellable((signal) => ask(signal, 'HEAD'), response);
      if (fetched.kind === 'answer') {
        const length = fetched.size > 0 ? { 'content-length': fetched.size } : {};
        response.writeHead(200, {
          'content-type': fetched.contentType || 'application/octet-stream',
          ...length,
        });
        return void response.end();
      }
      result = fetched;
    } else if (key) {
      result = await joinFetch(key, ask, response);
    } else {
      const fetched = await cancellable(ask, response);
      if (fetched.kind === 'answer') {
        await sendOnce(response, fetched, head);
        return;
      }
      result = fetched;
    }
    if (result.kind === 'fetched') {
      const contentType = result.contentType;
      if ('body' in result) return sendBody(response, contentType, result.body, head);
      const stored = await result.stored;
      if (stored) return send(response, stored, head);
      return text(
        response,
        500,
        'goproxy-guard: internal error: the answer could not be kept in its cache\n',
      );
    }
    if (result.kind === 'not-found') {
      counters.notFound++;
      return text(response, result.status, result.body);
    }
    if (held) {
      counters.staleServed++;
      deps.log('warning', `every mirror failed; serving a stale ${key} (${result.reasons.join('; ')})`);
      return sendBody(response, held.contentType, held.body, head);
    }
    const cached = await staleCopy();
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

  /**
   * The answer for a cacheable key, from the fetch of it already under way or from a new one. A
   * burst of requests for one file makes one upstream fetch; it is cancelled when every request
   * waiting for it has hung up (else the deadlines bound it). The answer is kept in the cache
   * after it is handed over: go does not wait for the disk.
   */
  async function joinFetch(
    key: string,
    ask: (signal: AbortSignal) => Promise<FailoverResult>,
    response: http.ServerResponse,
  ): Promise<SharedResult> {
    if (sharedFetches.has(key)) counters.joined++;
    const fetch = sharedFetchOf(key, ask);
    fetch.waiting++;
    let waiting = true;
    const hungUp = () => {
      if (!waiting || response.writableFinished) return;
      waiting = false;
      if (--fetch.waiting > 0) return;
      // Nobody wants it any more: a request arriving now starts afresh instead of joining a cancelled one.
      if (sharedFetches.get(key) === fetch) sharedFetches.delete(key);
      fetch.controller.abort();
    };
    response.once('close', hungUp);
    try {
      return await fetch.result;
    } finally {
      response.off('close', hungUp);
      if (waiting) {
        waiting = false;
        fetch.waiting--;
      }
    }
  }

  /** The fetch of a cacheable answer under way, or a new one (bounded by the deadlines, cancelled by close). */
  function sharedFetchOf(key: string, ask: (signal: AbortSignal) => Promise<FailoverResult>): SharedFetch {
    let shared = sharedFetches.get(key);
    if (!shared) {
      const controller = new AbortController();
      inFlight.add(controller);
      const result = (async (): Promise<SharedResult> => {
        const fetched = await ask(controller.signal);
        if (fetched.kind !== 'answer') return fetched;
        const contentType = fetched.contentType || 'application/octet-stream';
        if (fetched.body && !fetched.onDisk) {
          heldAnswers.hold(key, { body: fetched.body, contentType, storedAt: now() });
          return { kind: 'fetched', contentType, body: fetched.body };
        }
        const stored = storeLater(key, fetched, contentType).finally(() => {
          if (storing.get(key) === stored) storing.delete(key);
        });
        storing.set(key, stored);
        return fetched.body
          ? { kind: 'fetched', contentType, body: fetched.body }
          : { kind: 'fetched', contentType, stored };
      })().finally(() => {
        inFlight.delete(controller);
        if (sharedFetches.get(key) === started) sharedFetches.delete(key);
      });
      const started: SharedFetch = { result, waiting: 0, controller };
      shared = started;
      sharedFetches.set(key, started);
    }
    return shared;
  }

  /**
   * go asks for a version's go.mod right after its .info (go mod download, go get, building the
   * module graph): fetching it right behind the .info makes go's next request an answer from
   * memory instead of a second trip to the mirror. Only a canonical version's go.mod, small and
   * immutable, checked against the database like any other, and only when not already held.
   * When go does not ask for it after all, one small request was spent; when go hangs up on the
   * .info before its answer, the go.mod is cancelled too unless go's own request for it waits.
   */
  function prefetchMod(request: ModuleRequest, response: http.ServerResponse) {
    if (request.file !== 'info' || !request.version || !CANONICAL.test(request.version)) return;
    const modRequest: ModuleRequest = {
      ...request,
      file: 'mod',
      upstreamPath: `${request.upstreamPath.slice(0, -'.info'.length)}.mod`,
    };
    const plan = modulePlan(modRequest);
    const key = plan.key as string;
    if (heldAnswers.get(key) || cache.peek(key) || storing.has(key) || sharedFetches.has(key)) return;
    counters.prefetched++;
    // Its outcome is read by go's own request for it (which joins it), or by nobody. It asks the
    // mirrors on the loop's next turn: the .info go asked for goes first in each mirror's queue.
    const ask = askerFor(plan);
    const fetch = sharedFetchOf(key, (signal) =>
      new Promise((next) => setImmediate(next)).then(() => ask(signal)),
    );
    fetch.result.catch(() => {});
    response.once('close', () => {
      if (response.writableFinished || fetch.waiting > 0) return;
      if (sharedFetches.get(key) === fetch) sharedFetches.delete(key);
      fetch.controller.abort();
    });
  }

  /** Places an answer already on disk in the cache, in the background; undefined (and logged) when the disk fails. */
  async function storeLater(
    key: string,
    fetched: Extract<FailoverResult, { kind: 'answer' }>,
    contentType: string,
  ): Promise<CachedAnswer | undefined> {
    try {
      return await cache.store(key, fetched.file, contentType, now());
    } catch (error) {
      await rm(fetched.file, { force: true });
      deps.log('warning', `${key}: not kept in the cache: ${(error as Error).message}`);
      return undefined;
    }
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
      cache: { ...cache.usage(), heldInMemory: heldAnswers.usage() },
      memory: memoryMb(),
    };
  }

  const allowedHosts = new Set<string>();
  const server = http.createServer((request, response) => {
    counters.requests++;
    heldAnswers.requestArrived();
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
  server.maxConnections = deps.maxConnections ?? MAX_GO_CONNECTIONS;
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
  // Answers still held in memory are written before the guard counts as closed (a few MB at
  // most), so the next start has them in its cache.
  const closed = new Promise<void>((resolve) => server.once('close', () => resolve())).then(() =>
    heldAnswers.flush(),
  );
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

/** Sends an answer whose whole body is in memory (most lists, .info and .mod). */
function sendBody(response: http.ServerResponse, contentType: string, body: Buffer, head: boolean): void {
  response.writeHead(200, { 'content-type': contentType, 'content-length': body.length });
  response.end(head ? undefined : body);
}

/** Streams an answer from its file; opened first, so an eviction meanwhile cannot cut it short. */
async function send(response: http.ServerResponse, answer: CachedAnswer, head: boolean): Promise<void> {
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

/** Serves an answer that is not kept (the database's latest tree head), then removes its file. */
async function sendOnce(
  response: http.ServerResponse,
  fetched: Extract<FailoverResult, { kind: 'answer' }>,
  head: boolean,
) {
  const contentType = fetched.contentType || 'application/octet-stream';
  try {
    if (fetched.body) sendBody(response, contentType, fetched.body, head);
    else await send(response, { file: fetched.file, size: fetched.size, contentType, storedAt: 0 }, head);
  } finally {
    await rm(fetched.file, { force: true });
  }
}

function memoryMb(): GuardStatus['memory'] {
  const usage = process.memoryUsage();
  const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
  return {
    rssMb: mb(usage.rss),
    heapUsedMb: mb(usage.heapUsed),
    heapTotalMb: mb(usage.heapTotal),
    externalMb: mb(usage.external),
  };
}

import { createWriteStream } from 'node:fs';
import type { Socket } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { type ConnectOptions, openConnection, proxyAuthorization } from './connect.js';
import type { ProbeContext } from './context.js';
import { deadlineReached, whenAborted } from './deadline.js';
import { observeDns } from './dns.js';
import { assessDns } from './dns-verdict.js';
import { downloadToFile } from './download.js';
import { PhaseError } from './phase-error.js';
import { proxyFor } from './route.js';
import type { Exchange, MirrorObservation, Phase } from './types.js';
import { Client } from './undici.js';

const MAX_REDIRECTS = 5;
const USER_AGENT = 'goproxy-guard (+health probe)';

/**
 * Fetches URLs for one mirror probe the way a careful client would: each host is resolved and
 * judged (assessDns), the connection is pinned to the resolved address with SNI and Host kept,
 * TLS is verified, connections are reused, and redirects are followed with a limit, each new
 * host checked the same way. Timings of the mirror's own host go into observation.phases.
 */
export function createFetcher(context: ProbeContext, observation: MirrorObservation) {
  const clients = new Map<string, Promise<Client>>();
  const timed = async <T>(phase: Phase, record: boolean, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work();
    } finally {
      if (record) observation.phases[phase] = Math.round(performance.now() - started);
    }
  };

  /**
   * Where and how to connect for an origin: the proxy's address, or the mirror's own, resolved
   * and judged once per origin (a download opens its own connection to the same place).
   */
  const targets = new Map<string, Promise<{ options: ConnectOptions; first: boolean }>>();
  function targetFor(url: URL) {
    let target = targets.get(url.origin);
    if (!target) {
      const first = targets.size === 0; // this origin is the mirror's own when it is the first one
      target = Promise.resolve()
        .then(() => connectOptions(url, first))
        .then((options) => ({ options, first }));
      targets.set(url.origin, target);
    }
    return target;
  }

  async function connectOptions(url: URL, first: boolean): Promise<ConnectOptions> {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const secure = url.protocol === 'https:';
    const port = Number(url.port) || (secure ? 443 : 80);
    const common = {
      host,
      secure,
      secureContext: context.secureContext,
      extraCaFingerprints: context.extraCaFingerprints,
      signal: context.signal,
    };
    const proxy = proxyFor(context.route, url);
    if (proxy) {
      // As go does: the proxy resolves the name, so this machine's DNS is not asked (or judged).
      // https goes through a CONNECT tunnel; plain http is sent to the proxy in absolute form.
      if (first) observation.via = `${proxy.protocol}//${proxy.host}`;
      return {
        ...common,
        address: proxy.hostname.replace(/^\[|\]$/g, ''),
        port: Number(proxy.port) || 80,
        ...(secure ? { tunnel: { proxy, targetPort: port } } : {}),
      };
    }
    const dns = await timed('dns', first, () => observeDns(host, context));
    const assessment = assessDns(dns, context.deadlineMs);
    observation.dns.push({ host, assessment });
    if (assessment.verdict || !('addresses' in dns.system)) {
      throw new PhaseError(
        'dns',
        'DNS_VERDICT',
        assessment.verdict ?? 'dns',
        assessment.verdict === 'timeout',
        host,
      );
    }
    const address = dns.system.addresses[0] as string;
    if (first) observation.address = address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
    return { ...common, address, port };
  }

  async function connectTo(url: URL): Promise<Client> {
    const { options, first } = await targetFor(url);
    return openClient(url, first, options);
  }

  /** Opens and checks the first connection, then hands it to an undici Client for the origin. */
  async function openClient(url: URL, first: boolean, options: ConnectOptions): Promise<Client> {
    const opened = await openConnection(options).catch((error: PhaseError) => {
      if (first && error.tls) observation.tls = error.tls;
      throw error;
    });
    if (first) {
      observation.phases.connect = Math.round(opened.connectMs);
      if (opened.tlsMs !== undefined) observation.phases.tls = Math.round(opened.tlsMs);
      if (opened.tls) observation.tls = opened.tls;
    }
    let spare: Socket | undefined = opened.socket;
    return new Client(url.origin, {
      pipelining: 1,
      // The first connection is the one just checked; later ones (after a close) are pinned the
      // same way. undici must get the socket asynchronously: a synchronous callback stalls it.
      connect: (_opts, callback) => {
        const ready = spare;
        spare = undefined;
        if (ready) return void setImmediate(() => callback(null, ready));
        openConnection(options).then(
          (again) => callback(null, again.socket),
          (error) => callback(error, null),
        );
      },
    });
  }

  function clientFor(url: URL): Promise<Client> {
    let client = clients.get(url.origin);
    if (!client) {
      client = Promise.resolve().then(() => connectTo(url));
      clients.set(url.origin, client);
    }
    return client;
  }

  async function exchangeOnce(url: URL, step: Exchange['step'], read: BodyReader, record: boolean) {
    const client = await clientFor(url);
    // Plain http through a proxy is sent to it in absolute form (https went through a tunnel).
    const proxy = url.protocol === 'http:' ? proxyFor(context.route, url) : undefined;
    const auth = proxy && proxyAuthorization(proxy);
    const { signal } = context;
    const started = performance.now();
    const response = await Promise.race([
      client.request({
        path: proxy ? url.href : `${url.pathname}${url.search}`,
        method: 'GET',
        signal,
        headers: { 'user-agent': USER_AGENT, ...(auth ? { 'proxy-authorization': auth } : {}) },
      }),
      whenAborted(signal, 'ttfb', url.hostname),
    ]).catch((error: Error) => {
      throw asPhaseError('ttfb', error, signal, url.hostname);
    });
    if (record) observation.phases.ttfb = Math.round(performance.now() - started);
    if (proxy && response.statusCode === 407) {
      // The proxy's answer, not the mirror's: judged as a refused tunnel is.
      response.body.resume();
      throw new PhaseError(
        'connect',
        'PROXY_407',
        `the proxy ${proxy.host} answered GET ${url.href} with 407`,
        false,
        url.hostname,
      );
    }
    const bodyStarted = performance.now();
    let body: Awaited<ReturnType<BodyReader>>;
    try {
      body = await read(response.body as AsyncIterable<Buffer>);
    } catch (error) {
      throw asPhaseError('transfer', error as Error, signal, url.hostname);
    }
    if (record) observation.phases.transfer = Math.round(performance.now() - bodyStarted);
    const header = (name: string) => {
      const value = response.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const location = header('location');
    const { bytes, truncated } = body;
    const exchange: Exchange = {
      step,
      url: url.href,
      status: response.statusCode,
      contentType: header('content-type') ?? '',
      body: bytes.toString('utf8'),
      bytes,
      truncated,
      redirects: [],
      ...(location ? { location } : {}),
      ...(body.saved !== undefined ? { saved: body.saved } : {}),
    };
    return exchange;
  }

  /** One GET straight into a file on a connection of its own (no proxy between). */
  async function downloadOnce(url: URL, step: Exchange['step'], file: string, maxBytes: number) {
    const { options } = await targetFor(url);
    const { head, saved, truncated } = await downloadToFile(
      url,
      options,
      { userAgent: USER_AGENT },
      file,
      maxBytes,
    ).catch((error: Error) => {
      throw asPhaseError('transfer', error, context.signal, url.hostname);
    });
    const location = head.headers.location;
    const exchange: Exchange = {
      step,
      url: url.href,
      status: head.status,
      contentType: head.headers['content-type'] ?? '',
      body: '',
      bytes: Buffer.alloc(0),
      truncated,
      redirects: [],
      saved,
      ...(location ? { location } : {}),
    };
    return exchange;
  }

  /** GETs a URL, following redirects; the returned exchange is the last one. */
  async function follow(
    target: string,
    step: Exchange['step'],
    once: (url: URL, record: boolean) => Promise<Exchange>,
  ): Promise<Exchange> {
    let url = new URL(target);
    const redirects: string[] = [];
    for (;;) {
      const record = step === 'list' && redirects.length === 0;
      const exchange = await once(url, record);
      const location = exchange.location;
      if (exchange.status < 300 || exchange.status >= 400 || !location) {
        exchange.redirects = redirects;
        observation.exchanges.push(exchange);
        return exchange;
      }
      const next = redirectTarget(location, url);
      const hop = `${url.href} -> ${next.href}`;
      if (url.protocol === 'https:' && next.protocol !== 'https:') {
        throw new PhaseError(
          'ttfb',
          'REDIRECT_DOWNGRADE',
          `redirect from https to ${next.protocol}// refused: ${hop}`,
          false,
          url.hostname,
        );
      }
      if (next.href === url.href || redirects.includes(next.href) || next.href === target) {
        throw new PhaseError(
          'ttfb',
          'REDIRECT_LOOP',
          `redirect loop: ${[target, ...redirects, next.href].join(' -> ')}`,
          false,
          url.hostname,
        );
      }
      if (redirects.length >= MAX_REDIRECTS) {
        throw new PhaseError(
          'ttfb',
          'TOO_MANY_REDIRECTS',
          `more than ${MAX_REDIRECTS} redirects from ${target}`,
          false,
          url.hostname,
        );
      }
      redirects.push(next.href);
      url = next;
    }
  }

  return {
    /** GETs a URL, following redirects, its body kept in memory up to maxBytes. */
    get: (target: string, step: Exchange['step'], maxBytes: number): Promise<Exchange> =>
      follow(target, step, (url, record) =>
        exchangeOnce(url, step, (body) => collectBody(body, maxBytes), record),
      ),
    /**
     * GETs a URL, following redirects, and streams its body into `file` (at most maxBytes; more
     * is cut off and marked truncated): a module zip of hundreds of MB never sits in memory.
     * The returned exchange holds no bytes; `saved` says how many went to the file.
     */
    download: (target: string, step: Exchange['step'], file: string, maxBytes: number): Promise<Exchange> =>
      follow(target, step, (url, record) =>
        // Through a proxy undici carries it; otherwise a connection of its own reads it into one
        // reused buffer (download.ts): the memory of four 200 MB downloads at once stays fixed.
        proxyFor(context.route, url)
          ? exchangeOnce(url, step, (body) => saveBody(body, file, maxBytes), record)
          : downloadOnce(url, step, file, maxBytes),
      ),
    close(): void {
      for (const client of clients.values())
        client.then(
          (c) => c.destroy().catch(() => {}),
          () => {},
        );
    },
  };
}

export type Fetcher = ReturnType<typeof createFetcher>;

/** Reads a response body; what it keeps in memory is what the exchange holds. */
type BodyReader = (
  body: AsyncIterable<Buffer>,
) => Promise<{ bytes: Buffer; truncated: boolean; saved?: number }>;

/** Keeps at most maxBytes of a body; leaving the loop early destroys the rest of the stream. */
async function collectBody(body: AsyncIterable<Buffer>, maxBytes: number) {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const room = maxBytes - size;
    if (chunk.length > room) {
      chunks.push(chunk.subarray(0, room));
      return { bytes: Buffer.concat(chunks), truncated: true };
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  return { bytes: Buffer.concat(chunks), truncated: false };
}

/** Streams a body into a file, at most maxBytes of it; memory holds a chunk or two at a time. */
async function saveBody(body: AsyncIterable<Buffer>, file: string, maxBytes: number) {
  let saved = 0;
  let truncated = false;
  await pipeline(
    body,
    async function* limit(source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        if (chunk.length > maxBytes - saved) {
          truncated = true;
          return; // ends the file here and destroys the rest of the response
        }
        saved += chunk.length;
        yield chunk;
      }
    },
    createWriteStream(file),
  );
  return { bytes: Buffer.alloc(0), truncated, saved };
}

/**
 * Where a redirect leads, refused unless it is http(s): a `file:`, `javascript:` or `data:` URL
 * has no host, and connecting anyway would reach this machine's own port 80 (or whatever host
 * and port an `ftp:` URL names). Refused before any connection, as go refuses it.
 */
function redirectTarget(location: string, from: URL): URL {
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    throw new PhaseError(
      'ttfb',
      'REDIRECT_REFUSED',
      `redirect to an invalid URL refused: ${from.href} -> ${JSON.stringify(location.slice(0, 100))}`,
      false,
      from.hostname,
    );
  }
  if (next.protocol === 'http:' || next.protocol === 'https:') return next;
  const shown = next.href.length > 100 ? `${next.href.slice(0, 100)}...` : next.href;
  throw new PhaseError(
    'ttfb',
    'REDIRECT_REFUSED',
    `redirect to a ${next.protocol} URL refused: ${from.href} -> ${shown}`,
    false,
    from.hostname,
  );
}

function asPhaseError(
  phase: 'ttfb' | 'transfer',
  error: Error,
  signal: AbortSignal,
  host: string,
): PhaseError {
  if (error instanceof PhaseError) return error; // a failed (re)connection keeps its own phase
  if (signal.aborted) return deadlineReached(phase, host);
  const code = (error as NodeJS.ErrnoException).code ?? error.name;
  return new PhaseError(phase, code, error.message, false, host);
}

import { rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { createSecureContext, rootCertificates } from 'node:tls';
import type { Config } from '../config/schema.js';
import { openConnection, PhaseError, proxyAuthorization } from '../probe/connect.js';
import type { ProbeContext } from '../probe/context.js';
import { observeDns } from '../probe/dns.js';
import { assessDns } from '../probe/dns-verdict.js';
import { createDohClient } from '../probe/doh.js';
import { type ProxyRoute, proxyFor } from '../probe/route.js';
import { Agent } from '../probe/undici.js';
import { receiveBody } from './body-sink.js';

/** A mirror's answer, its body already on disk (never held in memory). */
export interface UpstreamAnswer {
  status: number;
  contentType: string;
  /**
   * The temp file holding the body when it is larger than KEEP_BYTES (onDisk); a smaller body is
   * all in `head` and no file is made. The caller owns the file and must remove or store it.
   */
  file: string;
  onDisk: boolean;
  /** The body's size; for HEAD, the size the mirror declared (0 when it did not). */
  size: number;
  /** The body's first KEEP_BYTES (all of it when size is not larger). */
  head: Buffer;
  /** Milliseconds from the request to the answer's headers (redirects included). */
  firstByteMs: number;
}

/** Why a fetch failed, in the words the health rules use. */
export class UpstreamError extends Error {
  constructor(
    /** 'local': the guard's own disk failed (full, read-only), which says nothing about the mirror. */
    readonly outcome: 'error' | 'timeout' | 'stall' | 'invalid' | 'local',
    message: string,
  ) {
    super(message);
  }
}

const MAX_REDIRECTS = 5;
/** Bytes of each body also kept in memory: a list, .info or usual go.mod whole, a zip's signature. */
export const KEEP_BYTES = 64 * 1024;
const USER_AGENT = 'goproxy-guard (+guard proxy)';
/**
 * The least a body must move in each guard.stallMs: undici's bodyTimeout only sees a body that
 * stops, and a mirror dripping a byte a second would otherwise hold go for as long as it likes.
 */
export const MIN_FLOW_BYTES = 1024;
/** Errors of writing the body to disk: the guard's own trouble, not the mirror's. */
const LOCAL_WRITE_ERRORS = new Set([
  'ENOSPC',
  'EDQUOT',
  'EROFS',
  'EACCES',
  'EPERM',
  'EMFILE',
  'ENFILE',
  'EIO',
]);
/** How long a verified DNS answer is reused: long enough to matter, short enough to follow moves. */
const DNS_REUSE_MS = 60_000;

/**
 * The guard's one HTTP client, built from the probes' parts so a mirror is reached exactly as a
 * probe reaches it: names resolved and judged (assessDns) with the trusted resolvers, where a
 * hijacked system answer is replaced by the trusted one for https (TLS then proves the name);
 * TLS verified against the same roots; the corporate proxy go would use (HTTPS_PROXY/NO_PROXY)
 * taken as go takes it. One undici Agent keeps connections alive, at most
 * guard.perMirrorConcurrency per origin.
 */
export function createUpstream(options: {
  config: Config;
  extraCas: string[];
  route?: ProxyRoute;
  /** The trust store and DoH pool to use (shared with the integrity gate); made here if absent. */
  shared?: Pick<ProbeContext, 'secureContext' | 'doh'>;
}) {
  const { config, route } = options;
  // A trust store costs tens of ms and a few MB to build: the guard builds one for all its parts.
  const secureContext =
    options.shared?.secureContext ?? createSecureContext({ ca: [...rootCertificates, ...options.extraCas] });
  const doh = options.shared?.doh ?? createDohClient(secureContext);
  let dnsCache = new Map<string, Promise<import('../probe/dns.js').DnsObservation>>();
  const dnsTimer = setInterval(() => {
    dnsCache = new Map();
  }, DNS_REUSE_MS);
  dnsTimer.unref();
  /** Origins that are proxies taking plain-http requests in absolute form. */
  const proxyOrigins = new Set<string>();

  const dnsContext = (signal: AbortSignal): ProbeContext => ({
    signal,
    deadlineMs: config.deadlineMs,
    ...(config.dns.systemResolver ? { systemResolver: config.dns.systemResolver } : {}),
    trustedResolvers: config.dns.trusted,
    doh,
    dnsCache,
    secureContext,
    extraCaFingerprints: new Map(),
    canary: config.canary,
    sumdb: config.sumdb,
  });

  /** The address to connect to: the system's answer, or the trusted one when the system's is hijacked. */
  async function addressOf(host: string, secure: boolean): Promise<string> {
    const dns = await observeDns(host, dnsContext(AbortSignal.timeout(config.deadlineMs)));
    const assessment = assessDns(dns, config.deadlineMs);
    const system = 'addresses' in dns.system ? dns.system.addresses : [];
    if (!assessment.verdict && system[0]) return system[0];
    const trusted = dns.trusted.flatMap((t) => (t.status === 'answered' ? t.addresses : []));
    // Only over TLS: the certificate then proves the trusted address really serves the name.
    if (secure && trusted[0]) return trusted[0];
    throw new PhaseError('dns', 'DNS_VERDICT', `${host}: ${assessment.evidence.join('; ')}`, false, host);
  }

  async function connectSocket(origin: URL): Promise<Socket> {
    const socket = await openSocket(origin);
    // A proxy's requests go out as they are written (undici's own connector does the same).
    socket.setNoDelay(true);
    return socket;
  }

  async function openSocket(origin: URL): Promise<Socket> {
    const host = origin.hostname.replace(/^\[|\]$/g, '');
    const secure = origin.protocol === 'https:';
    const port = Number(origin.port) || (secure ? 443 : 80);
    const signal = AbortSignal.timeout(config.guard.firstByteMs);
    const common = { host, secure, secureContext, extraCaFingerprints: new Map<string, string>(), signal };
    if (proxyOrigins.has(origin.origin)) {
      return (await openConnection({ ...common, address: host, port, secure: false })).socket;
    }
    const proxy = secure ? proxyFor(route, origin) : undefined;
    if (proxy) {
      // As go does: the proxy resolves the name; TLS inside the tunnel still proves it.
      const address = proxy.hostname.replace(/^\[|\]$/g, '');
      const tunnel = { proxy, targetPort: port };
      return (await openConnection({ ...common, address, port: Number(proxy.port) || 80, tunnel })).socket;
    }
    const address = await addressOf(host, secure);
    return (await openConnection({ ...common, address, port })).socket;
  }

  const agent = new Agent({
    connections: config.guard.perMirrorConcurrency,
    keepAliveTimeout: 30_000,
    connect: (opts, callback) => {
      const origin = new URL(`${opts.protocol}//${opts.hostname}${opts.port ? `:${opts.port}` : ''}`);
      connectSocket(origin).then(
        (socket) => callback(null, socket),
        (error: Error) => callback(error, null),
      );
    },
  });

  // Requests to one mirror beyond guard.perMirrorConcurrency wait here, before their first-byte
  // deadline starts: a burst of go's parallel fetches must not read as a mirror that is slow.
  const slots = new Map<string, { used: number; waiting: (() => void)[] }>();
  async function acquire(origin: string, signal: AbortSignal): Promise<() => void> {
    const queue = slots.get(origin) ?? { used: 0, waiting: [] };
    slots.set(origin, queue);
    while (queue.used >= config.guard.perMirrorConcurrency) {
      await new Promise<void>((resolve, reject) => {
        const cancel = () => {
          // Not queued yet when the signal had fired already: nothing of another request's to remove.
          const at = queue.waiting.indexOf(wake);
          if (at >= 0) queue.waiting.splice(at, 1);
          reject(new UpstreamError('error', 'cancelled'));
        };
        const wake = () => {
          signal.removeEventListener('abort', cancel);
          resolve();
        };
        if (signal.aborted) return cancel();
        queue.waiting.push(wake);
        signal.addEventListener('abort', cancel, { once: true });
      });
    }
    queue.used++;
    return () => {
      queue.used--;
      queue.waiting.shift()?.();
    };
  }

  /** One GET or HEAD, headers within the first-byte deadline, the body streamed to `file`. */
  async function exchange(
    url: URL,
    file: string,
    maxBytes: number,
    signal: AbortSignal,
    started: number,
    method: 'GET' | 'HEAD',
  ) {
    const controller = new AbortController();
    const abort = () => controller.abort();
    signal.addEventListener('abort', abort, { once: true });
    const firstByte = setTimeout(
      abort,
      Math.max(0, config.guard.firstByteMs - (performance.now() - started)),
    );
    const plainProxy = url.protocol === 'http:' ? proxyFor(route, url) : undefined;
    if (plainProxy) proxyOrigins.add(plainProxy.origin);
    const auth = plainProxy && proxyAuthorization(plainProxy);
    try {
      const response = await agent
        .request({
          origin: plainProxy ? plainProxy.origin : url.origin,
          path: plainProxy ? url.href : `${url.pathname}${url.search}`,
          method,
          signal: controller.signal,
          headers: { 'user-agent': USER_AGENT, ...(auth ? { 'proxy-authorization': auth } : {}) },
          bodyTimeout: config.guard.stallMs,
        })
        .catch((error: Error) => {
          if (signal.aborted) throw new UpstreamError('error', 'cancelled');
          if (controller.signal.aborted)
            throw new UpstreamError('timeout', `no answer within ${config.guard.firstByteMs} ms`);
          throw new UpstreamError(
            'error',
            `${(error as NodeJS.ErrnoException).code ?? error.name} ${error.message}`,
          );
        });
      clearTimeout(firstByte);
      const header = (name: string) => {
        const value = response.headers[name];
        return Array.isArray(value) ? value[0] : value;
      };
      const location =
        response.statusCode >= 300 && response.statusCode < 400 ? header('location') : undefined;
      if (location || response.statusCode !== 200 || method === 'HEAD') {
        response.body.resume();
        const declared = Number(header('content-length'));
        return {
          status: response.statusCode,
          contentType: header('content-type') ?? '',
          size: method === 'HEAD' && Number.isSafeInteger(declared) && declared >= 0 ? declared : 0,
          head: Buffer.alloc(0),
          location,
          onDisk: false,
        };
      }
      let flowed = 0; // bytes since the last flow check
      const flowCheck = setInterval(() => {
        if (flowed < MIN_FLOW_BYTES)
          response.body.destroy(
            new UpstreamError(
              'stall',
              `the body moved ${flowed} bytes in ${config.guard.stallMs} ms (too slow, abandoned)`,
            ),
          );
        flowed = 0;
      }, config.guard.stallMs);
      const body = await receiveBody(response.body, {
        file,
        keepBytes: KEEP_BYTES,
        maxBytes,
        tooLarge: () => new UpstreamError('invalid', `body larger than ${maxBytes} bytes`),
        onBytes: (bytes) => {
          flowed += bytes;
        },
      })
        .catch((error: Error) => {
          if (error instanceof UpstreamError) throw error;
          if (signal.aborted) throw new UpstreamError('error', 'cancelled');
          const code = (error as NodeJS.ErrnoException).code;
          if (code && LOCAL_WRITE_ERRORS.has(code))
            throw new UpstreamError('local', `the guard cannot write its cache folder: ${error.message}`);
          if (code === 'UND_ERR_BODY_TIMEOUT')
            throw new UpstreamError('stall', `the body stopped flowing for ${config.guard.stallMs} ms`);
          throw new UpstreamError('error', `body: ${code ?? error.name} ${error.message}`);
        })
        .finally(() => clearInterval(flowCheck));
      const { size, head } = body;
      return {
        status: 200,
        contentType: header('content-type') ?? '',
        size,
        head,
        location: undefined,
        onDisk: body.onDisk,
      };
    } finally {
      clearTimeout(firstByte);
      signal.removeEventListener('abort', abort);
    }
  }

  return {
    /**
     * GETs a URL, following redirects (never from https to http), within the first-byte
     * deadline and the stall timeout. A 200 body lands in `head`, and in `file` when larger;
     * other statuses leave the file absent. HEAD asks for the headers alone (no body is read).
     */
    async fetch(
      target: string,
      file: string,
      maxBytes: number,
      signal: AbortSignal,
      method: 'GET' | 'HEAD' = 'GET',
    ): Promise<UpstreamAnswer> {
      let url = new URL(target);
      let release: (() => void) | undefined;
      try {
        release = await acquire(url.origin, signal);
        const started = performance.now();
        for (let hops = 0; ; hops++) {
          const answer = await exchange(url, file, maxBytes, signal, started, method);
          if (!answer.location) {
            return {
              status: answer.status,
              contentType: answer.contentType,
              file,
              onDisk: answer.onDisk,
              size: answer.size,
              head: answer.head,
              firstByteMs: Math.round(performance.now() - started),
            };
          }
          const next = URL.canParse(answer.location, url) ? new URL(answer.location, url) : undefined;
          // As the probes and go: only http(s); a file:, data: or ftp: URL is refused before any connection.
          if (next?.protocol !== 'http:' && next?.protocol !== 'https:')
            throw new UpstreamError(
              'invalid',
              `redirect to ${next ? `a ${next.protocol} URL` : 'an invalid URL'} refused: ${answer.location.slice(0, 100)}`,
            );
          if (url.protocol === 'https:' && next.protocol !== 'https:')
            throw new UpstreamError(
              'invalid',
              `redirect from https to ${next.protocol}// refused: ${next.href}`,
            );
          if (hops >= MAX_REDIRECTS)
            throw new UpstreamError('invalid', `more than ${MAX_REDIRECTS} redirects`);
          url = next;
        }
      } catch (error) {
        await rm(file, { force: true });
        if (error instanceof UpstreamError) throw error;
        throw new UpstreamError('error', (error as Error).message);
      } finally {
        release?.();
      }
    },
    async close(): Promise<void> {
      clearInterval(dnsTimer);
      await Promise.all([
        agent.destroy().catch(() => {}),
        options.shared ? undefined : doh.close().catch(() => {}),
      ]);
    },
  };
}

export type Upstream = ReturnType<typeof createUpstream>;

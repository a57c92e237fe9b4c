import net from 'node:net';
import tls from 'node:tls';
import { deadlineReached } from './deadline.js';
import { PhaseError } from './phase-error.js';
import type { Phase, TlsDetails } from './types.js';

// guardproxy/upstream.ts takes PhaseError from here with openConnection.
export { PhaseError };

export interface OpenedSocket {
  socket: net.Socket;
  connectMs: number;
  tlsMs?: number;
  tls?: TlsDetails;
  /** The proxy's answer to CONNECT (its head), when the connection went through a tunnel. */
  tunnelAnswer?: string;
}

export interface ConnectOptions {
  address: string;
  port: number;
  host: string;
  secure: boolean;
  secureContext: tls.SecureContext;
  extraCaFingerprints: Map<string, string>;
  signal: AbortSignal;
  /**
   * An HTTP proxy to tunnel through (CONNECT host:targetPort), as go does for https; then
   * `address` and `port` are the proxy's, and TLS inside the tunnel still proves `host`.
   */
  tunnel?: { proxy: URL; targetPort: number };
  /**
   * Node's `onread`: every read lands in this one buffer and is handed to the callback (false
   * pauses the socket) instead of arriving as a new Buffer per read. A download uses it so its
   * memory is the buffer, not a trail of garbage chunks; never together with a tunnel.
   */
  onread?: { buffer: Buffer; callback: (bytes: number, buffer: Buffer) => boolean };
}

/**
 * Opens a TCP connection to one pinned address and, for https, a TLS session whose SNI and
 * certificate check use the host name. The chain's subjects and expiry are reported even when
 * it is rejected. Each phase is timed.
 */
export async function openConnection(options: ConnectOptions): Promise<OpenedSocket> {
  const { address, port, host, secure, signal, onread } = options;
  if (onread && options.tunnel) throw new Error('openConnection: onread cannot go through a tunnel');
  let identityError: Error | undefined;
  const tlsOptions: tls.ConnectionOptions = {
    servername: net.isIP(host) ? undefined : host,
    secureContext: options.secureContext,
    // Judged below rather than by Node, so the offered chain is known even when rejected.
    rejectUnauthorized: false,
    // Node keeps only the code of a name mismatch; keep the message that says which names.
    checkServerIdentity: (_name, cert) => {
      identityError = tls.checkServerIdentity(host, cert);
      return identityError;
    },
    ALPNProtocols: ['http/1.1'],
  };
  // Node honours onread only on a connection it opens itself (TLS over an open socket ignores
  // it), so with onread TLS opens the TCP connection; 'connect' still ends the connect phase.
  const tlsOpensTcp = secure && onread !== undefined;
  let started = performance.now();
  const raw = await step<net.Socket>('connect', host, signal, (resolve, reject) => {
    const socket = tlsOpensTcp
      ? tls.connect({ ...tlsOptions, host: address, port, onread } as tls.ConnectionOptions) // onread: documented for tls.connect, missing from @types/node
      : net.connect({ host: address, port, ...(onread ? { onread } : {}) });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
    return () => socket.destroy();
  });
  const tunnelAnswer = options.tunnel ? await openTunnel(raw, options) : undefined;
  const connectMs = performance.now() - started;
  const through = tunnelAnswer === undefined ? {} : { tunnelAnswer };
  if (!secure) return { socket: raw, connectMs, ...through };

  started = performance.now();
  const secured = await step<tls.TLSSocket>('tls', host, signal, (resolve, reject) => {
    const socket = tlsOpensTcp ? (raw as tls.TLSSocket) : tls.connect({ ...tlsOptions, socket: raw, host });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
    return () => socket.destroy();
  });
  const tlsMs = performance.now() - started;
  const details = describeChain(secured, options.extraCaFingerprints);
  if (!secured.authorized) {
    secured.destroy();
    const code = String(secured.authorizationError);
    const message = code === 'ERR_TLS_CERT_ALTNAME_INVALID' && identityError ? identityError.message : code;
    const error = new PhaseError('tls', code, message, false, host);
    error.tls = details;
    if (tunnelAnswer !== undefined) error.tunnel = { answer: tunnelAnswer };
    throw error;
  }
  return { socket: secured, connectMs, tlsMs, tls: details, ...through };
}

/**
 * Asks the proxy on `raw` for a tunnel to the mirror and returns the proxy's answer head. A
 * refusal is a connect failure with the proxy's status (PROXY_407 when it wants credentials), so
 * the verdict names the proxy; every failure here says it happened in the tunnel.
 */
async function openTunnel(raw: net.Socket, options: ConnectOptions): Promise<string> {
  const { host, signal } = options;
  const { proxy, targetPort } = options.tunnel as { proxy: URL; targetPort: number };
  const authority = `${net.isIPv6(host) ? `[${host}]` : host}:${targetPort}`;
  const head = await step<string>('connect', host, signal, (resolve, reject) => {
    raw.write(connectRequest(authority, proxy));
    readResponseHead(raw).then(resolve, reject);
    return () => raw.destroy();
  }).catch((error: PhaseError) => {
    error.tunnel = {};
    throw error;
  });
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
  if (status !== 200) {
    raw.destroy();
    const error = new PhaseError(
      'connect',
      `PROXY_${status || 'BAD_ANSWER'}`,
      `the proxy ${proxy.host} answered CONNECT ${authority} with "${head.split('\r\n')[0]}"`,
      false,
      host,
    );
    error.tunnel = { answer: head };
    throw error;
  }
  return head;
}

/** The CONNECT request for a tunnel, with Basic credentials when the proxy URL carries them. */
export function connectRequest(authority: string, proxy: URL): string {
  const auth = proxyAuthorization(proxy);
  return `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth ? `Proxy-Authorization: ${auth}\r\n` : ''}\r\n`;
}

/** The Proxy-Authorization value for the credentials a proxy URL carries, as go sends it. */
export function proxyAuthorization(proxy: URL): string | undefined {
  if (!proxy.username) return undefined;
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return `Basic ${Buffer.from(credentials).toString('base64')}`;
}

const MAX_RESPONSE_HEAD = 8 * 1024;

/**
 * Reads a proxy's answer up to the blank line that ends its head (at most 8 KiB), and leaves
 * whatever followed on the socket for TLS, which takes the stream from there.
 */
export function readResponseHead(socket: net.Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end >= 0) {
        socket.off('data', onData);
        socket.pause();
        const rest = Buffer.from(head.slice(end + 4), 'latin1');
        if (rest.length > 0) socket.unshift(rest); // the start of the tunnelled stream
        resolve(head.slice(0, end));
      } else if (head.length > MAX_RESPONSE_HEAD) {
        reject(Object.assign(new Error('response head larger than 8 KiB'), { code: 'EPROTO' }));
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('end', () =>
      reject(Object.assign(new Error('closed before answering'), { code: 'ECONNRESET' })),
    );
  });
}

/** The chain's subjects (leaf first), its earliest expiry, and whether an extra CA anchors it. */
function describeChain(socket: tls.TLSSocket, extraCaFingerprints: Map<string, string>): TlsDetails {
  const chain: string[] = [];
  let earliest: Date | undefined;
  let anchoredByExtraCa: string | undefined;
  let anchorTrustedThrough: string | undefined;
  let cert = socket.getPeerCertificate(true) as tls.DetailedPeerCertificate | undefined;
  for (let depth = 0; cert?.subject && depth < 10; depth++) {
    chain.push(formatName(cert.subject));
    const expiry = new Date(cert.valid_to);
    if (!earliest || expiry < earliest) earliest = expiry;
    const through = extraCaFingerprints.get(cert.fingerprint256);
    if (through) {
      anchoredByExtraCa = formatName(cert.subject);
      anchorTrustedThrough = through;
    }
    if (!cert.issuerCertificate || cert.issuerCertificate === cert) break;
    cert = cert.issuerCertificate;
  }
  return {
    chain,
    earliestExpiry: earliest ? earliest.toISOString() : null,
    ...(anchoredByExtraCa ? { anchoredByExtraCa, anchorTrustedThrough } : {}),
  };
}

function formatName(name: tls.Certificate): string {
  return (['CN', 'O'] as const)
    .filter((key) => name[key])
    .map((key) => `${key}=${name[key]}`)
    .join(', ');
}

/** Runs one phase; on failure or deadline it destroys what it opened and names the phase. */
function step<T>(
  phase: Phase,
  host: string,
  signal: AbortSignal,
  start: (resolve: (value: T) => void, reject: (error: Error) => void) => () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let cleanup: () => void = () => {};
    const onAbort = () => {
      cleanup();
      reject(deadlineReached(phase, host));
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    cleanup = start(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener('abort', onAbort);
        cleanup();
        const code = (error as NodeJS.ErrnoException).code ?? 'ERROR';
        reject(new PhaseError(phase, code, error.message, false, host));
      },
    );
  });
}

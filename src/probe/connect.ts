import net from 'node:net';
import tls from 'node:tls';
import type { Phase, TlsDetails } from './types.js';

export class PhaseError extends Error {
  /** The chain that was offered, when a TLS check failed. */
  tls?: TlsDetails;
  constructor(
    readonly phase: Phase,
    readonly code: string,
    message: string,
    readonly timedOut = false,
    /** The host the failing step talked to (a redirect can lead to another one). */
    readonly host = '',
  ) {
    super(message);
  }
}

export interface OpenedSocket {
  socket: net.Socket;
  connectMs: number;
  tlsMs?: number;
  tls?: TlsDetails;
}

export interface ConnectOptions {
  address: string;
  port: number;
  host: string;
  secure: boolean;
  secureContext: tls.SecureContext;
  extraCaFingerprints: Set<string>;
  signal: AbortSignal;
}

/**
 * Opens a TCP connection to one pinned address and, for https, a TLS session whose SNI and
 * certificate check use the host name. The chain's subjects and expiry are reported even when
 * it is rejected. Each phase is timed.
 */
export async function openConnection(options: ConnectOptions): Promise<OpenedSocket> {
  const { address, port, host, secure, signal } = options;
  let started = performance.now();
  const raw = await step<net.Socket>('connect', host, signal, (resolve, reject) => {
    const socket = net.connect({ host: address, port });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
    return () => socket.destroy();
  });
  const connectMs = performance.now() - started;
  if (!secure) return { socket: raw, connectMs };

  started = performance.now();
  let identityError: Error | undefined;
  const secured = await step<tls.TLSSocket>('tls', host, signal, (resolve, reject) => {
    const socket = tls.connect({
      socket: raw,
      host,
      servername: net.isIP(host) ? undefined : host,
      secureContext: options.secureContext,
      // Judged below rather than by Node, so the offered chain is known even when rejected.
      rejectUnauthorized: false,
      // Node keeps only the code of a name mismatch; keep the message that says which names.
      checkServerIdentity: (name, cert) => {
        identityError = tls.checkServerIdentity(name, cert);
        return identityError;
      },
      ALPNProtocols: ['http/1.1'],
    });
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
    throw error;
  }
  return { socket: secured, connectMs, tlsMs, tls: details };
}

/** The chain's subjects (leaf first), its earliest expiry, and whether an extra CA anchors it. */
function describeChain(socket: tls.TLSSocket, extraCaFingerprints: Set<string>): TlsDetails {
  const chain: string[] = [];
  let earliest: Date | undefined;
  let anchoredByExtraCa: string | undefined;
  let cert = socket.getPeerCertificate(true) as tls.DetailedPeerCertificate | undefined;
  for (let depth = 0; cert?.subject && depth < 10; depth++) {
    chain.push(formatName(cert.subject));
    const expiry = new Date(cert.valid_to);
    if (!earliest || expiry < earliest) earliest = expiry;
    if (extraCaFingerprints.has(cert.fingerprint256)) anchoredByExtraCa = formatName(cert.subject);
    if (!cert.issuerCertificate || cert.issuerCertificate === cert) break;
    cert = cert.issuerCertificate;
  }
  return {
    chain,
    earliestExpiry: earliest ? earliest.toISOString() : null,
    ...(anchoredByExtraCa ? { anchoredByExtraCa } : {}),
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
      reject(new PhaseError(phase, 'ETIMEDOUT', 'deadline reached', true, host));
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

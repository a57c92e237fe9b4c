import net from 'node:net';
import tls from 'node:tls';
import type { Phase } from './types.js';

export class PhaseError extends Error {
  constructor(
    readonly phase: Phase,
    readonly code: string,
    message: string,
    readonly timedOut = false,
  ) {
    super(message);
  }
}

export interface OpenedSocket {
  socket: net.Socket;
  connectMs: number;
  tlsMs?: number;
}

/**
 * Opens a TCP connection to one pinned address and, for https, a TLS session whose SNI and
 * certificate check use the host name. Each phase is timed; the socket dies with the signal.
 */
export async function openConnection(options: {
  address: string;
  port: number;
  host: string;
  secure: boolean;
  secureContext: tls.SecureContext;
  signal: AbortSignal;
}): Promise<OpenedSocket> {
  const { address, port, host, secure, signal } = options;
  let started = performance.now();
  const raw = await step<net.Socket>('connect', signal, (resolve, reject) => {
    const socket = net.connect({ host: address, port });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
    return () => socket.destroy();
  });
  const connectMs = performance.now() - started;
  if (!secure) return { socket: raw, connectMs };

  started = performance.now();
  const secured = await step<tls.TLSSocket>('tls', signal, (resolve, reject) => {
    const socket = tls.connect({
      socket: raw,
      servername: net.isIP(host) ? undefined : host,
      host,
      secureContext: options.secureContext,
      ALPNProtocols: ['http/1.1'],
    });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
    return () => socket.destroy();
  });
  return { socket: secured, connectMs, tlsMs: performance.now() - started };
}

/** Runs one phase; on failure or deadline it destroys what it opened and names the phase. */
function step<T>(
  phase: Phase,
  signal: AbortSignal,
  start: (resolve: (value: T) => void, reject: (error: Error) => void) => () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let cleanup: () => void = () => {};
    const onAbort = () => {
      cleanup();
      reject(new PhaseError(phase, 'ETIMEDOUT', 'deadline reached', true));
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
        reject(new PhaseError(phase, code, error.message));
      },
    );
  });
}

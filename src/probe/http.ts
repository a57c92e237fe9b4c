import type { Socket } from 'node:net';
import { Client } from 'undici';
import { PhaseError } from './connect.js';
import { whenAborted } from './context.js';

export interface PinnedResponse {
  status: number;
  contentType: string;
  location: string | undefined;
  body: string;
  truncated: boolean;
  ttfbMs: number;
  transferMs: number;
}

/**
 * One GET over an already-open socket (so the request goes to the address we probed, while
 * Host and SNI stay the mirror's name). The body is read up to maxBytes and then cut off, so a
 * hostile mirror cannot make us hold more than that.
 */
export async function getOverSocket(options: {
  origin: string;
  path: string;
  socket: Socket;
  signal: AbortSignal;
  maxBytes: number;
  userAgent: string;
}): Promise<PinnedResponse> {
  const { socket, signal } = options;
  const client = new Client(options.origin, {
    // undici must get the socket asynchronously: a synchronous callback leaves it stalled.
    connect: (_opts, callback) => setImmediate(() => callback(null, socket)),
    pipelining: 1,
  });
  const started = performance.now();
  let ttfbMs = 0;
  try {
    // The race guarantees the deadline even if the request is still queued inside undici.
    const response = await Promise.race([
      client.request({
        path: options.path,
        method: 'GET',
        signal,
        headers: { 'user-agent': options.userAgent },
      }),
      whenAborted(signal),
    ]).catch((error: Error) => {
      throw asPhaseError('ttfb', error, signal);
    });
    ttfbMs = performance.now() - started;
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    try {
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        const room = options.maxBytes - size;
        if (chunk.length > room) {
          chunks.push(chunk.subarray(0, room));
          truncated = true;
          break; // leaving the loop destroys the body stream
        }
        chunks.push(chunk);
        size += chunk.length;
      }
    } catch (error) {
      throw asPhaseError('transfer', error as Error, signal);
    }
    const header = (name: string) => {
      const value = response.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    return {
      status: response.statusCode,
      contentType: header('content-type') ?? '',
      location: header('location'),
      body: Buffer.concat(chunks).toString('utf8'),
      truncated,
      ttfbMs,
      transferMs: performance.now() - started - ttfbMs,
    };
  } finally {
    client.destroy().catch(() => {});
    socket.destroy();
  }
}

function asPhaseError(phase: 'ttfb' | 'transfer', error: Error, signal: AbortSignal): PhaseError {
  if (signal.aborted) return new PhaseError(phase, 'ETIMEDOUT', 'deadline reached', true);
  const code = (error as NodeJS.ErrnoException).code ?? error.name;
  return new PhaseError(phase, code, error.message);
}

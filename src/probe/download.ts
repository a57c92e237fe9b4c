import { type FileHandle, open } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { type ConnectOptions, openConnection } from './connect.js';
import { deadlineReached } from './deadline.js';
import { PhaseError } from './phase-error.js';
import { createResponseReader, type ResponseHead } from './response-reader.js';

/** The most one read hands over: the socket's read buffer. */
const READ_BYTES = 64 * 1024;
/** Write buffers per download, each filled by several reads before it goes to the file. */
const WRITE_BUFFERS = 4;
const WRITE_BYTES = 128 * 1024;
/**
 * Buffers a download keeps at most: a paused TLS socket still hands over what it has already
 * decrypted, and a buffer made when that overflows the last one is kept for reuse.
 */
const MAX_WRITE_BUFFERS = 8;

export interface DownloadAnswer {
  head: ResponseHead;
  /** Body bytes written to the file (only a 200's body is kept). */
  saved: number;
  /** The body went on past maxBytes: the file holds the first maxBytes and the rest was refused. */
  truncated: boolean;
}

/**
 * GETs one URL on a connection of its own and writes a 200's body into `file`, at most maxBytes.
 * Memory stays fixed whatever the size: the socket reads into one reused buffer (Node's onread),
 * the bytes are copied into a few write buffers, and the socket pauses while they are all being
 * written. Through undici every read of a TLS socket is a new Buffer that lives until the next
 * garbage collection: four 200 MB zips at once left tens of MB of them waiting at any moment.
 * Any other status ends the exchange after its head (a redirect needs only its Location).
 */
export async function downloadToFile(
  url: URL,
  connect: ConnectOptions,
  request: { userAgent: string },
  file: string,
  maxBytes: number,
): Promise<DownloadAnswer> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const { signal } = connect;
  let socket: Socket | undefined;
  let head: ResponseHead | undefined;
  let truncated = false;
  let finished = false;
  let failure: Error | undefined;
  const phase = () => (head ? 'transfer' : 'ttfb');
  let settle: () => void = () => {};
  const settled = new Promise<void>((resolve) => {
    settle = resolve;
  });
  // Done when the response is complete (or refused, or failed) and its last write has landed.
  const settleIfDone = () => {
    if ((finished || failure) && writer.idle()) settle();
  };
  const fail = (error: Error) => {
    failure ??= error;
    socket?.destroy();
    settleIfDone();
  };
  const output = await open(file, 'w');
  const writer = pooledWriter(output, {
    drained: () => {
      if (!finished && !failure && writer.hasRoom()) socket?.resume();
      settleIfDone();
    },
    failed: fail,
  });
  const reader = createResponseReader({
    head(answer) {
      head = answer;
      return answer.status === 200;
    },
    body(piece) {
      const room = maxBytes - writer.taken();
      if (piece.length > room) truncated = true;
      writer.put(piece.subarray(0, Math.max(0, room)));
    },
  });
  const onread = {
    buffer: Buffer.allocUnsafe(READ_BYTES),
    // Returning false pauses the socket until a write buffer is free again.
    callback: (bytes: number, buffer: Buffer): boolean => {
      if (finished || failure) return false;
      try {
        finished = reader.feed(buffer.subarray(0, bytes)) || truncated;
      } catch (error) {
        fail(new PhaseError('transfer', 'HPE_INVALID', (error as Error).message, false, host));
        return false;
      }
      if (!finished) return writer.ready();
      writer.flush();
      socket?.destroy();
      settleIfDone();
      return false;
    },
  };
  const onAbort = () => fail(deadlineReached(phase(), host));
  try {
    ({ socket } = await openConnection({ ...connect, onread }));
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    const ended = () => {
      if (finished || failure) return;
      try {
        reader.end(); // a body delimited by the close is complete; any other is cut short
        finished = true;
        writer.flush();
        settleIfDone();
      } catch (error) {
        fail(new PhaseError(phase(), 'ECONNRESET', (error as Error).message, false, host));
      }
    };
    socket.on('end', ended);
    socket.on('close', ended);
    socket.on('error', (error: NodeJS.ErrnoException) =>
      fail(new PhaseError(phase(), error.code ?? error.name, error.message, false, host)),
    );
    socket.write(
      `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUser-Agent: ${request.userAgent}\r\n` +
        'Accept-Encoding: identity\r\nConnection: close\r\n\r\n',
    );
    await settled;
    if (failure) throw failure;
    return { head: head as ResponseHead, saved: writer.taken(), truncated };
  } finally {
    signal.removeEventListener('abort', onAbort);
    socket?.destroy();
    await output.close();
  }
}

/**
 * Bytes copied into a few pooled buffers and written to the file at their offsets. A buffer goes
 * to the file once another read might not fit in it; ready() is false while the last one is
 * being filled (the caller pauses its socket), and `drained` says a write has landed.
 */
function pooledWriter(output: FileHandle, on: { drained(): void; failed(error: Error): void }) {
  const free = Array.from({ length: WRITE_BUFFERS }, () => Buffer.allocUnsafe(WRITE_BYTES));
  let filling = free.pop();
  let filled = 0;
  let written = 0; // bytes already handed to writes: the file offset of `filling`
  let writing = 0;
  const flush = () => {
    if (!filling || filled === 0) return;
    const buffer = filling;
    writing++;
    output.write(buffer, 0, filled, written).then(
      () => {
        writing--;
        if (free.length < MAX_WRITE_BUFFERS) free.push(buffer);
        filling ??= free.pop();
        on.drained();
      },
      (error: Error) => {
        writing--;
        on.failed(error);
      },
    );
    written += filled;
    filling = free.pop();
    filled = 0;
  };
  const hasRoom = () => filling !== undefined && free.length > 0;
  return {
    put(bytes: Buffer) {
      if (bytes.length === 0) return;
      // Only a read that came after a pause finds no buffer (TLS hands over what it decrypted).
      filling ??= Buffer.allocUnsafe(Math.max(WRITE_BYTES, bytes.length));
      if (bytes.length > filling.length - filled) flush();
      filling ??= Buffer.allocUnsafe(Math.max(WRITE_BYTES, bytes.length));
      filled += bytes.copy(filling, filled);
    },
    /**
     * Whether to go on reading: sends a buffer another read might not fit, and says stop while
     * the one being filled is the last, whose room takes what a paused socket still hands over.
     */
    ready(): boolean {
      if (filling && filling.length - filled < READ_BYTES) flush();
      return hasRoom();
    },
    hasRoom,
    flush,
    taken: () => written + filled,
    idle: () => writing === 0,
  };
}

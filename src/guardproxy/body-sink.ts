import { createWriteStream, type WriteStream } from 'node:fs';
import type { Readable } from 'node:stream';

/** A body as received: its first `keepBytes` in memory (all of it when not larger), the rest on disk. */
export interface ReceivedBody {
  size: number;
  /** The body's first keepBytes (the whole body when size is not larger). */
  head: Buffer;
  /** Whether the body spilled to its file (it was larger than what is kept in memory). */
  onDisk: boolean;
}

export interface ReceiveOptions {
  /** The file a larger body spills to (created exclusively, this user only). */
  file: string;
  keepBytes: number;
  maxBytes: number;
  /** The error a body over maxBytes ends with. */
  tooLarge(): Error;
  /** Told each chunk's size as it arrives (the stall check counts them). */
  onBytes?(bytes: number): void;
}

/**
 * Reads a body to its end. One that fits in `keepBytes` stays in memory and no file is made for
 * it: most answers (lists, .info, .mod, small zips) are served and judged from memory, and written
 * to the cache after go has them, so creating, writing and closing a file is off go's path (costly
 * on Windows, where each new file is scanned). A larger body spills to `file` and streams there
 * with backpressure, never held whole. Plain listeners rather than stream.pipeline: a pipeline
 * makes an AbortController (and, as it finishes, a DOMException with a stack) for every request.
 * Rejects with the body's error, the disk's, or tooLarge(); the file is closed by then.
 */
export function receiveBody(body: Readable, options: ReceiveOptions): Promise<ReceivedBody> {
  const { file, keepBytes, maxBytes } = options;
  return new Promise<ReceivedBody>((resolve, reject) => {
    const held: Buffer[] = [];
    let size = 0;
    let disk: WriteStream | undefined;
    let done = false;
    const head = () => {
      const whole = held.length === 1 ? (held[0] as Buffer) : Buffer.concat(held);
      return whole.length > keepBytes ? whole.subarray(0, keepBytes) : whole;
    };
    const fail = (error: Error) => {
      if (done) return;
      done = true;
      body.off('data', onData);
      body.destroy();
      // The file is closed before the caller hears of it (and removes it).
      if (disk && !disk.closed) {
        disk.once('close', () => reject(error));
        disk.destroy();
      } else reject(error);
    };
    const onData = (chunk: Buffer) => {
      options.onBytes?.(chunk.length);
      // The first keepBytes stay in memory too: most answers are judged without reading the file.
      if (size < keepBytes)
        held.push(size + chunk.length > keepBytes ? chunk.subarray(0, keepBytes - size) : chunk);
      size += chunk.length;
      if (size > maxBytes) return fail(options.tooLarge());
      if (!disk && size <= keepBytes) return;
      if (!disk) {
        disk = createWriteStream(file, { flags: 'wx', mode: 0o600 });
        disk.once('error', fail);
        // What is held (the first keepBytes), then the part of this chunk beyond them.
        for (const part of held) disk.write(part);
        const rest = chunk.subarray(Math.max(0, keepBytes - (size - chunk.length)));
        if (!disk.write(rest)) waitForDisk(disk);
        return;
      }
      if (!disk.write(chunk)) waitForDisk(disk);
    };
    const waitForDisk = (stream: WriteStream) => {
      body.pause();
      stream.once('drain', () => body.resume());
    };
    body.on('data', onData);
    body.once('error', fail);
    body.once('close', () => {
      // Closed without its end (torn down with no error): not a whole body.
      if (!body.readableEnded)
        fail(Object.assign(new Error('the body ended early'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    });
    body.once('end', () => {
      if (done) return;
      const received = () => {
        if (done) return;
        done = true;
        resolve({ size, head: head(), onDisk: disk !== undefined });
      };
      if (!disk) return received();
      disk.end();
      disk.once('close', received);
    });
  });
}

import { read } from 'node:fs';
import { open } from 'node:fs/promises';

/** The most of one log line kept; go's error lines are far shorter, a line without end is not. */
export const MAX_LINE_BYTES = 64 * 1024;

export interface LogLine {
  text: string;
  /** Bytes of this line past MAX_LINE_BYTES, skipped unread into memory. */
  skippedBytes: number;
}

/**
 * Splits a log into lines holding at most `maxBytes` of any one line: readline keeps a whole line
 * in memory, so 600 MB without a newline crashed the doctor. The rest of a long line is skipped
 * and counted. A trailing CR (Windows line ends) is dropped.
 */
export async function* cappedLines(
  input: AsyncIterable<Buffer | string>,
  maxBytes = MAX_LINE_BYTES,
): AsyncGenerator<LogLine> {
  let parts: Buffer[] = [];
  let kept = 0;
  let skippedBytes = 0;
  let seen = false;
  const finish = (): LogLine => {
    let text = Buffer.concat(parts, kept).toString('utf8');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    const line = { text, skippedBytes };
    parts = [];
    kept = 0;
    skippedBytes = 0;
    seen = false;
    return line;
  };
  for await (const chunk of input) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let start = 0;
    while (start < buffer.length) {
      const newline = buffer.indexOf(0x0a, start);
      const end = newline < 0 ? buffer.length : newline;
      const room = maxBytes - kept;
      const piece = buffer.subarray(start, Math.min(end, start + room));
      // Copied, so a kept piece does not pin the whole chunk it came from.
      if (piece.length) parts.push(Buffer.from(piece));
      kept += piece.length;
      skippedBytes += end - start - piece.length;
      seen = true;
      if (newline < 0) break;
      yield finish();
      start = newline + 1;
    }
  }
  if (seen) yield finish();
}

type ReadInto = (buffer: Buffer) => Promise<number>;

/** Chunks through one reused buffer until a read returns nothing. */
async function* reusedBuffer(readInto: ReadInto, size: number): AsyncGenerator<Buffer> {
  const buffer = Buffer.alloc(size);
  for (;;) {
    const bytesRead = await readInto(buffer);
    if (bytesRead === 0) return;
    yield buffer.subarray(0, bytesRead);
  }
}

/**
 * A log file's bytes through one reused buffer: a stream allocates a buffer per chunk and frees
 * them only when the garbage collector gets round to it (measured: 30 MB more at the peak for
 * 600 MB). cappedLines copies what it keeps, so reusing the buffer is safe. Throws the open or
 * first read's error (ENOENT, EISDIR) for the caller to name.
 */
export async function* fileChunks(path: string, size = MAX_LINE_BYTES): AsyncGenerator<Buffer> {
  const file = await open(path, 'r');
  try {
    yield* reusedBuffer(async (buffer) => (await file.read(buffer, 0, buffer.length, null)).bytesRead, size);
  } finally {
    await file.close();
  }
}

/**
 * Standard input the same way, read from descriptor 0. The descriptor can be non-blocking (a
 * child process such as go may have made it so; measured here: the runtime's stdin answers
 * EAGAIN), and then an empty pipe answers EAGAIN: wait a little and read again, rather than fall
 * back to process.stdin's stream, which costs the memory this reader exists to save.
 */
export function stdinChunks(size = MAX_LINE_BYTES): AsyncGenerator<Buffer> {
  const readOnce = (buffer: Buffer) =>
    new Promise<number>((resolve, reject) =>
      read(0, buffer, 0, buffer.length, null, (error, bytesRead) =>
        error ? reject(error) : resolve(bytesRead),
      ),
    );
  return reusedBuffer(async (buffer) => {
    for (let wait = 1; ; wait = Math.min(wait * 2, 100)) {
      try {
        return await readOnce(buffer);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }, size);
}

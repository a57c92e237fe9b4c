import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';

/**
 * O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever. It changes
 * nothing for a regular file, and the FIFO is refused right after by fstat. (0 on Windows.)
 */
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** A file refused before it is read: not a regular file, or larger than its limit. */
export class FileRefused extends Error {
  override name = 'FileRefused';
}

const MiB = 1024 * 1024;
const size = (bytes: number) =>
  bytes >= MiB
    ? `${Math.ceil((bytes / MiB) * 10) / 10} MiB` // rounded up: a file just over a limit never reads as equal to it
    : bytes >= 1024
      ? `${Math.ceil(bytes / 1024)} KiB`
      : `${bytes} bytes`;

function kindOf(stats: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean }): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a pipe (FIFO)';
  if (stats.isSocket()) return 'a socket';
  return 'a device';
}

/**
 * Reads an open file if it is a regular file of at most maxBytes, judged on the open
 * handle (fstat), so what is checked is what is read: no stat-then-open race, no read of
 * /dev/zero or a FIFO, never more than maxBytes + 1 bytes in memory even if the file grows.
 */
export async function readOpenFile(handle: FileHandle, maxBytes: number, what: string): Promise<Buffer> {
  const stats = await handle.stat();
  if (!stats.isFile()) throw new FileRefused(`it is ${kindOf(stats)}, not a regular file`);
  const tooBig = (bytes?: number) =>
    new FileRefused(`it is ${bytes ? `${size(bytes)}, ` : ''}over the ${size(maxBytes)} ${what} may be`);
  if (stats.size > maxBytes) throw tooBig(stats.size);
  // Room for one byte over the limit, so a file that grew since fstat is still caught.
  const buffer = Buffer.allocUnsafe(maxBytes + 1);
  let length = 0;
  for (;;) {
    const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
    if (bytesRead === 0) break;
    length += bytesRead;
    if (length > maxBytes) throw tooBig(); // it grew since fstat
  }
  return buffer.subarray(0, length);
}

/** Reads a file the user named (a config, a PEM file, go's env file) with a size limit. */
export async function readUserBytes(path: string, maxBytes: number, what: string): Promise<Buffer> {
  const handle = await open(path, READ_FLAGS);
  try {
    return await readOpenFile(handle, maxBytes, what);
  } finally {
    await handle.close();
  }
}

/** readUserBytes as UTF-8 text. */
export const readUserFile = async (path: string, maxBytes: number, what: string) =>
  (await readUserBytes(path, maxBytes, what)).toString('utf8');

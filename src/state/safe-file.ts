import { constants } from 'node:fs';
import { type FileHandle, lstat, open } from 'node:fs/promises';
import { readOpenFile } from '../config/read-file.js';

/**
 * Files in the state folder are opened without following a symbolic link in their last part:
 * `history.jsonl -> victim` must not make a run append to the victim (issue #15). Linux and
 * macOS refuse in the open itself (O_NOFOLLOW: ELOOP). Windows has no O_NOFOLLOW, so there an
 * lstat comes first; what that leaves open is a link swapped in between the lstat and the open,
 * by someone who can already write the user's own %LOCALAPPDATA%. Links in the folders above
 * (GOPROXYGUARD_HOME pointing through a link) are the user's choice and are followed.
 */
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_APPEND } = constants;
const NONBLOCK = constants.O_NONBLOCK ?? 0;

/**
 * A refusal shaped like the system's own (code, syscall, path), so it is reported the same way:
 * ELOOP as O_NOFOLLOW gives it; ENOTREG and EHARDLINK are GoProxyGuard's (config/errors.ts).
 */
export const refused = (code: 'ELOOP' | 'ENOTREG' | 'EHARDLINK', path: string) =>
  Object.assign(new Error(`${code}: ${path}`), { code, syscall: 'open', path });

/** Sets the path on an error that has none (a write's ENOSPC names no file) or a temp name. */
export function naming<T>(path: string, work: () => Promise<T>): Promise<T> {
  return work().catch((error: NodeJS.ErrnoException) => {
    if (error && typeof error === 'object' && error.code) error.path = path;
    throw error;
  });
}

/** Opens a file in the state folder with `flags`, never through a link. */
export async function openNoFollow(path: string, flags: number, mode = 0o600): Promise<FileHandle> {
  if (NOFOLLOW === 0) {
    const stats = await lstat(path).catch(() => undefined);
    if (stats?.isSymbolicLink()) throw refused('ELOOP', path);
  }
  return open(path, flags | NOFOLLOW, mode);
}

/** Creates a file that must not exist yet (a temp file, the lock): O_EXCL never follows a link. */
export const createExclusive = (path: string) => openNoFollow(path, O_WRONLY | O_CREAT | O_EXCL);

/**
 * Reads a state file as UTF-8: undefined when it does not exist; refused when it is a link,
 * not a regular file or over maxBytes (state.json and backup.json are a few KiB).
 */
export async function readStateFile(
  path: string,
  maxBytes: number,
  what: string,
): Promise<string | undefined> {
  let handle: FileHandle;
  try {
    handle = await openNoFollow(path, O_RDONLY | NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return (await readOpenFile(handle, maxBytes, what)).toString('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * Appends to a state file (history.jsonl), creating it if needed. A second name for the same
 * file (a hard link, nlink > 1) is refused too: appending would change the other file.
 */
export async function appendStateFile(path: string, text: string): Promise<void> {
  await naming(path, async () => {
    const handle = await openNoFollow(path, O_WRONLY | O_CREAT | O_APPEND | NONBLOCK);
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw refused('ENOTREG', path);
      if (stats.nlink > 1) throw refused('EHARDLINK', path);
      await handle.writeFile(text);
    } finally {
      await handle.close();
    }
  });
}

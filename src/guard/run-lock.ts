import { mkdir } from 'node:fs/promises';
import { acquireLock } from '../state/lock.js';
import type { StatePaths } from '../state/paths.js';

/** How long a second run waits for the lock before saying another run holds it. */
export const LOCK_WAIT_MS = 3000;

/**
 * Runs `work` holding the state folder's run lock, so apply, restore and the scheduled run never
 * interleave: creates the folder (owner only), waits up to `waitMs` (0: a held lock throws
 * LockHeldError at once), passes on the note of a lock taken over from a dead run.
 */
export async function underRunLock<T>(
  paths: StatePaths,
  waitMs: number,
  warn: (note: string) => void,
  work: () => Promise<T>,
): Promise<T> {
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  const lock = await acquireLock(paths.lock, waitMs);
  if (lock.note) warn(lock.note);
  try {
    return await work();
  } finally {
    await lock.release();
  }
}

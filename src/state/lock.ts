import { lstat, unlink } from 'node:fs/promises';
import { GuardError } from '../config/errors.js';
import { createExclusive, naming, readStateFile, refused } from './safe-file.js';

export class LockHeldError extends GuardError {
  override name = 'LockHeldError';
  constructor(
    readonly path: string,
    readonly holder: string,
  ) {
    super(
      'busy',
      `another GoProxyGuard run holds ${path} (${holder}); try again when it ends`,
      'LockHeld',
      'ResourceBusy',
    );
  }
}

export interface Lock {
  release(): Promise<void>;
  /** Set when a dead run's lock was taken over: why, for the run's warnings. */
  note?: string;
}

/**
 * The longest any run can hold the lock: a scheduled run is stopped by Task Scheduler after
 * schedule.timeLimitMinutes (at most 60), and an interactive run's probes end at deadlineMs
 * (at most minutes). A lock no run could still be writing is older than this.
 */
export const LONGEST_RUN_MS = 60 * 60_000;

/** The lock holds one line of JSON; more is not a lock GoProxyGuard wrote. */
const MAX_LOCK_BYTES = 4096;

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

type Holder = { pid?: number; since?: string };

/**
 * Who holds the lock, or why it is dead: its process is gone (a killed run); it is a link
 * (never one GoProxyGuard made); it cannot be read and is older than any run could be (a torn
 * write, garbage). Unreadable and young: being written right now, so waited for.
 */
async function judgeLock(path: string, now: number): Promise<{ holder: Holder; dead?: string }> {
  const stats = await lstat(path).catch(() => undefined);
  if (!stats) return { holder: {} }; // gone already: the next try takes it
  if (stats.isSymbolicLink()) return { holder: {}, dead: 'it was a link, which GoProxyGuard never makes' };
  if (!stats.isFile()) {
    // a folder or a device in its place is not ours to remove: say so (exit 2 naming it)
    throw stats.isDirectory()
      ? Object.assign(new Error(path), { code: 'EISDIR', path })
      : refused('ENOTREG', path);
  }
  let holder: Holder = {};
  try {
    holder = JSON.parse((await readStateFile(path, MAX_LOCK_BYTES, 'a lock')) ?? '{}');
  } catch {
    // being written right now, or garbage: judged by age below
  }
  if (typeof holder?.pid === 'number') {
    return isAlive(holder.pid) ? { holder } : { holder, dead: `its process ${holder.pid} is gone` };
  }
  if (now - stats.mtimeMs > LONGEST_RUN_MS) {
    return {
      holder: {},
      dead: `it could not be read and is older than the longest run (${LONGEST_RUN_MS / 60_000} min)`,
    };
  }
  return { holder: {} };
}

/**
 * Takes the run lock: a file created exclusively (never through a link), holding the pid. A
 * dead lock (see judgeLock) is taken over at once, with a note; a live holder is waited for up
 * to waitMs, then LockHeldError. A lock that could not be written whole is removed again.
 */
export async function acquireLock(path: string, waitMs: number): Promise<Lock> {
  const until = Date.now() + waitMs;
  let note: string | undefined;
  for (;;) {
    const created = await createExclusive(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
      return undefined;
    });
    if (created) {
      await naming(path, async () => {
        try {
          await created.writeFile(JSON.stringify({ pid: process.pid, since: new Date().toISOString() }));
        } catch (error) {
          await unlink(path).catch(() => {}); // an empty lock would block every later run
          throw error;
        } finally {
          await created.close();
        }
      });
      const release = () => unlink(path).catch(() => {});
      return note ? { release, note } : { release };
    }
    const { holder, dead } = await judgeLock(path, Date.now());
    if (dead) {
      // unlink removes a link itself, never what it points to; whoever unlinks first retries
      await unlink(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
      note = `the lock ${path} was taken over: ${dead}`;
      continue;
    }
    if (Date.now() >= until) {
      throw new LockHeldError(
        path,
        holder.pid ? `pid ${holder.pid} since ${holder.since}` : 'unknown holder',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

import { writeFileAtomic } from './atomic.js';
import { readStateFile } from './safe-file.js';

/** What the last run saw, kept in the state folder (guard-watch.json). */
export interface GuardWatch {
  up: boolean;
  /** The guard's tamperedRefused counter when last seen (it restarts at 0 with the guard). */
  tamperedRefused: number;
  /** Tampered answers per mirror when last seen. */
  tamperedBy: Record<string, number>;
  at: string;
}

/** A few hundred bytes; far more is not a file GoProxyGuard wrote. */
const MAX_WATCH_BYTES = 64 * 1024;

/**
 * What the last run reported about the guard proxy. Missing or not valid: undefined, which at
 * worst repeats one event; a link or a file too big is refused like every state file.
 */
export async function loadGuardWatch(path: string): Promise<GuardWatch | undefined> {
  const text = await readStateFile(path, MAX_WATCH_BYTES, 'the guard watch file');
  if (text === undefined) return undefined;
  try {
    const watch = JSON.parse(text) as GuardWatch;
    const valid =
      typeof watch?.up === 'boolean' &&
      Number.isFinite(watch.tamperedRefused) &&
      typeof watch.tamperedBy === 'object' &&
      watch.tamperedBy !== null &&
      !Number.isNaN(Date.parse(watch.at));
    return valid ? watch : undefined;
  } catch {
    return undefined;
  }
}

export async function saveGuardWatch(path: string, watch: GuardWatch): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(watch, null, 2)}\n`);
}

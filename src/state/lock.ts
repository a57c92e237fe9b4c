import { open, readFile, unlink } from 'node:fs/promises';

export class LockHeldError extends Error {
  constructor(
    readonly path: string,
    readonly holder: string,
  ) {
    super(`another GoProxyGuard run holds ${path} (${holder}); try again when it ends`);
    this.name = 'LockHeldError';
  }
}

export interface Lock {
  release(): Promise<void>;
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Takes the run lock: a file created exclusively, holding the pid. A lock whose process is gone
 * (a killed run) is taken over. A live holder is waited for up to waitMs, then LockHeldError.
 */
export async function acquireLock(path: string, waitMs: number): Promise<Lock> {
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(JSON.stringify({ pid: process.pid, since: new Date().toISOString() }));
      await handle.close();
      return { release: () => unlink(path).catch(() => {}) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let holder: { pid?: number; since?: string } = {};
    try {
      holder = JSON.parse(await readFile(path, 'utf8'));
    } catch {
      // being written right now, or garbage: judged by age below
    }
    if (typeof holder.pid === 'number' && !isAlive(holder.pid)) {
      await unlink(path).catch(() => {}); // its owner was killed; whoever unlinks first retries
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

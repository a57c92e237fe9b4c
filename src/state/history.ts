import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { hideSecrets } from '../settings/setting-value.js';
import { appendStateFile, naming, openNoFollow, refused } from './safe-file.js';

export interface HistoryEntry {
  at: string;
  command: string;
  event: 'decision' | 'change' | 'restore' | 'kept' | 'event-log' | 'guard' | 'policy';
  [detail: string]: unknown;
}

/**
 * Appends one JSON line; history is never rewritten, only added to. Proxy passwords in any URL
 * are hidden here, for every entry: only HTTPS_PROXY and the backup hold them.
 */
export async function appendHistory(path: string, entry: HistoryEntry): Promise<void> {
  await appendStateFile(path, `${hideSecrets(JSON.stringify(entry))}\n`);
}

/** How much of the end of the history is read: thousands of entries, however long it grows. */
const TAIL_BYTES = 4 * 1024 * 1024;

/** The last `count` entries, skipping a torn last line left by a killed run. */
export async function readHistory(path: string, count: number): Promise<HistoryEntry[]> {
  let handle: FileHandle;
  try {
    handle = await openNoFollow(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const text = await naming(path, async () => {
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw refused('ENOTREG', path);
      const { size } = stats;
      const start = Math.max(0, size - TAIL_BYTES);
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(size - start), 0, size - start, start);
      return buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  });
  const entries: HistoryEntry[] = [];
  for (const line of text.split('\n').slice(-count - 1)) {
    try {
      if (line.trim()) entries.push(JSON.parse(line));
    } catch {
      // a line cut short by a kill, or the first one cut by the tail
    }
  }
  return entries.slice(-count);
}

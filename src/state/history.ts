import { appendFile, readFile } from 'node:fs/promises';
import { hideSecrets } from '../system/setting-value.js';

export interface HistoryEntry {
  at: string;
  command: string;
  event: 'decision' | 'change' | 'restore' | 'kept' | 'event-log';
  [detail: string]: unknown;
}

/**
 * Appends one JSON line; history is never rewritten, only added to. Proxy passwords in any URL
 * are hidden here, for every entry: only HTTPS_PROXY and the backup hold them.
 */
export async function appendHistory(path: string, entry: HistoryEntry): Promise<void> {
  await appendFile(path, `${hideSecrets(JSON.stringify(entry))}\n`, { mode: 0o600 });
}

/** The last `count` entries, skipping a torn last line left by a killed run. */
export async function readHistory(path: string, count: number): Promise<HistoryEntry[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const entries: HistoryEntry[] = [];
  for (const line of text.split('\n').slice(-count - 1)) {
    try {
      if (line.trim()) entries.push(JSON.parse(line));
    } catch {
      // a line cut short by a kill
    }
  }
  return entries.slice(-count);
}

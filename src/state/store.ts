import { readFile, rename } from 'node:fs/promises';
import { ConfigError } from '../config/errors.js';
import type { Verdict } from '../probe/types.js';
import { writeFileAtomic } from './atomic.js';

/** What one mirror has done across runs: the basis of hysteresis. */
export interface MirrorTrack {
  /** In the GOPROXY list GoProxyGuard wrote. */
  active: boolean;
  /** Consecutive runs that were not usable / were healthy. */
  failures: number;
  successes: number;
  lastVerdict: Verdict;
}

export interface GuardState {
  version: 1;
  mirrors: Record<string, MirrorTrack>;
  /** The last configuration written while at least one mirror was healthy. */
  lastGood?: { goproxy: string; gosumdb: string; at: string };
  lastRun?: { at: string; command: string; goproxy: string; changed: boolean };
  /** The last tree head verified per checksum database: a later head must extend it (else: fork). */
  sumdbHeads?: Record<string, { size: number; hash: string }>;
  /** Corporate proxy candidates' standing, and the one GoProxyGuard set (null: it set direct). */
  proxies?: { tracks: Record<string, MirrorTrack>; current?: string | null };
}

export const freshState = (): GuardState => ({ version: 1, mirrors: {} });

/**
 * Reads the state file. Missing: a fresh state. Corrupt (a torn write from an old version, a
 * hand edit): kept beside as state.json.corrupt-<time> and replaced by a fresh state, with a
 * note saying so. Unreadable (permissions): a ConfigError, so nothing is changed.
 */
export async function loadState(path: string, now: Date): Promise<{ state: GuardState; note?: string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: freshState() };
    throw new ConfigError(
      '',
      `cannot read the state file ${path}: ${(error as Error).message}; fix its permissions or set GOPROXYGUARD_HOME`,
    );
  }
  try {
    const parsed = JSON.parse(text) as GuardState;
    if (parsed?.version === 1 && typeof parsed.mirrors === 'object' && parsed.mirrors !== null)
      return { state: parsed };
  } catch {
    // fall through to keeping it aside
  }
  const aside = `${path}.corrupt-${now.toISOString().replace(/[:.]/g, '-')}`;
  await rename(path, aside);
  return {
    state: freshState(),
    note: `the state file was not valid; it is kept as ${aside} and a fresh state was started`,
  };
}

export async function saveState(path: string, state: GuardState): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`);
}

import { rename } from 'node:fs/promises';
import { EnvironmentError, refusalOf } from '../config/errors.js';
import type { Verdict } from '../probe/types.js';
import { writeFileAtomic } from './atomic.js';
import { readStateFile } from './safe-file.js';

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
  /** The hosts file's pins as the last plan left them, with what proved each (issue #20; status, doctor). */
  pins?: { host: string; addresses: string[]; proof: string[] }[];
  /** Each WSL distribution's go settings and how it follows, as the last plan found them (issue #20). */
  wsl?: {
    name: string;
    follows: string;
    goproxy?: string;
    gosumdb?: string;
    /** Variables of its terminal environment that win over its env file, each with its fix. */
    overrides?: { variable: string; value: string; from: string; fix: string }[];
  }[];
}

export const freshState = (): GuardState => ({ version: 1, mirrors: {} });

/** state.json and backup.json hold a few KiB; far more is not a file GoProxyGuard wrote. */
export const MAX_STATE_BYTES = 4 * 1024 * 1024;

/**
 * Reads the state file. Missing: a fresh state. Corrupt (a torn write from an old version, a
 * hand edit): kept beside as state.json.corrupt-<time> and replaced by a fresh state, with a
 * note saying so. Unreadable (permissions, a link, not a file, too big): an EnvironmentError
 * (exit 2), so nothing is changed.
 */
export async function loadState(path: string, now: Date): Promise<{ state: GuardState; note?: string }> {
  let text: string | undefined;
  try {
    text = await readStateFile(path, MAX_STATE_BYTES, 'a state file');
  } catch (error) {
    const refused = refusalOf(error);
    throw new EnvironmentError(
      `cannot read the state file ${path}: ${refused?.says ?? `${(error as Error).message}; move it away`}`,
      'StateUnreadable',
      refused?.category ?? 'InvalidData',
      path,
    );
  }
  if (text === undefined) return { state: freshState() };
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

import type { Verdict } from '../probe/types.js';
import type { MirrorTrack } from '../state/store.js';

// Hysteresis, the one rule mirrors (decide.ts) and corporate proxies (proxy.ts) share: one bad
// run never takes something out and one good run never puts it back. Pure.

export interface HysteresisPolicy {
  failAfter: number;
  recoverAfter: number;
}

/**
 * Where a mirror or proxy stands after this run:
 * - first: never seen before; in exactly when it works now
 * - taken-out: failed policy.failAfter runs in a row, out from now
 * - put-back: worked policy.recoverAfter runs in a row, in again from now
 * - failing: in, failing, not yet failAfter runs in a row
 * - recovering: out, working, not yet recoverAfter runs in a row
 * - steady: in and working, or out and failing
 */
export type Standing = 'first' | 'taken-out' | 'put-back' | 'failing' | 'recovering' | 'steady';

/** The next track of one mirror or proxy from its previous one and whether it works now. */
export function nextTrack(
  before: MirrorTrack | undefined,
  ok: boolean,
  verdict: Verdict,
  policy: HysteresisPolicy,
): { track: MirrorTrack; standing: Standing } {
  const track: MirrorTrack = {
    active: before?.active ?? ok,
    failures: ok ? 0 : (before?.failures ?? 0) + 1,
    successes: ok ? (before?.successes ?? 0) + 1 : 0,
    lastVerdict: verdict,
  };
  if (!before) return { track, standing: 'first' };
  if (track.active && !ok && track.failures >= policy.failAfter)
    return { track: { ...track, active: false }, standing: 'taken-out' };
  if (!track.active && ok && track.successes >= policy.recoverAfter)
    return { track: { ...track, active: true }, standing: 'put-back' };
  if (track.active && !ok) return { track, standing: 'failing' };
  if (!track.active && ok) return { track, standing: 'recovering' };
  return { track, standing: 'steady' };
}

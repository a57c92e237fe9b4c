/**
 * What the scheduled run reports about the guard proxy, and when: pure, so every rule is here.
 * Events are rate-limited by remembering what was last reported: the guard going down is told
 * once (not on every run while it stays down), its return once, and tampered answers only when
 * the guard refused new ones since the last run.
 */
import type { GuardWatch } from '../state/guard-watch.js';

export type { GuardWatch };

/** What asking the guard found, reduced to what the rules need (before any judgement). */
export type GuardSeen =
  | {
      running: true;
      url: string;
      uptimeSeconds: number;
      /** The guard's own counters since it started (its /_guard/status). */
      counters: GuardCounters;
      /** Tampered answers per mirror, as the guard counts them. */
      tamperedBy: Record<string, number>;
    }
  | { running: false; reason: string };

export interface GuardCounters {
  requests: number;
  hedgesFired: number;
  failovers: number;
  tamperedRefused: number;
  staleServed: number;
  /**
   * Requests that joined a fetch of the same answer already under way: go's parallel fetches, and
   * go's request for a go.mod the guard had begun to fetch ahead of it.
   */
  joined: number;
  /** go.mod files fetched as go asked for their .info, before go asked for them. */
  prefetched: number;
}

export type GuardEventKind = 'guard-down' | 'guard-back' | 'tampered-refused';

export interface GuardEvent {
  kind: GuardEventKind;
  message: string;
}

/** The events this run writes and what to remember for the next one. */
export function guardEvents(
  previous: GuardWatch | undefined,
  seen: GuardSeen,
  now: Date,
): { events: GuardEvent[]; next: GuardWatch } {
  const at = now.toISOString();
  if (!seen.running) {
    const events: GuardEvent[] =
      previous?.up === false
        ? []
        : [
            {
              kind: 'guard-down',
              message: `The GoProxyGuard guard proxy does not answer (${seen.reason}); go falls through "|" to the mirrors after it until it is back. Task Scheduler restarts it when it failed; else start it with Start-GoProxyServer or at the next logon.`,
            },
          ];
    // A guard that is down counts nothing: the next one starts its counters at 0.
    return { events, next: { up: false, tamperedRefused: 0, tamperedBy: {}, at } };
  }
  const events: GuardEvent[] = [];
  if (previous?.up === false)
    events.push({
      kind: 'guard-back',
      message: `The GoProxyGuard guard proxy answers again at ${seen.url}.`,
    });
  // The guard's counters start at 0 when it starts: a guard up for less time than has passed
  // since the last look started after it, so everything it counted is new (1 s for rounding).
  const restarted =
    previous === undefined || seen.uptimeSeconds + 1 < (now.getTime() - Date.parse(previous.at)) / 1000;
  const base: Pick<GuardWatch, 'tamperedRefused' | 'tamperedBy'> =
    restarted || !previous ? { tamperedRefused: 0, tamperedBy: {} } : previous;
  const refused = seen.counters.tamperedRefused - base.tamperedRefused;
  if (refused > 0) {
    const by = Object.entries(seen.tamperedBy)
      .map(([mirror, count]) => [mirror, count - (base.tamperedBy[mirror] ?? 0)] as const)
      .filter(([, count]) => count > 0)
      .map(([mirror, count]) => `${mirror} (${count})`);
    events.push({
      kind: 'tampered-refused',
      message: `The GoProxyGuard guard proxy refused ${refused} tampered answer${refused === 1 ? '' : 's'} since the last run: their hashes did not match the checksum database${by.length > 0 ? `; from ${by.join(', ')}` : ''}. go got the correct files from another mirror.`,
    });
  }
  return {
    events,
    next: {
      up: true,
      tamperedRefused: seen.counters.tamperedRefused,
      tamperedBy: { ...seen.tamperedBy },
      at,
    },
  };
}

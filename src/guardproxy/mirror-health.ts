/**
 * Every rule the guard follows to choose mirrors for a request, kept pure (time comes in as
 * `now`): a live score per mirror from the last probe verdict and what requests see (latency
 * EWMA, errors, stalls, tampering), a circuit breaker per mirror, and the hedge delay.
 * The server only records outcomes here and asks for an order.
 */

/** How a request to one mirror ended. */
export type Outcome = 'ok' | 'error' | 'timeout' | 'stall' | 'invalid' | 'tampered' | 'not-found';

export type Breaker = 'closed' | 'open' | 'half-open';

export interface MirrorHealthState {
  name: string;
  /** Position in the config: the tie-breaker, so equal mirrors keep the order the admin chose. */
  rank: number;
  /** The verdict of the last scheduled probe, if any; an unhealthy one starts the mirror lower. */
  probeVerdict?: string;
  /** Smoothed time to the first byte of a good answer, ms; null until one arrived. */
  latencyEwmaMs: number | null;
  /** Failures since the last success: opens the breaker at BREAKER.failuresToOpen. */
  consecutiveFailures: number;
  /** When the breaker opened (ms); null while closed. */
  openedAt: number | null;
  /** How long the breaker stays open before one trial request (doubles while trials fail). */
  coolDownMs: number;
  /** A half-open trial is under way: other requests keep away until it ends. */
  trialInFlight: boolean;
  counts: Record<Outcome, number>;
}

export const BREAKER = {
  /** Consecutive failures that open the breaker. */
  failuresToOpen: 3,
  /** The first cool-down; each failed trial doubles it up to maxCoolDownMs. */
  coolDownMs: 15_000,
  maxCoolDownMs: 5 * 60_000,
  /** A mirror caught serving tampered bytes stays out this long at once. */
  tamperedCoolDownMs: 10 * 60_000,
} as const;

/** Weight of the newest latency sample in the EWMA. */
const EWMA_WEIGHT = 0.3;

export function initialHealth(name: string, rank: number, probeVerdict?: string): MirrorHealthState {
  return {
    name,
    rank,
    ...(probeVerdict ? { probeVerdict } : {}),
    latencyEwmaMs: null,
    consecutiveFailures: 0,
    openedAt: null,
    coolDownMs: BREAKER.coolDownMs,
    trialInFlight: false,
    counts: { ok: 0, error: 0, timeout: 0, stall: 0, invalid: 0, tampered: 0, 'not-found': 0 },
  };
}

export function breakerOf(state: MirrorHealthState, now: number): Breaker {
  if (state.openedAt === null) return 'closed';
  return now - state.openedAt >= state.coolDownMs ? 'half-open' : 'open';
}

/**
 * Lower is better: the latency a request can expect, plus penalties for recent failures and an
 * unhealthy probe verdict. An unknown latency counts as 500 ms, so a fresh mirror is tried
 * neither first nor never.
 */
export function scoreOf(state: MirrorHealthState): number {
  const latency = state.latencyEwmaMs ?? 500;
  const failures = state.consecutiveFailures * 2000;
  const probe = state.probeVerdict && !/^(healthy|degraded)$/.test(state.probeVerdict) ? 5000 : 0;
  return Math.round(latency + failures + probe);
}

/**
 * The mirrors to try for one request, best first: closed breakers by score (then config order),
 * then at most one half-open mirror per trial. Open breakers are left out; when every mirror is
 * out, the list is empty and the guard fails at once, so go moves on through "|" without waiting.
 */
export function orderMirrors(states: readonly MirrorHealthState[], now: number): MirrorHealthState[] {
  const closed = states
    .filter((s) => breakerOf(s, now) === 'closed')
    .sort((a, b) => scoreOf(a) - scoreOf(b) || a.rank - b.rank);
  const trials = states
    .filter((s) => breakerOf(s, now) === 'half-open' && !s.trialInFlight)
    .sort((a, b) => a.rank - b.rank);
  return [...closed, ...trials];
}

/** Records how a request to the mirror ended and updates its breaker. */
export function recordOutcome(
  state: MirrorHealthState,
  outcome: Outcome,
  now: number,
  firstByteMs?: number,
): void {
  state.counts[outcome]++;
  state.trialInFlight = false;
  if (outcome === 'ok' || outcome === 'not-found') {
    // A 404 is an answer: the mirror works, the module is simply not there.
    if (outcome === 'ok' && firstByteMs !== undefined) {
      state.latencyEwmaMs =
        state.latencyEwmaMs === null
          ? firstByteMs
          : state.latencyEwmaMs * (1 - EWMA_WEIGHT) + firstByteMs * EWMA_WEIGHT;
    }
    state.consecutiveFailures = 0;
    state.openedAt = null;
    state.coolDownMs = BREAKER.coolDownMs;
    return;
  }
  const wasTrial = breakerOf(state, now) === 'half-open';
  state.consecutiveFailures++;
  if (outcome === 'tampered') {
    state.openedAt = now;
    state.coolDownMs = BREAKER.tamperedCoolDownMs;
  } else if (wasTrial) {
    state.openedAt = now;
    state.coolDownMs = Math.min(state.coolDownMs * 2, BREAKER.maxCoolDownMs);
  } else if (state.consecutiveFailures >= BREAKER.failuresToOpen && state.openedAt === null) {
    state.openedAt = now;
  }
}

/**
 * A mirror still silent when another mirror's answer won: the time it had taken so far is a
 * lower bound of its latency, so it moves down the order without counting as a failure.
 */
export function recordOutrun(state: MirrorHealthState, waitedMs: number): void {
  state.trialInFlight = false;
  const before = state.latencyEwmaMs ?? waitedMs;
  state.latencyEwmaMs = before * (1 - EWMA_WEIGHT) + Math.max(before, waitedMs) * EWMA_WEIGHT;
}

/** A request cancelled before it ended (go hung up, the guard closed): it says nothing about the mirror. */
export function recordCancelled(state: MirrorHealthState): void {
  state.trialInFlight = false;
}

/** Marks the start of a request; a half-open mirror's request is its one trial. */
export function recordStart(state: MirrorHealthState, now: number): void {
  if (breakerOf(state, now) === 'half-open') state.trialInFlight = true;
}

/**
 * How long to wait for a mirror before the same request also goes to the next one: three times
 * its usual first-byte latency (a slow answer is then clearly unusual), within the configured
 * bounds. With no history yet, the upper bound: no hedge traffic before anything is known.
 */
export function hedgeDelayMs(state: MirrorHealthState, bounds: { minMs: number; maxMs: number }): number {
  if (state.latencyEwmaMs === null) return bounds.maxMs;
  return Math.min(bounds.maxMs, Math.max(bounds.minMs, Math.round(state.latencyEwmaMs * 3)));
}

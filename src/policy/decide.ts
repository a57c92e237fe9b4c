import type { MirrorHealth } from '../probe/types.js';
import type { GuardState, MirrorTrack } from '../state/store.js';
import { goproxyProblem } from './goproxy-list.js';
import { guardGoproxy, withoutGuard } from './guard-mode.js';
import { nextTrack, type Standing } from './hysteresis.js';
import { privateModuleWarnings } from './private-modules.js';

// The decision engine: every rule GoProxyGuard follows when it chooses GOPROXY and GOSUMDB.
// Pure: it reads no clock, file or socket; `now` and every fact come in as arguments.

export interface PolicySettings {
  failAfter: number;
  recoverAfter: number;
  allowDirect: boolean;
}

export interface DecisionInput {
  mirrors: MirrorHealth[];
  /** The checksum database probed at its own URL. */
  database: { healthy: boolean; evidence: string };
  state: GuardState;
  policy: PolicySettings;
  sumdb: { name: string; url: string };
  /** What go uses now (effective values). */
  current: { GOPROXY: string; GOSUMDB: string; GOPRIVATE: string; GONOPROXY: string; GONOSUMDB: string };
  /** Guard mode (config guard.enabled): GOPROXY points go at the guard proxy on `listen`. */
  guard?: { enabled: boolean; listen: string };
  now: Date;
}

export interface PlannedMirror {
  name: string;
  url: string;
  verdict: MirrorHealth['verdict'];
  inList: boolean;
  why: string;
}

export interface Decision {
  goproxy: string;
  gosumdb: string;
  /** The GOPROXY list was kept from the last good run because no mirror works now. */
  keptLastGood: boolean;
  mirrors: PlannedMirror[];
  reasons: string[];
  warnings: string[];
}

const usable = (verdict: MirrorHealth['verdict']) => verdict === 'healthy' || verdict === 'degraded';
const rank = (verdict: MirrorHealth['verdict']) =>
  verdict === 'healthy' ? 0 : verdict === 'degraded' ? 1 : 2;

/** Why a mirror is where it is, for the plan's table and the reasons. */
function mirrorWhy(
  verdict: MirrorHealth['verdict'],
  ok: boolean,
  standing: Standing,
  track: MirrorTrack,
  policy: PolicySettings,
): string {
  switch (standing) {
    case 'first':
      return ok ? `${verdict} now` : `${verdict} now, never in the list yet`;
    case 'taken-out':
      return `taken out: ${track.failures} failed runs in a row (policy.failAfter ${policy.failAfter})`;
    case 'put-back':
      return `put back: ${track.successes} healthy runs in a row (policy.recoverAfter ${policy.recoverAfter})`;
    case 'failing':
      return `${verdict}, kept last: ${track.failures} of ${policy.failAfter} failed runs`;
    case 'recovering':
      return `${verdict}, still out: ${track.successes} of ${policy.recoverAfter} healthy runs`;
    case 'steady':
      return ok ? verdict : `${verdict}, out of the list`;
  }
}

/** Decides the configuration and the next state from this run's probe results. */
export function decide(input: DecisionInput): { decision: Decision; state: GuardState } {
  const { policy, state } = input;
  const reasons: string[] = [];
  const warnings = privateModuleWarnings(input.current);
  const previousList = (state.lastRun?.goproxy ?? input.current.GOPROXY).split(/[,|]/);

  // 1. Hysteresis: a mirror leaves the list after failAfter failed runs in a row and comes
  //    back after recoverAfter healthy runs in a row; a mirror seen for the first time is in
  //    the list exactly when it works now.
  const tracks: Record<string, MirrorTrack> = {};
  const planned: (PlannedMirror & { latency: number; position: number })[] = [];
  for (const mirror of input.mirrors) {
    const ok = usable(mirror.verdict);
    const { track, standing } = nextTrack(state.mirrors[mirror.name], ok, mirror.verdict, policy);
    const why = mirrorWhy(mirror.verdict, ok, standing, track, policy);
    if (standing === 'taken-out' || standing === 'put-back') reasons.push(`${mirror.name} ${why}`);
    tracks[mirror.name] = track;
    const position = previousList.indexOf(mirror.url);
    planned.push({
      name: mirror.name,
      url: mirror.url,
      verdict: mirror.verdict,
      inList: track.active,
      why,
      latency: mirror.latencyMs ?? Number.POSITIVE_INFINITY,
      position: position < 0 ? Number.POSITIVE_INFINITY : position,
    });
  }

  // 2. Order: healthy, then degraded, then failing mirrors still within their grace; within a
  //    class the previous order is kept (so jitter never rewrites the list), then latency.
  const inList = planned
    .filter((m) => m.inList)
    .sort((a, b) => rank(a.verdict) - rank(b.verdict) || a.position - b.position || a.latency - b.latency);
  const anyUsable = inList.some((m) => usable(m.verdict));

  // 3. Nothing works now: keep the last configuration that worked, and say so.
  const nameToken = sumdbNameToken(input.current.GOSUMDB, input.sumdb.name);
  let goproxy: string;
  let gosumdb = input.current.GOSUMDB;
  let keptLastGood = false;
  if (!anyUsable) {
    keptLastGood = true;
    goproxy = state.lastGood?.goproxy ?? input.current.GOPROXY;
    // Guard mode turned off while nothing works: the last good value without our guard in front.
    if (state.lastGood && !input.guard?.enabled) goproxy = withoutGuard(goproxy);
    gosumdb = state.lastGood?.gosumdb ?? input.current.GOSUMDB;
    reasons.push(
      state.lastGood
        ? `no mirror works now; keeping the last known good configuration (from ${state.lastGood.at})`
        : 'no mirror works now and none has worked before; keeping the current configuration',
    );
  } else {
    // 4. Join with | so go moves on after any error, not only 404/410; direct only if allowed.
    goproxy = [...inList.map((m) => m.url), ...(policy.allowDirect ? ['direct'] : [])].join('|');
    gosumdb = chooseSumdb(input, nameToken, inList, reasons, warnings);
  }

  // 5. Guard mode: the guard first, this list as go's way around it; set once, then left alone.
  if (input.guard?.enabled) {
    const plain = anyUsable ? goproxy.split('|') : [];
    const guarded = guardGoproxy({
      listen: input.guard.listen,
      current: input.current.GOPROXY,
      entries: plain,
      fallback: goproxy,
    });
    goproxy = guarded.goproxy;
    reasons.push(guarded.reason);
  }

  const problem = goproxyProblem(goproxy);
  if (problem) throw new Error(`internal: the decided GOPROXY ${problem}`); // mirror URLs are validated at load

  const nextState: GuardState = {
    version: 1,
    mirrors: tracks,
    ...(keptLastGood
      ? state.lastGood
        ? { lastGood: state.lastGood }
        : {}
      : { lastGood: { goproxy, gosumdb, at: input.now.toISOString() } }),
    ...(state.lastRun ? { lastRun: state.lastRun } : {}),
  };
  if (!keptLastGood && !input.guard?.enabled && reasons.length === 0)
    reasons.push(`GOPROXY lists the ${inList.length} usable mirror(s), best first`);
  return {
    decision: {
      goproxy,
      gosumdb,
      keptLastGood,
      mirrors: planned.map(({ latency: _l, position: _p, ...m }) => m),
      reasons,
      warnings,
    },
    state: nextState,
  };
}

/** GOSUMDB through the database itself when it answers, else through a mirror that proxies it. */
function chooseSumdb(
  input: DecisionInput,
  nameToken: string | undefined,
  inList: PlannedMirror[],
  reasons: string[],
  warnings: string[],
): string {
  const current = input.current.GOSUMDB;
  if (current === 'off') {
    warnings.push(
      'GOSUMDB is off: downloads are not checked against the checksum database; GoProxyGuard leaves your choice alone',
    );
    return current;
  }
  if (!nameToken) {
    reasons.push(
      `GOSUMDB (${current}) names another database than sumdb.name ${input.sumdb.name}; left as it is`,
    );
    return current;
  }
  if (input.database.healthy) {
    return input.sumdb.url === `https://${input.sumdb.name}` ? nameToken : `${nameToken} ${input.sumdb.url}`;
  }
  const proxying = input.mirrors.find(
    (m) => m.sumdb === 'proxied' && usable(m.verdict) && inList.some((listed) => listed.name === m.name),
  );
  if (proxying) {
    reasons.push(
      `the checksum database does not answer (${input.database.evidence}); using it through ${proxying.name}`,
    );
    return `${nameToken} ${proxying.url}/sumdb/${input.sumdb.name}`;
  }
  warnings.push(
    `the checksum database does not answer (${input.database.evidence}) and no usable mirror proxies it: new modules cannot be verified; GOSUMDB left as it is`,
  );
  return current;
}

/** The "name" or "name+key" part of GOSUMDB when it names our database, else undefined. */
function sumdbNameToken(gosumdb: string, name: string): string | undefined {
  const token = gosumdb.trim().split(/\s+/)[0] ?? '';
  return token === name || token.startsWith(`${name}+`) ? token : undefined;
}

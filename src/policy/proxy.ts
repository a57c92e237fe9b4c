import type { PROXY_TARGETS } from '../config/schema.js';
import type { ProxyHealth } from '../probe/proxy.js';
import type { SettingId } from '../settings/effector.js';
import { type SettingValue, winHttpValue } from '../settings/setting-value.js';
import type { MirrorTrack } from '../state/store.js';
import { type HysteresisPolicy, nextTrack, type Standing } from './hysteresis.js';

// The corporate proxy failover policy and what it means for each Windows setting.
// Pure: every fact comes in as an argument; nothing here reads the machine.

export type ProxyTarget = (typeof PROXY_TARGETS)[number];

export interface ProxyCandidate {
  name: string;
  url: string;
}

export interface ProxyDecisionInput {
  /** In order of preference. */
  candidates: ProxyCandidate[];
  health: ProxyHealth[];
  tracks: Record<string, MirrorTrack>;
  /** The candidate the settings point at now; null when GoProxyGuard set direct; undefined otherwise. */
  current: string | null | undefined;
  policy: { failAfter: number; recoverAfter: number };
  /** proxies.direct: clear the proxy when every candidate fails. */
  direct: boolean;
}

export interface PlannedProxy {
  name: string;
  url: string;
  verdict: ProxyHealth['verdict'];
  /** Healthy now and not taken out by hysteresis: a proxy GoProxyGuard may switch to. */
  eligible: boolean;
  why: string;
}

export interface ProxyDecision {
  /** The proxy to set; null to go direct; 'keep' to leave every proxy setting alone. */
  choice: ProxyCandidate | null | 'keep';
  proxies: PlannedProxy[];
  reasons: string[];
  warnings: string[];
}

/**
 * Chooses the proxy: stay on the current one until it has failed policy.failAfter runs in a
 * row; switch only to a candidate that is healthy in this very run; go back to a more preferred
 * candidate once it is eligible again (recoverAfter healthy runs after being taken out).
 */
export function decideProxy(input: ProxyDecisionInput): {
  decision: ProxyDecision;
  tracks: Record<string, MirrorTrack>;
} {
  const { policy } = input;
  const reasons: string[] = [];
  const warnings: string[] = [];
  const tracks: Record<string, MirrorTrack> = {};
  const planned: PlannedProxy[] = input.candidates.map((candidate) => {
    const health = input.health.find((h) => h.name === candidate.name);
    const verdict = health?.verdict ?? 'timeout';
    const ok = health?.healthy === true;
    const { track, standing } = nextTrack(input.tracks[candidate.name], ok, verdict, policy);
    const why = proxyWhy(verdict, ok, standing, track, policy);
    tracks[candidate.name] = track;
    return { ...candidate, verdict, eligible: track.active && ok, why };
  });

  const currentIndex = planned.findIndex((p) => p.name === input.current);
  const current = planned[currentIndex];
  const firstEligible = planned.find((p) => p.eligible);
  const pick = (p: PlannedProxy): ProxyCandidate => ({ name: p.name, url: p.url });
  let choice: ProxyDecision['choice'];
  if (current && tracks[current.name]?.active) {
    const preferred = planned.slice(0, currentIndex).find((p) => p.eligible);
    if (preferred) {
      choice = pick(preferred);
      reasons.push(`proxy ${preferred.name} is preferred over ${current.name} and healthy: switching back`);
    } else {
      choice = pick(current);
      reasons.push(
        current.eligible
          ? `proxy ${current.name} is healthy: kept`
          : `proxy ${current.name} is ${current.verdict} (${current.why}): kept until policy.failAfter`,
      );
    }
  } else if (firstEligible) {
    choice = pick(firstEligible);
    reasons.push(
      current
        ? `proxy ${current.name} ${current.why}: switching to ${firstEligible.name}, healthy now`
        : `proxy ${firstEligible.name} is the first healthy candidate`,
    );
  } else if (input.direct) {
    choice = null;
    reasons.push('no proxy candidate is healthy and proxies.direct allows it: going direct (no proxy)');
  } else {
    choice = 'keep';
    warnings.push(
      'no proxy candidate is healthy: the proxy settings are left as they are (set proxies.direct to go direct instead)',
    );
  }
  return { decision: { choice, proxies: planned, reasons, warnings }, tracks };
}

/** Why a proxy may or may not be switched to, for the plan's table and the reasons. */
function proxyWhy(
  verdict: ProxyHealth['verdict'],
  ok: boolean,
  standing: Standing,
  track: MirrorTrack,
  policy: HysteresisPolicy,
): string {
  switch (standing) {
    case 'taken-out':
      return `taken out: ${track.failures} failed runs in a row (policy.failAfter ${policy.failAfter})`;
    case 'put-back':
      return `eligible again: ${track.successes} healthy runs in a row (policy.recoverAfter ${policy.recoverAfter})`;
    case 'recovering':
      return `healthy, still out: ${track.successes} of ${policy.recoverAfter} healthy runs`;
    case 'failing':
      return `${verdict}, ${track.failures} of ${policy.failAfter} failed runs`;
    default:
      return ok ? 'healthy now' : `${verdict} now`;
  }
}

/** proxies.bypass in the dialect of each consumer, and what one of them cannot express. */
export function bypassLists(entries: readonly string[]): {
  noProxy: string;
  override: string;
  notes: string[];
} {
  const env: string[] = [];
  const windows: string[] = [];
  const notes: string[] = [];
  for (const entry of entries) {
    if (entry === '<local>') {
      windows.push(entry);
      notes.push(
        '<local> (names without a dot) has no NO_PROXY equivalent; it is used for WinINet and WinHTTP only',
      );
    } else if (entry.includes('/')) {
      env.push(entry);
      notes.push(`${entry}: WinINet and WinHTTP take no CIDR ranges; it is used for NO_PROXY only`);
    } else if (entry.startsWith('*.')) {
      env.push(entry.slice(1));
      windows.push(entry);
    } else if (entry.startsWith('.')) {
      env.push(entry);
      windows.push(`*${entry}`);
    } else {
      env.push(entry);
      windows.push(entry);
    }
  }
  return { noProxy: env.join(','), override: windows.join(';'), notes };
}

/** The host:port WinINet and WinHTTP take (they have no place for credentials). */
export const proxyServerOf = (url: string) => new URL(url).host;

/** A string value keeps the type it has (REG_EXPAND_SZ stays so); a new value is REG_SZ. */
function text(value: string, now: SettingValue | undefined): SettingValue {
  const type = now?.was === 'set' && now.type === 'REG_EXPAND_SZ' ? 'REG_EXPAND_SZ' : 'REG_SZ';
  return value === '' ? { was: 'unset' } : { was: 'set', type, value };
}

/**
 * The values each managed setting should have for a choice. `now` gives current types. Going
 * direct clears HTTP(S)_PROXY, turns WinINet's proxy off (keeping its server) and resets WinHTTP.
 */
export function proxySettingsFor(
  choice: ProxyCandidate | null,
  bypass: readonly string[],
  targets: readonly ProxyTarget[],
  now: Readonly<Record<string, SettingValue>>,
): Partial<Record<SettingId, SettingValue>> {
  const { noProxy, override } = bypassLists(bypass);
  const wanted: Partial<Record<SettingId, SettingValue>> = {};
  if (targets.includes('env')) {
    for (const name of ['HTTP_PROXY', 'HTTPS_PROXY'] as const) {
      wanted[`user-env:${name}`] = choice ? text(choice.url, now[`user-env:${name}`]) : { was: 'unset' };
    }
    if (choice) wanted['user-env:NO_PROXY'] = text(noProxy, now['user-env:NO_PROXY']);
  }
  if (targets.includes('wininet')) {
    wanted['wininet:ProxyEnable'] = { was: 'set', type: 'REG_DWORD', value: choice ? '1' : '0' };
    if (choice) {
      wanted['wininet:ProxyServer'] = text(proxyServerOf(choice.url), now['wininet:ProxyServer']);
      wanted['wininet:ProxyOverride'] = text(override, now['wininet:ProxyOverride']);
    }
  }
  if (targets.includes('winhttp')) {
    wanted['winhttp:proxy'] = winHttpValue(
      choice ? { proxyServer: proxyServerOf(choice.url), bypassList: override } : null,
    );
  }
  return wanted;
}

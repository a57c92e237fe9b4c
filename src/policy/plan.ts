import type { Config } from '../config/schema.js';
import type { HealthReport } from '../probe/run.js';
import { type Change, parseSettingId, type SettingId, type SettingValue } from '../settings/effector.js';
import { goEnvValue, sameValue, textOf } from '../settings/setting-value.js';
import type { GuardState } from '../state/store.js';
import { type Decision, decide } from './decide.js';
import {
  decideProxy,
  type ProxyDecision,
  type ProxyTarget,
  proxyServerOf,
  proxySettingsFor,
} from './proxy.js';

// Every rule GoProxyGuard follows, in one pure function: which go keys to write, what the
// verified checksum tree head leaves in the state, keeping the user environment's GOPROXY and
// GOSUMDB in step, and which corporate proxy goes into which Windows setting. The edges gather
// the facts (probe results, values now in place) and carry out the changes.

/** The go keys GoProxyGuard writes, and the go settings it reads to decide them. */
const MANAGED_GO_KEYS = ['GOPROXY', 'GOSUMDB'] as const;
type ManagedGoKey = (typeof MANAGED_GO_KEYS)[number];

/** go's settings as the edge read them (system/go-env.ts GoSettings has this shape). */
export interface GoFacts {
  envFile: string;
  /** What go uses: environment, then file, then default. */
  effective: Record<ManagedGoKey | 'GOPRIVATE' | 'GONOPROXY' | 'GONOSUMDB', string>;
  /** What go's env file sets. */
  file: Partial<Record<ManagedGoKey, string>>;
  /** Non-empty environment variables that override the file. */
  overrides: Partial<Record<ManagedGoKey, string>>;
}

/** What the edges found on Windows (absent elsewhere: nothing there is managed). */
export interface WindowsFacts {
  /** Whether this run is elevated (WinHTTP is machine-wide); asked only when WinHTTP is a target. */
  elevated: boolean;
  /** Every setting windowsSettingsToRead named, as read now. */
  values: Readonly<Record<string, SettingValue>>;
  /** Why WinHTTP could not be read (netsh printed something unreadable): it is left alone. */
  winhttpUnreadable?: string;
}

export interface PlanFacts {
  report: Pick<HealthReport, 'mirrors' | 'database' | 'proxies'>;
  go: GoFacts;
  windows?: WindowsFacts;
}

export interface PlanOutcome {
  decision: Decision;
  /** The corporate proxy decision; null when no candidates are configured or off Windows. */
  proxy: ProxyDecision | null;
  /** Every setting to change, go's first; empty when the machine already holds the plan. */
  changes: Change[];
  /** Backed up with the changes though not changed by name (WinINet's connection blob). */
  alsoBackUp: Record<SettingId, SettingValue>;
  nextState: GuardState;
  /** Why: the mirrors' reasons, then the proxy's. */
  reasons: string[];
  notes: string[];
}

const WINHTTP = 'winhttp:proxy';
const WININET_BLOB = 'wininet:DefaultConnectionSettings';
const WININET_PAC = 'wininet:AutoConfigURL';
const WININET_VALUES: SettingId[] = ['wininet:ProxyEnable', 'wininet:ProxyServer', 'wininet:ProxyOverride'];

/** Whether the edge must ask if this run is elevated: only WinHTTP needs it. */
export const needsElevation = (config: Pick<Config, 'proxies'>) =>
  config.proxies.candidates.length > 0 && config.proxies.targets.includes('winhttp');

/**
 * The Windows settings a plan reads: GOPROXY and GOSUMDB in the user environment (they override
 * go's env file), and each managed proxy target. The connection blob is read with the rest: it
 * is backed up when WinINet changes. WinHTTP only when elevated.
 */
export function windowsSettingsToRead(config: Pick<Config, 'proxies'>, elevated: boolean): SettingId[] {
  const { candidates, targets } = config.proxies;
  const ids: SettingId[] = ['user-env:GOPROXY', 'user-env:GOSUMDB'];
  if (candidates.length === 0) return ids;
  if (targets.includes('env')) ids.push('user-env:HTTP_PROXY', 'user-env:HTTPS_PROXY', 'user-env:NO_PROXY');
  if (targets.includes('wininet')) ids.push(...WININET_VALUES, WININET_PAC, WININET_BLOB);
  if (targets.includes('winhttp') && elevated) ids.push(WINHTTP);
  return ids;
}

/** Decides every change and the next state from the facts. Pure: `now` comes in. */
export function plan(facts: PlanFacts, state: GuardState, config: Config, now: Date): PlanOutcome {
  const { report, go } = facts;
  const { decision, state: nextState } = decide({
    mirrors: report.mirrors,
    database: report.database,
    state,
    policy: config.policy,
    sumdb: config.sumdb,
    current: go.effective,
    guard: config.guard,
    now,
  });
  const target: Record<ManagedGoKey, string> = { GOPROXY: decision.goproxy, GOSUMDB: decision.gosumdb };
  const changes: Change[] = [];
  for (const key of MANAGED_GO_KEYS) {
    const inFile = go.file[key];
    // Write when the file differs, unless the file is silent and go's default is already it.
    if (
      inFile === target[key] ||
      (inFile === undefined && !go.overrides[key] && go.effective[key] === target[key])
    )
      continue;
    changes.push({ setting: `go-env:${key}`, from: goEnvValue(inFile), to: goEnvValue(target[key]) });
  }
  // Remember the verified head so the next run can tell an extension from a fork; after a fork,
  // keep the head verified before, so every later run keeps saying so.
  const head = report.database.treeHead;
  const sumdbName = config.sumdb.name;
  if (head && !report.database.forked) nextState.sumdbHeads = { ...state.sumdbHeads, [sumdbName]: head };
  else if (state.sumdbHeads) nextState.sumdbHeads = state.sumdbHeads;

  const notes: string[] = [];
  if (report.database.forked) notes.push(report.database.evidence);
  const windows = planWindows(facts, state, config, target);
  changes.push(...windows.changes);
  if (windows.proxies) nextState.proxies = windows.proxies;
  notes.push(...windows.notes, ...(windows.proxy?.warnings ?? []));
  for (const key of MANAGED_GO_KEYS) {
    const override = go.overrides[key];
    // On Windows a user environment value is kept in step with the file; nothing to say.
    if (override !== undefined && !changes.some((c) => c.setting === `user-env:${key}`)) {
      notes.push(
        `${key} is set in the environment (${override}) and overrides go's env file: the file value GoProxyGuard writes has no effect for go started with that variable; remove it${facts.windows ? ' from your user environment' : ''} to let GoProxyGuard manage ${key}`,
      );
    }
  }
  return {
    decision,
    proxy: windows.proxy,
    changes,
    alsoBackUp: windows.alsoBackUp,
    nextState,
    reasons: [...decision.reasons, ...(windows.proxy?.reasons ?? [])],
    notes,
  };
}

/**
 * The Windows part: the chosen corporate proxy for each of proxies.targets, and GOPROXY/GOSUMDB
 * in the user environment when they are set there (they override go's env file, so they must
 * follow the decision too).
 */
function planWindows(
  facts: PlanFacts,
  state: GuardState,
  config: Config,
  target: Record<ManagedGoKey, string>,
): {
  proxy: ProxyDecision | null;
  changes: Change[];
  alsoBackUp: Record<SettingId, SettingValue>;
  notes: string[];
  proxies: GuardState['proxies'];
} {
  const { candidates, targets, bypass, direct } = config.proxies;
  const outcome = {
    proxy: null as ProxyDecision | null,
    changes: [] as Change[],
    alsoBackUp: {} as Record<SettingId, SettingValue>,
    notes: [] as string[],
    proxies: state.proxies,
  };
  const windows = facts.windows;
  if (!windows) {
    if (candidates.length > 0)
      outcome.notes.push(
        'proxy settings are managed on Windows only: the candidates were probed, nothing else',
      );
    return outcome;
  }
  const now = windows.values;
  let winhttp = targets.includes('winhttp') && candidates.length > 0;
  if (winhttp && !windows.elevated) {
    winhttp = false;
    outcome.notes.push(
      'WinHTTP was skipped: it is machine-wide and needs an elevated run (Run as administrator); env and WinINet are per user',
    );
  } else if (winhttp && windows.winhttpUnreadable) {
    winhttp = false;
    outcome.notes.push(windows.winhttpUnreadable);
  }
  const wanted = new Map<SettingId, SettingValue>();
  for (const key of MANAGED_GO_KEYS) {
    const inEnv = now[`user-env:${key}`];
    if (inEnv?.was !== 'set') continue;
    wanted.set(`user-env:${key}`, { was: 'set', type: inEnv.type, value: target[key] });
    outcome.notes.push(
      `${key} is set in your user environment and overrides go's env file: GoProxyGuard keeps it in step`,
    );
  }
  if (candidates.length > 0) {
    const { decision: proxy, tracks } = decideProxy({
      candidates,
      health: facts.report.proxies,
      tracks: state.proxies?.tracks ?? {},
      current:
        state.proxies?.current !== undefined ? state.proxies.current : currentCandidate(candidates, now),
      policy: config.policy,
      direct,
    });
    outcome.proxy = proxy;
    const effective: ProxyTarget[] = winhttp ? targets : targets.filter((t) => t !== 'winhttp');
    if (proxy.choice !== 'keep') {
      for (const [id, value] of Object.entries(proxySettingsFor(proxy.choice, bypass, effective, now))) {
        const setting = parseSettingId(id)?.id;
        if (setting && value) wanted.set(setting, value);
      }
    }
    outcome.proxies = {
      tracks,
      current: proxy.choice === 'keep' ? state.proxies?.current : (proxy.choice?.name ?? null),
    };
  }
  for (const [setting, to] of wanted) {
    const from = now[setting] ?? { was: 'unset' };
    if (!sameValue(from, to)) outcome.changes.push({ setting, from, to });
  }
  if (outcome.changes.some((c) => c.setting.startsWith('wininet:'))) {
    outcome.alsoBackUp = { [WININET_BLOB]: now[WININET_BLOB] ?? { was: 'unset' } };
    const pac = textOf(now[WININET_PAC]);
    if (pac) {
      outcome.notes.push(
        `WinINet uses a PAC file (AutoConfigURL ${pac}); the per-connection apply sets a fixed proxy and turns the PAC file off for browsers until goproxy-guard restore`,
      );
    }
  }
  return outcome;
}

/** The candidate the settings point at now, when GoProxyGuard has not chosen one yet. */
function currentCandidate(
  candidates: readonly { name: string; url: string }[],
  now: Readonly<Record<string, SettingValue>>,
): string | undefined {
  const enabled = textOf(now['wininet:ProxyEnable']) === '1';
  return candidates.find(
    (c) =>
      textOf(now['user-env:HTTPS_PROXY']) === c.url ||
      (enabled && textOf(now['wininet:ProxyServer']) === proxyServerOf(c.url)),
  )?.name;
}

import type { Config } from '../config/schema.js';
import type { Decision } from '../policy/decide.js';
import { decideProxy, type ProxyDecision, proxyServerOf, proxySettingsFor } from '../policy/proxy.js';
import type { ProxyHealth } from '../probe/proxy.js';
import { type RegistryValue, sameValue } from '../settings/setting-value.js';
import type { GuardState } from '../state/store.js';
import { windowsEffects } from '../system/platform.js';
import {
  readWindowsSettings,
  WINHTTP,
  WININET_BLOB,
  WININET_NAMES,
  WININET_PAC,
} from '../system/windows-settings.js';
import { isElevated, UnparseableOutput } from '../system/winhttp.js';

/** One Windows setting to change: its id ("user-env:HTTPS_PROXY"), the value now and the new one. */
export interface SystemChange {
  setting: string;
  from: RegistryValue;
  to: RegistryValue;
}

export interface SystemPlan {
  proxy: ProxyDecision | null;
  changes: SystemChange[];
  /** Values backed up with the changes though not changed by name (WinINet's connection blob). */
  alsoBackUp: Record<string, RegistryValue>;
  /** Every setting as read for this plan (what the notification after apply starts from). */
  current: Record<string, RegistryValue>;
  notes: string[];
  /** The proxy standing to remember after a successful apply. */
  proxies: GuardState['proxies'];
}

/**
 * Reads the Windows settings involved and decides their new values: the chosen corporate proxy
 * for each of proxies.targets, and GOPROXY/GOSUMDB in the user environment when they are set
 * there (they override go's env file, so they must follow the decision too). Changes nothing.
 */
export async function planSystem(
  config: Config,
  health: ProxyHealth[],
  decision: Decision,
  state: GuardState,
  env: NodeJS.ProcessEnv,
): Promise<SystemPlan> {
  const { candidates, targets, bypass, direct } = config.proxies;
  const plan: SystemPlan = {
    proxy: null,
    changes: [],
    alsoBackUp: {},
    current: {},
    notes: [],
    proxies: state.proxies,
  };
  if (!windowsEffects(env)) {
    if (candidates.length > 0)
      plan.notes.push('proxy settings are managed on Windows only: the candidates were probed, nothing else');
    return plan;
  }
  const ids: string[] = ['user-env:GOPROXY', 'user-env:GOSUMDB'];
  let winhttp = false;
  if (candidates.length > 0) {
    if (targets.includes('env')) ids.push('user-env:HTTP_PROXY', 'user-env:HTTPS_PROXY', 'user-env:NO_PROXY');
    // The connection blob is read with the rest: it is backed up if WinINet changes.
    if (targets.includes('wininet'))
      ids.push(...WININET_NAMES.map((n) => `wininet:${n}`), WININET_PAC, WININET_BLOB);
    if (targets.includes('winhttp')) {
      winhttp = await isElevated(env);
      if (winhttp) ids.push(WINHTTP);
      else
        plan.notes.push(
          'WinHTTP was skipped: it is machine-wide and needs an elevated run (Run as administrator); env and WinINet are per user',
        );
    }
  }
  // WinHTTP is read on its own: output netsh prints that cannot be read leaves only it alone.
  const [now, winhttpNow] = await Promise.all([
    readWindowsSettings(
      ids.filter((id) => id !== WINHTTP),
      env,
    ),
    winhttp
      ? readWindowsSettings([WINHTTP], env).catch((error: Error) => {
          if (!(error instanceof UnparseableOutput)) throw error;
          plan.notes.push(error.message);
          winhttp = false;
          return {};
        })
      : {},
  ]);
  Object.assign(now, winhttpNow);
  plan.current = now;
  const wanted: Record<string, RegistryValue> = {};
  for (const key of ['GOPROXY', 'GOSUMDB'] as const) {
    const inEnv = now[`user-env:${key}`] as RegistryValue;
    if (inEnv.was !== 'set') continue;
    const target = key === 'GOPROXY' ? decision.goproxy : decision.gosumdb;
    wanted[`user-env:${key}`] = { was: 'set', type: inEnv.type, value: target };
    plan.notes.push(
      `${key} is set in your user environment and overrides go's env file: GoProxyGuard keeps it in step`,
    );
  }
  if (candidates.length > 0) {
    const { decision: proxy, tracks } = decideProxy({
      candidates,
      health,
      tracks: state.proxies?.tracks ?? {},
      current:
        state.proxies?.current !== undefined ? state.proxies.current : currentCandidate(candidates, now),
      policy: config.policy,
      direct,
    });
    plan.proxy = proxy;
    const effective = winhttp ? targets : targets.filter((t) => t !== 'winhttp');
    if (proxy.choice !== 'keep')
      Object.assign(wanted, proxySettingsFor(proxy.choice, bypass, effective, now));
    plan.proxies = {
      tracks,
      current: proxy.choice === 'keep' ? state.proxies?.current : (proxy.choice?.name ?? null),
    };
  }
  for (const [setting, to] of Object.entries(wanted)) {
    const from = now[setting] as RegistryValue;
    if (!sameValue(from, to)) plan.changes.push({ setting, from, to });
  }
  if (plan.changes.some((c) => c.setting.startsWith('wininet:'))) {
    plan.alsoBackUp = { [WININET_BLOB]: now[WININET_BLOB] as RegistryValue };
    const pac = now[WININET_PAC];
    if (pac?.was === 'set' && pac.value) {
      plan.notes.push(
        `WinINet uses a PAC file (AutoConfigURL ${pac.value}); the per-connection apply sets a fixed proxy and turns the PAC file off for browsers until goproxy-guard restore`,
      );
    }
  }
  return plan;
}

/** The candidate the settings point at now, when GoProxyGuard has not chosen one yet. */
function currentCandidate(
  candidates: { name: string; url: string }[],
  now: Record<string, RegistryValue>,
): string | undefined {
  const value = (id: string) => {
    const v = now[id];
    return v?.was === 'set' ? v.value : undefined;
  };
  const enabled = value('wininet:ProxyEnable') === '1';
  return candidates.find(
    (c) =>
      value('user-env:HTTPS_PROXY') === c.url ||
      (enabled && value('wininet:ProxyServer') === proxyServerOf(c.url)),
  )?.name;
}

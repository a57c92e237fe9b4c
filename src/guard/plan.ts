import type { LoadedConfig } from '../config/load.js';
import type { ProxyRoute } from '../config/proxy-route.js';
import { readSettings } from '../effectors/index.js';
import type { Decision } from '../policy/decide.js';
import type { Pin } from '../policy/pin-hosts.js';
import { needsElevation, type PlanFacts, plan, windowsSettingsToRead } from '../policy/plan.js';
import type { ProxyDecision } from '../policy/proxy.js';
import type { DistroFollowing } from '../policy/wsl-go-env.js';
import type { DatabaseHealth } from '../probe/database.js';
import { type HealthReport, probeMirrors } from '../probe/run.js';
import { goChangeRows, systemChanges } from '../settings/change-rows.js';
import type { Change, SettingId, SettingValue } from '../settings/effector.js';
import { hideSecrets, showValue } from '../settings/setting-value.js';
import { stateDir, statePaths } from '../state/paths.js';
import { type GuardState, loadState } from '../state/store.js';
import { type GoKey, MANAGED_GO_KEYS, readGoSettings, sourceOf } from '../system/go-env.js';
import { windowsEffects } from '../system/platform.js';
import { isElevated, UnparseableOutput } from '../system/winhttp.js';
import { planPinsAndWsl } from './pins-and-wsl.js';

// plan and apply: gather the facts (probe results, go's settings, the Windows values involved),
// then ask policy/plan.ts, which holds every rule. Changes nothing.

export interface Plan {
  envFile: string;
  decision: Decision;
  /** The corporate proxy decision; null without candidates or off Windows. */
  proxy: ProxyDecision | null;
  /** Every setting to change, go's env file first, then the Windows settings, the hosts file and WSL. */
  changes: Change[];
  /** The hosts file's pins once the changes are made (issue #20), each with its proof. */
  pins: Pin[];
  /** Each WSL distribution's go settings and how it follows the decision (issue #20). */
  wsl: DistroFollowing[];
  /** Backed up with the changes though not changed by name (WinINet's connection blob). */
  alsoBackUp: Record<SettingId, SettingValue>;
  /** The mirrors' reasons, then the proxy's. */
  reasons: string[];
  /** What go uses now and where each value comes from. */
  current: { setting: GoKey; value: string; source: 'environment' | 'go env file' | 'go default' }[];
  database: DatabaseHealth;
  notes: string[];
  report: HealthReport;
  nextState: GuardState;
  /** The Windows values read for this plan (what the notification after apply starts from). */
  known: Record<string, SettingValue>;
}

/**
 * A progress event as the command passes it on (one arm of RuntimeEvent in commands/definition.ts,
 * written out here because guard sits below commands and never imports it).
 */
export interface PlanProgress {
  type: 'progress';
  activity: string;
  status: string;
  percent: number;
}

/** Probes, reads go's settings, the Windows settings involved and the state, and decides. */
export async function makePlan(
  loaded: LoadedConfig,
  env: NodeJS.ProcessEnv,
  emit: (progress: PlanProgress) => void,
  now: Date,
): Promise<Plan> {
  const { config } = loaded;
  const paths = statePaths(stateDir(env));
  const [{ state, note }, settings, windows] = await Promise.all([
    loadState(paths.state, now),
    readGoSettings(env),
    windowsEffects(env) ? readWindowsFacts(loaded, env) : undefined,
  ]);
  const probe = (probed: LoadedConfig['config'], route: ProxyRoute | undefined) =>
    probeMirrors(
      probed,
      loaded.extraCas,
      ({ done, total, mirror }) =>
        emit({
          type: 'progress',
          activity: 'Probing Go module mirrors',
          status: `${done}/${total}: ${mirror.name} is ${mirror.verdict}`,
          percent: Math.round((done / total) * 100),
        }),
      state.sumdbHeads?.[config.sumdb.name],
      route,
    );
  let report = await probe(config, loaded.route);
  const decideOn = (probed: HealthReport) =>
    plan({ report: probed, go: settings, ...(windows ? { windows } : {}) }, state, config, now);
  let planned = decideOn(report);
  // The mirrors were probed through the proxy this process's environment names. When the plan
  // moves go to another proxy (the one named is dead), go will reach the mirrors through the new
  // one: judge them again that way, or a dead proxy would make every mirror look down and keep
  // the GOPROXY it should have fixed. The proxies themselves were judged already.
  const moved = routeAfterSwitch(planned.proxy, loaded.route, config.proxies.targets);
  if (moved) {
    const again = await probe({ ...config, proxies: { ...config.proxies, candidates: [] } }, moved.route);
    report = { ...again, proxies: report.proxies };
    planned = decideOn(report);
  }
  const extra = await planPinsAndWsl(loaded, env, planned.decision);
  return {
    envFile: settings.envFile,
    decision: planned.decision,
    proxy: planned.proxy,
    changes: [...planned.changes, ...extra.changes],
    pins: extra.pins,
    wsl: extra.wsl,
    alsoBackUp: planned.alsoBackUp,
    reasons: planned.reasons,
    current: MANAGED_GO_KEYS.map((key) => ({
      setting: key,
      value: settings.effective[key],
      source: sourceOf(settings, key),
    })),
    database: report.database,
    notes: [...(note ? [note] : []), ...planned.notes, ...extra.notes],
    report,
    // Kept for status and doctor, which do not probe: what pins and distributions the last plan saw.
    nextState: {
      ...planned.nextState,
      ...(extra.pins.length > 0 ? { pins: extra.pins } : {}),
      ...(extra.wsl.length > 0 ? { wsl: extra.wsl } : {}),
    },
    known: windows?.values ?? {},
  };
}

/**
 * The route go takes once the proxy decision is carried out, when it differs from the one the
 * mirrors were probed through; undefined when go's route stays (no switch, or go does not read
 * the proxy from the user environment because proxies.targets leaves out "env").
 */
export function routeAfterSwitch(
  decision: ProxyDecision | null,
  probedThrough: ProxyRoute | undefined,
  targets: readonly string[],
): { route: ProxyRoute | undefined } | undefined {
  if (!decision || decision.choice === 'keep' || !targets.includes('env')) return undefined;
  if (decision.choice === null) return probedThrough ? { route: undefined } : undefined;
  const proxy = new URL(decision.choice.url);
  if (probedThrough?.https?.href === proxy.href && probedThrough.http?.href === proxy.href) return undefined;
  return { route: { https: proxy, http: proxy, noProxy: probedThrough?.noProxy ?? [] } };
}

/** The Windows settings the policy needs; WinHTTP read on its own, so unreadable netsh output leaves only it alone. */
async function readWindowsFacts(loaded: LoadedConfig, env: NodeJS.ProcessEnv): Promise<PlanFacts['windows']> {
  const context = { env, config: loaded.config };
  const elevated = needsElevation(loaded.config) ? await isElevated(env) : false;
  const ids = windowsSettingsToRead(loaded.config, elevated);
  let winhttpUnreadable: string | undefined;
  const [values, winhttp] = await Promise.all([
    readSettings(
      ids.filter((id) => !id.startsWith('winhttp:')),
      context,
    ),
    readSettings(
      ids.filter((id) => id.startsWith('winhttp:')),
      context,
    ).catch((error: Error) => {
      if (!(error instanceof UnparseableOutput)) throw error;
      winhttpUnreadable = error.message;
      return {};
    }),
  ]);
  return { elevated, values: { ...values, ...winhttp }, ...(winhttpUnreadable ? { winhttpUnreadable } : {}) };
}

/** The JSON document for plan and apply: what a person or script needs, not internals. */
export function planDocument(plan: Plan, extra: Record<string, unknown> = {}) {
  return {
    envFile: plan.envFile,
    goproxy: plan.decision.goproxy,
    gosumdb: plan.decision.gosumdb,
    keptLastGood: plan.decision.keptLastGood,
    changes: goChangeRows(plan.changes),
    current: plan.current,
    reasons: plan.decision.reasons,
    warnings: plan.decision.warnings,
    notes: plan.notes,
    mirrors: plan.decision.mirrors,
    database: plan.database,
    systemChanges: systemChanges(plan.changes).map(({ setting, from, to }) => ({
      setting,
      from: showValue(from),
      to: showValue(to),
    })),
    pins: plan.pins,
    wsl: plan.wsl,
    proxy: plan.proxy
      ? {
          choice: plan.proxy.choice === 'keep' ? 'keep' : (plan.proxy.choice?.name ?? 'direct'),
          reasons: plan.proxy.reasons,
          proxies: plan.proxy.proxies.map((p) => ({ ...p, url: hideSecrets(p.url) })),
        }
      : null,
    ...extra,
  };
}

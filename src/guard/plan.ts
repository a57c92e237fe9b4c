import type { LoadedConfig } from '../config/load.js';
import { type Decision, decide } from '../policy/decide.js';
import type { DatabaseHealth } from '../probe/database.js';
import { type HealthReport, probeMirrors } from '../probe/run.js';
import { hideSecrets, showValue } from '../settings/setting-value.js';
import { stateDir, statePaths } from '../state/paths.js';
import { type GuardState, loadState } from '../state/store.js';
import { type GoKey, type GoSettings, MANAGED_GO_KEYS, readGoSettings, sourceOf } from '../system/go-env.js';
import { planSystem, type SystemPlan } from './system-plan.js';

export interface SettingChange {
  setting: GoKey;
  /** The go env file value now; null when the file does not set it. */
  from: string | null;
  to: string;
}

export interface Plan {
  envFile: string;
  decision: Decision;
  changes: SettingChange[];
  /** What go uses now and where each value comes from. */
  current: { setting: GoKey; value: string; source: 'environment' | 'go env file' | 'go default' }[];
  database: DatabaseHealth;
  notes: string[];
  report: HealthReport;
  nextState: GuardState;
  settings: GoSettings;
  /** Windows settings: the corporate proxy and user environment variables. */
  system: SystemPlan;
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

/** Probes, reads go's settings and the state, and decides. Changes nothing. */
export async function makePlan(
  loaded: LoadedConfig,
  env: NodeJS.ProcessEnv,
  emit: (progress: PlanProgress) => void,
  now: Date,
): Promise<Plan> {
  const paths = statePaths(stateDir(env));
  const [{ state, note }, settings] = await Promise.all([loadState(paths.state, now), readGoSettings(env)]);
  const sumdbName = loaded.config.sumdb.name;
  const report = await probeMirrors(
    loaded.config,
    loaded.extraCas,
    ({ done, total, mirror }) =>
      emit({
        type: 'progress',
        activity: 'Probing Go module mirrors',
        status: `${done}/${total}: ${mirror.name} is ${mirror.verdict}`,
        percent: Math.round((done / total) * 100),
      }),
    state.sumdbHeads?.[sumdbName],
    loaded.route,
  );
  const { decision, state: nextState } = decide({
    mirrors: report.mirrors,
    database: report.database,
    state,
    policy: loaded.config.policy,
    sumdb: loaded.config.sumdb,
    current: settings.effective,
    guard: loaded.config.guard,
    now,
  });
  const changes: SettingChange[] = [];
  for (const key of MANAGED_GO_KEYS) {
    const target = key === 'GOPROXY' ? decision.goproxy : decision.gosumdb;
    const inFile = settings.file[key];
    // Write when the file differs, unless the file is silent and go's default is already it.
    if (
      inFile === target ||
      (inFile === undefined && !settings.overrides[key] && settings.effective[key] === target)
    )
      continue;
    changes.push({ setting: key, from: inFile ?? null, to: target });
  }
  // Remember the verified head so the next run can tell an extension from a fork; after a fork,
  // keep the head verified before, so every later run keeps saying so.
  const head = report.database.treeHead;
  if (head && !report.database.forked) nextState.sumdbHeads = { ...state.sumdbHeads, [sumdbName]: head };
  else if (state.sumdbHeads) nextState.sumdbHeads = state.sumdbHeads;
  const system = await planSystem(loaded.config, report.proxies, decision, state, env);
  if (system.proxies) nextState.proxies = system.proxies;
  const notes = note ? [note] : [];
  if (report.database.forked) notes.push(report.database.evidence);
  notes.push(...system.notes, ...(system.proxy?.warnings ?? []));
  for (const key of MANAGED_GO_KEYS) {
    const override = settings.overrides[key];
    // On Windows a user environment value is rewritten with the file (system plan); say nothing.
    if (override !== undefined && !system.changes.some((c) => c.setting === `user-env:${key}`)) {
      notes.push(
        `${key} is set in the environment (${override}) and overrides go's env file: the file value GoProxyGuard writes has no effect for go started with that variable; remove it${process.platform === 'win32' ? ' from your user environment' : ''} to let GoProxyGuard manage ${key}`,
      );
    }
  }
  return {
    envFile: settings.envFile,
    decision,
    changes,
    current: MANAGED_GO_KEYS.map((key) => ({
      setting: key,
      value: settings.effective[key],
      source: sourceOf(settings, key),
    })),
    database: report.database,
    notes,
    report,
    nextState,
    settings,
    system,
  };
}

/** The JSON document for plan and apply: what a person or script needs, not internals. */
export function planDocument(plan: Plan, extra: Record<string, unknown> = {}) {
  return {
    envFile: plan.envFile,
    goproxy: plan.decision.goproxy,
    gosumdb: plan.decision.gosumdb,
    keptLastGood: plan.decision.keptLastGood,
    changes: plan.changes,
    current: plan.current,
    reasons: plan.decision.reasons,
    warnings: plan.decision.warnings,
    notes: plan.notes,
    mirrors: plan.decision.mirrors,
    database: plan.database,
    systemChanges: plan.system.changes.map(({ setting, from, to }) => ({
      setting,
      from: showValue(from),
      to: showValue(to),
    })),
    proxy: plan.system.proxy
      ? {
          choice: plan.system.proxy.choice === 'keep' ? 'keep' : (plan.system.proxy.choice?.name ?? 'direct'),
          reasons: plan.system.proxy.reasons,
          proxies: plan.system.proxy.proxies.map((p) => ({ ...p, url: hideSecrets(p.url) })),
        }
      : null,
    ...extra,
  };
}

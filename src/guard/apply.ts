import type { LoadedConfig } from '../config/load.js';
import { goChangeRows, systemChanges } from '../settings/change-rows.js';
import type { EffectorContext } from '../settings/effector.js';
import { appendHistory } from '../state/history.js';
import type { StatePaths } from '../state/paths.js';
import { saveState } from '../state/store.js';
import { carryOut, crashPoint } from './carry-out.js';
import { makePlan, type Plan, type PlanProgress } from './plan.js';

export { CRASH_STEPS, crashPoint, VerifyError } from './carry-out.js';

export interface ApplyResult {
  changed: boolean;
  verified: boolean;
  /** What Windows was told (broadcast, WinINet), or why it could not be. */
  notified?: string[];
}

/**
 * Applies a plan through the one loop (carry-out.ts): back up every original value first (and
 * each effector's byte copy), record the decision, write, read back, put everything back on any
 * mismatch, tell Windows; then save state and history. The caller holds the run lock.
 */
export async function applyPlan(
  plan: Plan,
  paths: StatePaths,
  context: EffectorContext,
  now: Date,
): Promise<ApplyResult> {
  const at = now.toISOString();
  const { env } = context;
  const lastRun = (changed: boolean) => ({ at, command: 'apply', goproxy: plan.decision.goproxy, changed });
  if (plan.changes.length === 0) {
    await saveState(paths.state, { ...plan.nextState, lastRun: lastRun(false) });
    await appendHistory(paths.history, {
      at,
      command: 'apply',
      event: 'kept',
      goproxy: plan.decision.goproxy,
      reasons: plan.decision.reasons,
    });
    return { changed: false, verified: true };
  }
  const system = systemChanges(plan.changes);
  const { notified } = await carryOut(plan.changes, context, {
    backup: { paths, goEnvFile: plan.envFile, alsoBackUp: plan.alsoBackUp, now },
    beforeWrite: () =>
      appendHistory(paths.history, {
        at,
        command: 'apply',
        event: 'decision',
        changes: goChangeRows(plan.changes),
        ...(system.length > 0 ? { systemChanges: system } : {}),
        reasons: plan.reasons,
        verdicts: Object.fromEntries(plan.report.mirrors.map((m) => [m.name, m.verdict])),
        ...(plan.report.proxies.length > 0
          ? { proxyVerdicts: Object.fromEntries(plan.report.proxies.map((p) => [p.name, p.verdict])) }
          : {}),
      }),
    onMismatch: 'roll back',
    known: plan.known,
  });
  await saveState(paths.state, { ...plan.nextState, lastRun: lastRun(true) });
  crashPoint('after-state', env);
  await appendHistory(paths.history, {
    at,
    command: 'apply',
    event: 'change',
    changes: goChangeRows(plan.changes),
    ...(system.length > 0 ? { systemChanges: system, notified } : {}),
    envFile: plan.envFile,
  });
  return { changed: true, verified: true, notified };
}

/** One cycle of apply and the scheduled run: plan with fresh facts, then carry it out. The caller holds the run lock. */
export async function planAndApply(
  loaded: LoadedConfig,
  paths: StatePaths,
  env: NodeJS.ProcessEnv,
  emit: (progress: PlanProgress) => void,
  now: Date,
): Promise<{ planned: Plan; result: ApplyResult }> {
  const planned = await makePlan(loaded, env, emit, now);
  const result = await applyPlan(planned, paths, { env, config: loaded.config }, now);
  return { planned, result };
}

import { copyFile } from 'node:fs/promises';
import { extendBackup, type OriginalValue, readBackup } from '../state/backup.js';
import { appendHistory } from '../state/history.js';
import type { StatePaths } from '../state/paths.js';
import { saveState } from '../state/store.js';
import { type GoKey, readGoSettings, writeGoSettings } from '../system/go-env.js';
import type { Plan } from './plan.js';

/**
 * Test hook: GOPROXYGUARD_CRASH_AT=<step> kills the process at that step, as a power cut or
 * Task Manager would, so the tests can prove every step leaves a recoverable machine.
 */
export function crashPoint(step: string, env: NodeJS.ProcessEnv): void {
  if (env.GOPROXYGUARD_CRASH_AT === step) process.kill(process.pid, 'SIGKILL');
}

export class VerifyError extends Error {
  override name = 'VerifyError';
}

export interface ApplyResult {
  changed: boolean;
  verified: boolean;
}

/**
 * Applies a plan: back up every original value first (and a byte copy of the go env file), record
 * the decision, write with `go env -w`, read back to verify, then save state and history. A
 * failed verification puts the previous values back. The caller holds the run lock.
 */
export async function applyPlan(
  plan: Plan,
  paths: StatePaths,
  env: NodeJS.ProcessEnv,
  now: Date,
): Promise<ApplyResult> {
  const at = now.toISOString();
  if (plan.changes.length === 0) {
    await saveState(paths.state, {
      ...plan.nextState,
      lastRun: { at, command: 'apply', goproxy: plan.decision.goproxy, changed: false },
    });
    await appendHistory(paths.history, {
      at,
      command: 'apply',
      event: 'kept',
      goproxy: plan.decision.goproxy,
      reasons: plan.decision.reasons,
    });
    return { changed: false, verified: true };
  }
  const originals: Record<string, OriginalValue> = {};
  for (const change of plan.changes) {
    originals[`go-env:${change.setting}`] =
      change.from === null ? { was: 'unset' } : { was: 'set', value: change.from };
  }
  if (!(await readBackup(paths.backup))) await copyGoEnv(plan.envFile, paths.goEnvCopy);
  await extendBackup(paths.backup, plan.envFile, originals, now);
  crashPoint('after-backup', env);
  await appendHistory(paths.history, {
    at,
    command: 'apply',
    event: 'decision',
    changes: plan.changes,
    reasons: plan.decision.reasons,
    verdicts: Object.fromEntries(plan.report.mirrors.map((m) => [m.name, m.verdict])),
  });
  crashPoint('after-decision', env);
  const go = plan.settings.go;
  await writeGoSettings(
    go,
    plan.changes.map((c) => ({ key: c.setting, value: c.to })),
    env,
  );
  crashPoint('after-write', env);
  const after = await readGoSettings(env);
  const wrong = plan.changes.filter((c) => after.file[c.setting] !== c.to);
  if (wrong.length > 0) {
    // Put back what was there, so a half-applied change never stays.
    await writeGoSettings(
      go,
      plan.changes.map((c) => ({ key: c.setting as GoKey, value: c.from ?? undefined })),
      env,
    );
    throw new VerifyError(
      `go's env file ${plan.envFile} does not hold what was written (${wrong.map((c) => `${c.setting}=${after.file[c.setting] ?? '(unset)'}`).join(', ')}); the previous values were put back`,
    );
  }
  crashPoint('after-verify', env);
  await saveState(paths.state, {
    ...plan.nextState,
    lastRun: { at, command: 'apply', goproxy: plan.decision.goproxy, changed: true },
  });
  crashPoint('after-state', env);
  await appendHistory(paths.history, {
    at,
    command: 'apply',
    event: 'change',
    changes: plan.changes,
    envFile: plan.envFile,
  });
  return { changed: true, verified: true };
}

/** A byte copy of the go env file before the first change: the last resort if all else fails. */
async function copyGoEnv(envFile: string, copy: string): Promise<void> {
  try {
    await copyFile(envFile, copy);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

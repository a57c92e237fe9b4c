import { GuardError } from '../config/errors.js';
import { readUserBytes } from '../config/read-file.js';
import type { RegistryValue } from '../settings/setting-value.js';
import { writeFileAtomic } from '../state/atomic.js';
import { extendBackup, type OriginalValue, readBackup } from '../state/backup.js';
import { appendHistory } from '../state/history.js';
import type { StatePaths } from '../state/paths.js';
import { saveState } from '../state/store.js';
import { type GoKey, MAX_GO_ENV_BYTES, readGoSettings, writeGoSettings } from '../system/go-env.js';
import { writeWindowsSettings } from '../system/windows-settings.js';
import { notifyWindows } from './notify.js';
import type { Plan } from './plan.js';
import type { SystemChange } from './system-plan.js';

/** The steps of apply, in order, at which the crash test hook can kill it. */
export const CRASH_STEPS = [
  'before-backup',
  'after-backup',
  'after-decision',
  'after-write',
  'after-verify',
  'after-system',
  'after-state',
] as const;

/**
 * Test hook: GOPROXYGUARD_CRASH_AT=<step> kills the process at that step, as a power cut or
 * Task Manager would, so the tests can prove every step leaves a recoverable machine. A step
 * name that is not one of CRASH_STEPS is refused: a test that misspells it would otherwise let
 * apply run to the end and prove nothing.
 */
export function crashPoint(step: (typeof CRASH_STEPS)[number], env: NodeJS.ProcessEnv): void {
  const wanted = env.GOPROXYGUARD_CRASH_AT;
  if (wanted && !(CRASH_STEPS as readonly string[]).includes(wanted))
    throw new Error(`GOPROXYGUARD_CRASH_AT=${wanted} names no step of apply (${CRASH_STEPS.join(', ')})`);
  if (wanted === step) process.kill(process.pid, 'SIGKILL');
}

/** A change that did not read back as written; the previous values were put back. */
export class VerifyError extends GuardError {
  override name = 'VerifyError';
  constructor(message: string) {
    super('unverified', message, 'VerifyFailed', 'WriteError');
  }
}

export interface ApplyResult {
  changed: boolean;
  verified: boolean;
  /** What Windows was told (broadcast, WinINet), or why it could not be. */
  notified?: string[];
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
  const system = plan.system.changes;
  if (plan.changes.length === 0 && system.length === 0) {
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
  const originals: Record<string, OriginalValue> = { ...plan.system.alsoBackUp };
  for (const change of plan.changes) {
    originals[`go-env:${change.setting}`] =
      change.from === null ? { was: 'unset' } : { was: 'set', value: change.from };
  }
  for (const change of system) originals[change.setting] = change.from;
  crashPoint('before-backup', env);
  if (!(await readBackup(paths.backup))) await copyGoEnv(plan.envFile, paths.goEnvCopy);
  await extendBackup(paths.backup, plan.envFile, originals, now);
  crashPoint('after-backup', env);
  await appendHistory(paths.history, {
    at,
    command: 'apply',
    event: 'decision',
    changes: plan.changes,
    ...(system.length > 0 ? { systemChanges: system } : {}),
    reasons: [...plan.decision.reasons, ...(plan.system.proxy?.reasons ?? [])],
    verdicts: Object.fromEntries(plan.report.mirrors.map((m) => [m.name, m.verdict])),
    ...(plan.report.proxies.length > 0
      ? { proxyVerdicts: Object.fromEntries(plan.report.proxies.map((p) => [p.name, p.verdict])) }
      : {}),
  });
  crashPoint('after-decision', env);
  const go = plan.settings.go;
  const putGoBack = () =>
    writeGoSettings(
      go,
      plan.changes.map((c) => ({ key: c.setting as GoKey, value: c.from ?? undefined })),
      env,
    );
  if (plan.changes.length > 0) {
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
      await putGoBack();
      throw new VerifyError(
        `go's env file ${plan.envFile} does not hold what was written (${wrong.map((c) => `${c.setting}=${after.file[c.setting] ?? '(unset)'}`).join(', ')}); the previous values were put back`,
      );
    }
  }
  crashPoint('after-verify', env);
  const notified =
    system.length > 0 ? await applySystemChanges(system, plan.system.current, env, putGoBack) : [];
  crashPoint('after-system', env);
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
    ...(system.length > 0 ? { systemChanges: system, notified } : {}),
    envFile: plan.envFile,
  });
  return { changed: true, verified: true, notified };
}

/**
 * Writes the Windows settings and reads them back; on a mismatch puts every one of them (and
 * go's values) back and fails. Then tells Windows: the environment broadcast after user
 * environment changes, WinINet's per-connection apply after WinINet changes.
 */
async function applySystemChanges(
  changes: SystemChange[],
  current: Record<string, RegistryValue>,
  env: NodeJS.ProcessEnv,
  putGoBack: () => Promise<void>,
): Promise<string[]> {
  const putBack = async () => {
    const stuck = await writeWindowsSettings(
      Object.fromEntries(changes.map((c) => [c.setting, c.from])),
      env,
      {
        keepGoing: true,
      },
    );
    await putGoBack();
    return stuck;
  };
  let wrong: string[];
  try {
    wrong = await writeWindowsSettings(Object.fromEntries(changes.map((c) => [c.setting, c.to])), env);
  } catch (error) {
    // A tool failed half-way (reg.exe refused a value, netsh lacked rights): undo what was done.
    const stuck = await putBack();
    throw new VerifyError(`${(error as Error).message}; ${putBackSays(stuck)}`);
  }
  if (wrong.length > 0) {
    const stuck = await putBack();
    throw new VerifyError(`${wrong.join(', ')} did not read back as written; ${putBackSays(stuck)}`);
  }
  const now = { ...current, ...Object.fromEntries(changes.map((c) => [c.setting, c.to])) };
  return notifyWindows(
    changes.map((c) => c.setting),
    env,
    now,
  );
}

/**
 * A byte copy of the go env file before the first change: the last resort if all else fails.
 * Written atomically, so a `go-env.before` link is replaced, never followed.
 */
async function copyGoEnv(envFile: string, copy: string): Promise<void> {
  let bytes: Buffer;
  try {
    bytes = await readUserBytes(envFile, MAX_GO_ENV_BYTES, "go's env file");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  await writeFileAtomic(copy, bytes);
}

const putBackSays = (stuck: string[]) =>
  stuck.length === 0
    ? 'every value was put back as it was'
    : `${stuck.join(', ')} could not be put back: run goproxy-guard restore (the backup holds the originals)`;

import { GuardError } from '../config/errors.js';
import { hostsFilePath } from '../effectors/hosts.js';
import { byKind, notifyChanges, readSettings } from '../effectors/index.js';
import {
  type Change,
  type EffectorContext,
  parseSettingId,
  type SettingId,
  type SettingValue,
  WriteRefused,
} from '../settings/effector.js';
import { sameValue } from '../settings/setting-value.js';
import { extendBackup, readBackup } from '../state/backup.js';
import type { StatePaths } from '../state/paths.js';

// The one loop every machine change goes through, whatever its kind, for apply, the scheduled
// run and restore: back up (with each effector's byte copy), write kind by kind, read everything
// back, put everything back on any mismatch or tool failure, then tell the system.

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
export type CrashStep = (typeof CRASH_STEPS)[number];

/**
 * Test hook: GOPROXYGUARD_CRASH_AT=<step> kills the process at that step, as a power cut or
 * Task Manager would, so the tests can prove every step leaves a recoverable machine. A step
 * name that is not one of CRASH_STEPS is refused: a test that misspells it would otherwise let
 * apply run to the end and prove nothing.
 */
export function crashPoint(step: CrashStep, env: NodeJS.ProcessEnv): void {
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

export interface CarryOutOptions {
  /**
   * Apply: record the original of every changed setting (and of `alsoBackUp`) before the first
   * write, with each effector's byte copy when there is no backup yet. Restore has none: the
   * backup is what it writes.
   */
  backup?: {
    paths: StatePaths;
    goEnvFile: string;
    alsoBackUp: Readonly<Record<SettingId, SettingValue>>;
    now: Date;
  };
  /** Runs once the backup holds every original, before the first write (apply records its decision). */
  beforeWrite?: () => Promise<void>;
  /**
   * 'roll back' (apply): any tool failure or mismatch puts every value back and throws a
   * VerifyError. 'keep going' (restore): write all that can be written and return the ids that
   * still differ, with the tool's words when it refused.
   */
  onMismatch: 'roll back' | 'keep going';
  /** Values the caller already read (the plan's facts), so the notification reads no more. */
  known?: Readonly<Record<string, SettingValue>>;
}

export interface CarryOutResult {
  /** Ids that do not hold their new value ('keep going' only; empty after a roll back). */
  stuck: string[];
  /** What the system was told (broadcast, WinINet), or why it could not be; none when stuck. */
  notified: string[];
}

export async function carryOut(
  changes: readonly Change[],
  context: EffectorContext,
  options: CarryOutOptions,
): Promise<CarryOutResult> {
  const { env } = context;
  const { backup } = options;
  if (backup) {
    crashPoint('before-backup', env);
    // Each kind's byte copy before its FIRST change: a kind the backup holds nothing of yet (the
    // hosts file pinned only by a later, elevated apply) gets its copy now.
    const held = Object.keys((await readBackup(backup.paths.backup))?.settings ?? {});
    const heldKinds = new Set(held.map((id) => parseSettingId(id)?.kind));
    for (const [effector] of byKind(changes.map((c) => [c.setting, c] as const)))
      if (!heldKinds.has(effector.kind)) await effector.snapshot?.(backup.paths.dir, context);
    const originals = {
      ...backup.alsoBackUp,
      ...Object.fromEntries(changes.map((c) => [c.setting, c.from])),
    };
    const hostsFile = changes.some((c) => c.setting.startsWith('hosts:'))
      ? hostsFilePath(context)
      : undefined;
    await extendBackup(backup.paths.backup, backup.goEnvFile, originals, backup.now, hostsFile);
    crashPoint('after-backup', env);
  }
  await options.beforeWrite?.();
  if (backup) crashPoint('after-decision', env);
  const keepGoing = options.onMismatch === 'keep going';
  const refused = new Map<string, string>();
  try {
    for (const [effector, items] of byKind(changes.map((c) => [c.setting, c.to] as const))) {
      try {
        await effector.write(Object.fromEntries(items), context);
      } catch (error) {
        if (!keepGoing) throw error;
        const said = error instanceof WriteRefused ? error.refused : undefined;
        for (const [name] of items)
          refused.set(`${effector.kind}:${name}`, said ? (said[name] ?? '') : (error as Error).message);
      }
    }
  } catch (error) {
    // A tool failed half-way (go env -w, reg.exe refused a value, netsh lacked rights): undo what
    // was done. An error that already says whose fault it is (ToolFailed) keeps its class.
    const says = `${(error as Error).message}; ${putBackSays(await putBack(changes, context))}`;
    if (!(error instanceof GuardError)) throw new VerifyError(says);
    error.message = says;
    throw error;
  }
  if (backup) crashPoint('after-write', env);
  const { wrong, after } = await readBack(
    changes.map((c) => [c.setting, c.to]),
    context,
  );
  if (wrong.length > 0) {
    const named = wrong.map((id) => (refused.get(id) ? `${id} (${refused.get(id)})` : id));
    if (keepGoing) return { stuck: named, notified: [] };
    throw new VerifyError(
      `${named.join(', ')} did not read back as written; ${putBackSays(await putBack(changes, context))}`,
    );
  }
  if (backup) crashPoint('after-verify', env);
  const notified = await notifyChanges(changes, context, { ...options.known, ...after });
  if (backup) crashPoint('after-system', env);
  return { stuck: [], notified };
}

/** Reads every setting back; the ids that do not hold the value expected, and what was read. */
async function readBack(
  expected: readonly (readonly [SettingId, SettingValue])[],
  context: EffectorContext,
): Promise<{ wrong: SettingId[]; after: Record<string, SettingValue> }> {
  const after = await readSettings(
    expected.map(([id]) => id),
    context,
  );
  const wrong = expected
    .filter(([id, value]) => !sameValue(after[id] ?? { was: 'unset' }, value))
    .map(([id]) => id);
  return { wrong, after };
}

/** Puts every previous value back, past any refusal; the ids that still differ. */
async function putBack(changes: readonly Change[], context: EffectorContext): Promise<SettingId[]> {
  for (const [effector, items] of byKind(changes.map((c) => [c.setting, c.from] as const))) {
    await effector.write(Object.fromEntries(items), context).catch(() => {}); // the readback says what stuck
  }
  const { wrong } = await readBack(
    changes.map((c) => [c.setting, c.from]),
    context,
  ).catch(() => ({ wrong: changes.map((c) => c.setting) }));
  return wrong;
}

const putBackSays = (stuck: string[]) =>
  stuck.length === 0
    ? 'every value was put back as it was'
    : `${stuck.join(', ')} could not be put back: run goproxy-guard restore (the backup holds the originals)`;

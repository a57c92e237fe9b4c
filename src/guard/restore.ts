import { unlink } from 'node:fs/promises';
import { ConfigError, InputError } from '../config/errors.js';
import { configSchema } from '../config/schema.js';
import { isManaged, readSettings } from '../effectors/index.js';
import { type Change, type EffectorContext, parseSettingId, SETTING_KINDS } from '../settings/effector.js';
import { sameValue, showValue, textOf } from '../settings/setting-value.js';
import { type Backup, forgetBackup, readBackup } from '../state/backup.js';
import { appendHistory } from '../state/history.js';
import { type StatePaths, snapshotFile } from '../state/paths.js';
import { readGoSettings } from '../system/go-env.js';
import { windowsEffects } from '../system/platform.js';
import { carryOut } from './carry-out.js';

export interface RestoreResult {
  restored: { setting: string; to: string | null }[];
  /** What Windows was told after Windows settings were put back. */
  notified?: string[];
  /**
   * Nothing to put back: no backup (GoProxyGuard has not changed this machine, or apply was
   * killed before its backup), or every setting already holds its backed-up value (apply was
   * killed before its first change).
   */
  nothingToRestore: boolean;
}

/** What restore would put back, read from the backup (its shape checked) and the machine. */
export interface RestorePlan {
  backup: Backup;
  /** Every backed-up setting, from the value now to the original. */
  changes: Change[];
  /** Whether any setting now differs from its backed-up value; if none does, there is nothing to restore. */
  differs: boolean;
}

/**
 * Restore needs no config: its effectors write only what the backup holds. They get the built-in
 * defaults so the contract (env and config) holds for every kind.
 */
const restoreContext = (env: NodeJS.ProcessEnv): EffectorContext => ({ env, config: configSchema.parse({}) });

/**
 * Reads the backup and the values now in place; changes nothing. Undefined when there is no
 * backup. A backup that is not GoProxyGuard's shape (an entry it never writes, a value with a
 * line break) is a ConfigError naming the entry, before anything is read from the machine.
 */
export async function planRestore(
  paths: StatePaths,
  env: NodeJS.ProcessEnv,
): Promise<RestorePlan | undefined> {
  const backup = await readBackup(paths.backup);
  if (!backup) return undefined;
  const originals = Object.entries(backup.settings).map(([id, value]) => {
    const parsed = parseSettingId(id);
    // The shape check and the effectors agree on what is restorable (tests/effectors.test.ts).
    if (!parsed || !isManaged(id))
      throw new Error(`internal: ${id} passed the backup check but no effector manages it`);
    return [parsed.id, value] as const;
  });
  const ids = originals.map(([id]) => id);
  const windowsIds = ids.filter((id) => !id.startsWith('go-env:'));
  if (windowsIds.length > 0 && !windowsEffects(env)) {
    throw new ConfigError(
      '',
      `the backup holds Windows settings (${windowsIds.join(', ')}); run restore on that Windows machine`,
    );
  }
  if (ids.some((id) => id.startsWith('go-env:'))) {
    const { envFile } = await readGoSettings(env);
    if (envFile !== backup.goEnvFile) {
      throw new InputError(
        `the backup was taken from ${backup.goEnvFile} but go now uses ${envFile}; set GOENV=${backup.goEnvFile} to restore it`,
      );
    }
  }
  const now = await readSettings(ids, restoreContext(env));
  const changes = originals.map(
    ([setting, to]): Change => ({ setting, from: now[setting] ?? { was: 'unset' }, to }),
  );
  return { backup, changes, differs: changes.some((c) => !sameValue(c.from, c.to)) };
}

/** The settings a plan puts back, for people: go keys by name, Windows settings by id. */
export function restoreRows(plan: RestorePlan): RestoreResult['restored'] {
  const rows = (go: boolean) =>
    plan.changes.flatMap(({ setting, to }) => {
      const parsed = parseSettingId(setting);
      if ((parsed?.kind === 'go-env') !== go) return [];
      return [
        go ? { setting: parsed?.name ?? setting, to: textOf(to) ?? null } : { setting, to: showValue(to) },
      ];
    });
  return [...rows(true), ...rows(false)];
}

/**
 * Puts back every original value exactly (re-setting or unsetting, Windows values with their
 * registry type) through the one loop, past any value a tool refuses; verifies by reading back,
 * tells Windows (broadcast, WinINet refresh), records it, then forgets the backup. When every
 * value already is the original, nothing is written and the backup is forgotten all the same.
 * The caller holds the run lock.
 */
export async function restoreOriginals(
  paths: StatePaths,
  env: NodeJS.ProcessEnv,
  now: Date,
): Promise<RestoreResult> {
  const plan = await planRestore(paths, env);
  if (!plan) return { restored: [], nothingToRestore: true };
  if (!plan.differs) {
    await appendHistory(paths.history, {
      at: now.toISOString(),
      command: 'restore',
      event: 'restore',
      restored: [],
      note: 'every setting already held its backed-up value: nothing was written, the backup is forgotten',
    });
    await forget(paths);
    return { restored: [], nothingToRestore: true };
  }
  const { stuck, notified } = await carryOut(plan.changes, restoreContext(env), { onMismatch: 'keep going' });
  if (stuck.length > 0) {
    throw new Error(`after restoring, ${stuck.join(', ')} still differ; the backup ${paths.backup} is kept`);
  }
  const go = plan.changes.flatMap(({ setting, to }) => {
    const parsed = parseSettingId(setting);
    return parsed?.kind === 'go-env' ? [{ key: parsed.name, value: textOf(to) }] : [];
  });
  const windows = Object.fromEntries(
    plan.changes.filter((c) => !c.setting.startsWith('go-env:')).map((c) => [c.setting, c.to]),
  );
  await appendHistory(paths.history, {
    at: now.toISOString(),
    command: 'restore',
    event: 'restore',
    restored: go,
    ...(Object.keys(windows).length > 0 ? { restoredWindows: windows, notified } : {}),
  });
  await forget(paths);
  return { restored: restoreRows(plan), notified, nothingToRestore: false };
}

/**
 * The backup and the effectors' byte copies (go-env.before) go together. A copy is never written
 * back: restore writes only the checked entries of the backup, so a tampered copy changes nothing.
 */
async function forget(paths: StatePaths): Promise<void> {
  await forgetBackup(paths.backup);
  await Promise.all(SETTING_KINDS.map((kind) => unlink(snapshotFile(paths.dir, kind)).catch(() => {})));
}

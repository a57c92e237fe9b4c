import { unlink } from 'node:fs/promises';
import { ConfigError, InputError } from '../config/errors.js';
import { type RegistryValue, sameValue, showValue } from '../settings/setting-value.js';
import { type Backup, forgetBackup, readBackup, registryValueOf } from '../state/backup.js';
import { appendHistory } from '../state/history.js';
import type { StatePaths } from '../state/paths.js';
import { type GoKey, type GoSettings, readGoSettings, writeGoSettings } from '../system/go-env.js';
import { windowsEffects } from '../system/platform.js';
import {
  isWindowsSetting,
  readWindowsSettings,
  WININET_BLOB,
  writeWindowsSettings,
} from '../system/windows-settings.js';
import { notifyWindows } from './notify.js';

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
  go: { key: GoKey; value: string | undefined }[];
  windows: Record<string, RegistryValue>;
  /** Whether any setting now differs from its backed-up value; if none does, there is nothing to restore. */
  differs: boolean;
  goSettings?: GoSettings;
}

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
  const go: RestorePlan['go'] = [];
  const windows: Record<string, RegistryValue> = {};
  // The shape check admits only go-env:GOPROXY, go-env:GOSUMDB and the Windows settings apply changes.
  for (const [id, original] of Object.entries(backup.settings)) {
    if (isWindowsSetting(id)) windows[id] = registryValueOf(original);
    else
      go.push({
        key: id.slice('go-env:'.length) as GoKey,
        value: original.was === 'set' ? original.value : undefined,
      });
  }
  const windowsIds = Object.keys(windows);
  if (windowsIds.length > 0 && !windowsEffects(env)) {
    throw new ConfigError(
      '',
      `the backup holds Windows settings (${windowsIds.join(', ')}); run restore on that Windows machine`,
    );
  }
  let differs = false;
  let goSettings: GoSettings | undefined;
  if (go.length > 0) {
    const settings = await readGoSettings(env);
    if (settings.envFile !== backup.goEnvFile) {
      throw new InputError(
        `the backup was taken from ${backup.goEnvFile} but go now uses ${settings.envFile}; set GOENV=${backup.goEnvFile} to restore it`,
      );
    }
    goSettings = settings;
    differs = go.some((c) => settings.file[c.key] !== c.value);
  }
  if (windowsIds.length > 0 && !differs) {
    const now = await readWindowsSettings(windowsIds, env);
    differs = windowsIds.some((id) => !sameValue(now[id] as RegistryValue, windows[id] as RegistryValue));
  }
  return { backup, go, windows, differs, ...(goSettings ? { goSettings } : {}) };
}

/** The settings a plan puts back, for people: go keys by name, Windows settings by id. */
export function restoreRows(plan: RestorePlan): RestoreResult['restored'] {
  return [
    ...plan.go.map((c) => ({ setting: c.key, to: c.value ?? null })),
    ...Object.entries(plan.windows).map(([id, value]) => ({ setting: id, to: showValue(value) })),
  ];
}

/**
 * Puts back every original value exactly (re-setting or unsetting, Windows values with their
 * registry type), verifies by reading back, tells Windows (broadcast, WinINet refresh), records
 * it, then forgets the backup. When every value already is the original, nothing is written and
 * the backup is forgotten all the same. The caller holds the run lock.
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
  const { go: goChanges, windows, goSettings } = plan;
  if (goSettings) {
    await writeGoSettings(goSettings.go, goChanges, env);
    const after = await readGoSettings(env);
    const wrong = goChanges.filter((c) => after.file[c.key] !== c.value);
    if (wrong.length > 0) {
      throw new Error(
        `after restoring, ${wrong.map((c) => c.key).join(', ')} still differ; the backup ${paths.backup} is kept`,
      );
    }
  }
  const windowsIds = Object.keys(windows);
  let notified: string[] = [];
  if (windowsIds.length > 0) {
    // Keep going past a value a tool refuses: put back all that can be, then say what could not.
    const wrong = await writeWindowsSettings(windows, env, { keepGoing: true });
    if (wrong.length > 0) {
      throw new Error(
        `after restoring, ${wrong.join(', ')} still differ; the backup ${paths.backup} is kept`,
      );
    }
    notified = await notifyWindows(windowsIds, env, windows, {
      blobRestored: windows[WININET_BLOB]?.was === 'set',
    });
  }
  await appendHistory(paths.history, {
    at: now.toISOString(),
    command: 'restore',
    event: 'restore',
    restored: goChanges,
    ...(windowsIds.length > 0
      ? {
          restoredWindows: windows,
          notified,
        }
      : {}),
  });
  await forget(paths);
  return { restored: restoreRows(plan), notified, nothingToRestore: false };
}

/**
 * The backup and the byte copy of go's env file go together. The copy is never written back:
 * restore writes only the checked entries of the backup, so a tampered copy changes nothing.
 */
async function forget(paths: StatePaths): Promise<void> {
  await forgetBackup(paths.backup);
  await unlink(paths.goEnvCopy).catch(() => {});
}

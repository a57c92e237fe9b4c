import { unlink } from 'node:fs/promises';
import { ConfigError, InputError } from '../config/errors.js';
import { forgetBackup, readBackup, registryValueOf } from '../state/backup.js';
import { appendHistory } from '../state/history.js';
import type { StatePaths } from '../state/paths.js';
import { GO_KEYS, type GoKey, readGoSettings, writeGoSettings } from '../system/go-env.js';
import { windowsEffects } from '../system/platform.js';
import { type RegistryValue, showValue } from '../system/setting-value.js';
import { isWindowsSetting, locate, WININET_BLOB, writeWindowsSettings } from '../system/windows-settings.js';
import { notifyWindows } from './notify.js';

export interface RestoreResult {
  restored: { setting: string; to: string | null }[];
  /** What Windows was told after Windows settings were put back. */
  notified?: string[];
  /** Nothing was backed up: GoProxyGuard has not changed this machine. */
  nothingToRestore: boolean;
}

/**
 * Puts back every original value exactly (re-setting or unsetting, Windows values with their
 * registry type), verifies by reading back, tells Windows (broadcast, WinINet refresh), records
 * it, then forgets the backup. The caller holds the run lock.
 */
export async function restoreOriginals(
  paths: StatePaths,
  env: NodeJS.ProcessEnv,
  now: Date,
): Promise<RestoreResult> {
  const backup = await readBackup(paths.backup);
  if (!backup) return { restored: [], nothingToRestore: true };
  const goChanges: { key: GoKey; value: string | undefined }[] = [];
  const windows: Record<string, RegistryValue> = {};
  for (const [id, original] of Object.entries(backup.settings)) {
    if (isWindowsSetting(id)) {
      locate(id); // throws for a setting this version does not know, before any change
      windows[id] = registryValueOf(original);
      continue;
    }
    const [effector, name] = id.split(':') as [string, GoKey];
    if (effector !== 'go-env' || !GO_KEYS.includes(name))
      throw new Error(`the backup holds ${id}, which this version cannot restore`);
    goChanges.push({ key: name, value: original.was === 'set' ? original.value : undefined });
  }
  const windowsIds = Object.keys(windows);
  if (windowsIds.length > 0 && !windowsEffects(env)) {
    throw new ConfigError(
      '',
      `the backup holds Windows settings (${windowsIds.join(', ')}); run restore on that Windows machine`,
    );
  }
  if (goChanges.length > 0) {
    const settings = await readGoSettings(env);
    if (settings.envFile !== backup.goEnvFile) {
      throw new InputError(
        `the backup was taken from ${backup.goEnvFile} but go now uses ${settings.envFile}; set GOENV=${backup.goEnvFile} to restore it`,
      );
    }
    await writeGoSettings(settings.go, goChanges, env);
    const after = await readGoSettings(env);
    const wrong = goChanges.filter((c) => after.file[c.key] !== c.value);
    if (wrong.length > 0) {
      throw new Error(
        `after restoring, ${wrong.map((c) => c.key).join(', ')} still differ; the backup ${paths.backup} is kept`,
      );
    }
  }
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
  const restored = [
    ...goChanges.map((c) => ({ setting: c.key, to: c.value ?? null })),
    ...windowsIds.map((id) => ({ setting: id, to: showValue(windows[id] as RegistryValue) })),
  ];
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
  await forgetBackup(paths.backup);
  await unlink(paths.goEnvCopy).catch(() => {});
  return { restored, notified, nothingToRestore: false };
}

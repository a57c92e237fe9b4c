import { unlink } from 'node:fs/promises';
import { forgetBackup, readBackup } from '../state/backup.js';
import { appendHistory } from '../state/history.js';
import type { StatePaths } from '../state/paths.js';
import { GO_KEYS, type GoKey, readGoSettings, writeGoSettings } from '../system/go-env.js';

export interface RestoreResult {
  restored: { setting: string; to: string | null }[];
  /** Nothing was backed up: GoProxyGuard has not changed this machine. */
  nothingToRestore: boolean;
}

/**
 * Puts back every original value exactly (re-setting or unsetting), verifies by reading back,
 * records it, then forgets the backup. The caller holds the run lock.
 */
export async function restoreOriginals(
  paths: StatePaths,
  env: NodeJS.ProcessEnv,
  now: Date,
): Promise<RestoreResult> {
  const backup = await readBackup(paths.backup);
  if (!backup) return { restored: [], nothingToRestore: true };
  const goChanges: { key: GoKey; value: string | undefined }[] = [];
  for (const [id, original] of Object.entries(backup.settings)) {
    const [effector, name] = id.split(':') as [string, GoKey];
    if (effector !== 'go-env' || !GO_KEYS.includes(name))
      throw new Error(`the backup holds ${id}, which this version cannot restore`);
    goChanges.push({ key: name, value: original.was === 'set' ? original.value : undefined });
  }
  const settings = await readGoSettings(env);
  if (settings.envFile !== backup.goEnvFile) {
    throw new Error(
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
  await appendHistory(paths.history, {
    at: now.toISOString(),
    command: 'restore',
    event: 'restore',
    restored: goChanges,
  });
  await forgetBackup(paths.backup);
  await unlink(paths.goEnvCopy).catch(() => {});
  return {
    restored: goChanges.map((c) => ({ setting: c.key, to: c.value ?? null })),
    nothingToRestore: false,
  };
}

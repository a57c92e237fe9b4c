import { unlink } from 'node:fs/promises';
import { ConfigError } from '../config/errors.js';
import type { SettingId, SettingValue } from '../settings/effector.js';
import { writeFileAtomic } from './atomic.js';
import { type Backup, checkBackupShape, migrateBackup } from './backup-shape.js';
import { readStateFile } from './safe-file.js';
import { MAX_STATE_BYTES } from './store.js';

// The types live with their shape check (backup-shape.ts), which would otherwise import them from here.
export type { Backup };

/** The backup, its shape checked and migrated to the current version; undefined when there is none. */
export async function readBackup(path: string): Promise<Backup | undefined> {
  try {
    const text = await readStateFile(path, MAX_STATE_BYTES, 'a backup');
    if (text === undefined) return undefined;
    return migrateBackup(checkBackupShape(JSON.parse(text), path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (error instanceof ConfigError) throw error; // the shape check names the entry
    throw new ConfigError(
      '',
      `the backup ${path} cannot be read (${(error as Error).message}); nothing was changed`,
    );
  }
}

/**
 * Records the original value of every setting about to change, before the first change to it.
 * Values already in the backup are never overwritten: the backup always holds what was there
 * before GoProxyGuard, however many runs changed it since. Written atomically.
 */
export async function extendBackup(
  path: string,
  goEnvFile: string,
  originals: Readonly<Record<SettingId, SettingValue>>,
  now: Date,
  /** The hosts file, when hosts entries are among the originals. */
  hostsFile?: string,
): Promise<Backup> {
  const backup = (await readBackup(path)) ?? {
    version: 2,
    takenAt: now.toISOString(),
    goEnvFile,
    settings: {},
  };
  const missing = (Object.entries(originals) as [SettingId, SettingValue][]).filter(
    ([key]) => !(key in backup.settings),
  );
  const newHostsFile = hostsFile !== undefined && backup.hostsFile === undefined;
  if (newHostsFile) backup.hostsFile = hostsFile;
  if (missing.length > 0 || newHostsFile) {
    for (const [key, value] of missing) backup.settings[key] = value;
    await writeFileAtomic(path, `${JSON.stringify(backup, null, 2)}\n`);
  }
  return backup;
}

export async function forgetBackup(path: string): Promise<void> {
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

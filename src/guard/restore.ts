import { unlink } from 'node:fs/promises';
import { ConfigError, InputError } from '../config/errors.js';
import { type Config, configSchema } from '../config/schema.js';
import { isManaged, readSettings } from '../effectors/index.js';
import { type Change, type EffectorContext, parseSettingId, SETTING_KINDS } from '../settings/effector.js';
import { type SettingValue, sameValue, showValue, textOf } from '../settings/setting-value.js';
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
  /** Settings left for a later restore (a stopped WSL distribution): the backup is kept for them. */
  left?: string[];
}

/** What restore would put back, read from the backup (its shape checked) and the machine. */
export interface RestorePlan {
  backup: Backup;
  /** Every backed-up setting, from the value now to the original. */
  changes: Change[];
  /** Whether any setting now differs from its backed-up value; if none does, there is nothing to restore. */
  differs: boolean;
  /** Why some backed-up settings could not be read, so are left for a later restore (a stopped WSL distribution). */
  left: string[];
  /** The config the hosts and WSL entries were read with (undefined: the built-in defaults). */
  config?: Config;
}

/**
 * Restore writes only what the backup holds. The config (the built-in defaults when none is
 * given) says where: dns.hostsFile off Windows, whether a stopped WSL distribution may be started.
 */
const restoreContext = (env: NodeJS.ProcessEnv, config?: Config): EffectorContext => ({
  env,
  config: config ?? configSchema.parse({}),
});

/**
 * Reads the settings now in place; a WSL distribution that is stopped (and not to be started)
 * is left out, with why, instead of stopping restore of everything else.
 */
async function readForRestore(
  ids: readonly string[],
  context: EffectorContext,
): Promise<{ now: Record<string, SettingValue>; left: string[]; leftIds: Set<string> }> {
  const wsl = new Map<string, string[]>();
  for (const id of ids.filter((i) => i.startsWith('wsl-go-env:'))) {
    const distro = id.slice('wsl-go-env:'.length, id.lastIndexOf('/'));
    wsl.set(distro, [...(wsl.get(distro) ?? []), id]);
  }
  const left: string[] = [];
  const leftIds = new Set<string>();
  const read = await Promise.all([
    readSettings(
      ids.filter((id) => !id.startsWith('wsl-go-env:')),
      context,
    ),
    ...[...wsl.values()].map((distroIds) =>
      readSettings(distroIds, context).catch((error: Error) => {
        if ((error as { errorId?: string }).errorId !== 'WslDistroStopped') throw error;
        left.push(error.message);
        for (const id of distroIds) leftIds.add(id);
        return {};
      }),
    ),
  ]);
  return { now: Object.assign({}, ...read), left, leftIds };
}

/**
 * Reads the backup and the values now in place; changes nothing. Undefined when there is no
 * backup. A backup that is not GoProxyGuard's shape (an entry it never writes, a value with a
 * line break) is a ConfigError naming the entry, before anything is read from the machine.
 */
export async function planRestore(
  paths: StatePaths,
  env: NodeJS.ProcessEnv,
  /** Read only for a backup holding hosts or WSL entries: the config says where they live. */
  loadConfig?: () => Promise<Config>,
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
  // The hosts file is settable off Windows (dns.hostsFile); everything else is Windows' own.
  const windowsIds = ids.filter((id) => !id.startsWith('go-env:') && !id.startsWith('hosts:'));
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
  const needsConfig = ids.some((id) => id.startsWith('hosts:') || id.startsWith('wsl-go-env:'));
  const loaded = needsConfig ? await loadConfig?.() : undefined;
  // The hosts file the backup was taken from, whatever the config now names.
  const config =
    loaded && backup.hostsFile !== undefined
      ? { ...loaded, dns: { ...loaded.dns, hostsFile: backup.hostsFile } }
      : backup.hostsFile !== undefined
        ? configSchema.parse({ dns: { hostsFile: backup.hostsFile } })
        : loaded;
  const { now, left, leftIds } = await readForRestore(ids, restoreContext(env, config));
  const changes = originals
    .filter(([setting]) => !leftIds.has(setting))
    .map(([setting, to]): Change => ({ setting, from: now[setting] ?? { was: 'unset' }, to }));
  return { backup, changes, differs: changes.some((c) => !sameValue(c.from, c.to)), left, config };
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
  loadConfig?: () => Promise<Config>,
): Promise<RestoreResult> {
  const plan = await planRestore(paths, env, loadConfig);
  if (!plan) return { restored: [], nothingToRestore: true };
  if (!plan.differs && plan.left.length > 0)
    return { restored: [], nothingToRestore: false, left: plan.left };
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
  const { stuck, notified } = await carryOut(plan.changes, restoreContext(env, plan.config), {
    onMismatch: 'keep going',
  });
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
  // A setting left for later keeps the whole backup: the next restore finds the rest already done.
  if (plan.left.length > 0)
    return { restored: restoreRows(plan), notified, nothingToRestore: false, left: plan.left };
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

import { defineCommand } from './definition.js';
import { EXIT } from './exit-codes.js';
import { renderTable } from './table.js';

/**
 * Puts back every setting GoProxyGuard changed to exactly its original value, then forgets the backup.
 *
 * A setting that was not set before is unset again; one that was set gets its old value back.
 * On Windows this covers the user environment (HTTP_PROXY, HTTPS_PROXY, NO_PROXY, GOPROXY,
 * GOSUMDB, with their registry types), WinINet (ProxyEnable, ProxyServer, ProxyOverride and the
 * connection settings) and WinHTTP; programs are told through the environment broadcast and a
 * WinINet refresh. The result is verified by reading everything back, and recorded in the history. With
 * nothing backed up (GoProxyGuard never changed this machine), or when every setting already
 * holds its original value, it changes nothing and says so. The backup is checked first: it may
 * name only the settings GoProxyGuard changes, each value one line; anything else is refused and
 * nothing is written.
 *
 * @example
 * Restore-GoProxySettings
 * Puts GOPROXY and GOSUMDB back as they were before GoProxyGuard.
 * @example
 * Restore-GoProxySettings -WhatIf
 * Shows what would be put back.
 * @cli
 * goproxy-guard restore
 */
export const restore = defineCommand({
  name: 'restore',
  cmdlet: 'Restore-GoProxySetting',
  cmdletAliases: ['Restore-GoProxySettings'],
  outputType: 'GoProxyGuard.RestoredSetting',
  outputProperty: 'restored',
  changesMachine: true,
  whatIf: {
    target: 'go env file, and on Windows the user environment, WinINet and WinHTTP proxy settings',
    action: 'Put back the values GoProxyGuard replaced',
  },
  columns: [
    { label: 'Setting', property: 'Setting' },
    { label: 'RestoredTo', property: 'To' },
  ],
  options: {
    /** Show what would be put back and change nothing (PowerShell: -WhatIf). */
    dryRun: { kind: 'switch', flag: 'dry-run', parameter: 'DryRun' },
  },
  async run(options, io) {
    const [
      { planRestore, restoreOriginals, restoreRows },
      { LOCK_WAIT_MS, underRunLock },
      { stateDir, statePaths },
      { loadSettings },
    ] = await Promise.all([
      import('../guard/restore.js'),
      import('../guard/run-lock.js'),
      import('../state/paths.js'),
      import('./config-sources.js'),
    ]);
    // Hosts entries and WSL distributions are found through the config (GOPROXYGUARD_CONFIG).
    const loadConfig = async () => (await loadSettings(undefined, io)).config;
    const paths = statePaths(stateDir(io.env));
    if (options.dryRun) {
      const plan = await planRestore(paths, io.env, loadConfig);
      const restored = plan?.differs ? restoreRows(plan) : [];
      return {
        exitCode: plan?.differs ? EXIT.ok : EXIT.unhealthy,
        document: { restored, dryRun: true, nothingToRestore: !plan?.differs },
        text: plan?.differs ? `Would restore:\n${table(restored)}` : NOTHING_TO_RESTORE,
      };
    }
    const warn = (message: string) => io.emit({ type: 'log', level: 'warning', message });
    const result = await underRunLock(paths, LOCK_WAIT_MS, warn, () =>
      restoreOriginals(paths, io.env, new Date(), loadConfig),
    );
    return {
      exitCode: result.nothingToRestore ? EXIT.unhealthy : EXIT.ok,
      document: { ...result, dryRun: false },
      text: result.nothingToRestore
        ? NOTHING_TO_RESTORE
        : [
            `Restored and verified:\n${table(result.restored)}`,
            ...(result.notified ?? []),
            ...(result.left ?? []).map((why) => `Left for a later restore (the backup is kept): ${why}`),
          ].join('\n'),
    };
  },
});

const NOTHING_TO_RESTORE = 'Nothing to restore: GoProxyGuard has not changed this machine.';

const table = (rows: { setting: string; to: string | null }[]) =>
  renderTable(
    ['SETTING', 'RESTORED TO'],
    rows.map((r) => [r.setting, r.to ?? '(not set)']),
  );

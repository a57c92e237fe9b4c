import type { LoadedConfig } from '../config/load.js';
import { loadSettings, renderSources, sourcesDocument } from './config-sources.js';
import { defineCommand } from './definition.js';
import { EXIT } from './exit-codes.js';
import { overrideLines, renderPinsAndWsl } from './pins-and-wsl.js';
import { renderTable } from './table.js';

/**
 * Shows what go will use now and why, what GoProxyGuard remembers, and its last runs. Probes nothing.
 *
 * For GOPROXY, GOSUMDB and the private-module settings it shows the value go uses and where it
 * comes from (an environment variable, go's env file, or go's default), flags an environment
 * variable that overrides the file, and lists each mirror's standing (in the list or not, and
 * its run of failures or successes), the last known good configuration, whether a backup exists,
 * and the latest history entries. On Windows it also shows the corporate proxy candidates'
 * standing and the proxy settings in the user environment, WinINet and WinHTTP.
 *
 * @example
 * Get-GoProxyStatus
 * Shows the current settings, the mirrors' standing and the last runs.
 * @example
 * Get-GoProxyStatus -History 20 | Select-Object -ExpandProperty History
 * Lists the last twenty history entries.
 * @cli
 * goproxy-guard status --history 20
 */
export const status = defineCommand({
  name: 'status',
  cmdlet: 'Get-GoProxyStatus',
  outputType: 'GoProxyGuard.Status',
  outputProperty: '.',
  changesMachine: false,
  columns: [
    { label: 'GoProxy', property: 'Goproxy' },
    { label: 'Source', property: 'GoproxySource' },
    { label: 'BackupExists', property: 'BackupExists' },
    { label: 'LastRun', property: 'LastRunAt' },
  ],
  options: {
    /** Path of the JSON config file, read for guard mode (else GOPROXYGUARD_CONFIG, else the built-in defaults). */
    config: { kind: 'path', flag: 'config', parameter: 'ConfigPath', valueName: 'FILE' },
    /** How many of the latest history entries to show (default 5). */
    history: { kind: 'integer', flag: 'history', parameter: 'History', valueName: 'N', min: 0, max: 1000 },
  },
  async run(options, io) {
    const [
      { readGoSettings, GO_KEYS, sourceOf },
      { stateDir, statePaths },
      { loadState },
      { readBackup },
      { readHistory },
    ] = await Promise.all([
      import('../system/go-env.js'),
      import('../state/paths.js'),
      import('../state/store.js'),
      import('../state/backup.js'),
      import('../state/history.js'),
    ]);
    const paths = statePaths(stateDir(io.env));
    const settings = await readGoSettings(io.env);
    const [{ state, note }, backup, history] = await Promise.all([
      loadState(paths.state, new Date()),
      readBackup(paths.backup),
      readHistory(paths.history, options.history ?? 5),
    ]);
    const current = GO_KEYS.map((key) => ({
      setting: key,
      value: settings.effective[key],
      source: sourceOf(settings, key),
    }));
    const notes = [
      ...(note ? [note] : []),
      ...(['GOPROXY', 'GOSUMDB'] as const)
        .filter((key) => settings.overrides[key] !== undefined)
        .map(
          (key) =>
            `${key} is set in the environment (${settings.overrides[key]}) and overrides go's env file ${settings.envFile}`,
        ),
    ];
    // Status shows what is; a config it cannot read is said, not fatal.
    const loaded = await loadSettings(options.config, io).catch((error: Error) => error);
    const [windows, guard] = await Promise.all([
      readWindowsStatus(io.env),
      readGuardStatus(settings.effective.GOPROXY, loaded, notes),
    ]);
    const document = {
      goproxy: settings.effective.GOPROXY,
      goproxySource: sourceOf(settings, 'GOPROXY'),
      gosumdb: settings.effective.GOSUMDB,
      envFile: settings.envFile,
      stateDir: paths.dir,
      current,
      mirrors: Object.entries(state.mirrors).map(([name, track]) => ({ name, ...track })),
      lastGood: state.lastGood ?? null,
      lastRunAt: state.lastRun?.at ?? null,
      proxies: Object.entries(state.proxies?.tracks ?? {}).map(([name, track]) => ({ name, ...track })),
      currentProxy: state.proxies?.current === undefined ? null : (state.proxies.current ?? 'direct'),
      windows,
      guard,
      pins: state.pins ?? [],
      wsl: state.wsl ?? [],
      backupExists: backup !== undefined,
      history,
      notes,
      settingSources: sourcesDocument(loaded instanceof Error ? undefined : loaded.settings),
    };
    const text = [
      renderTable(
        ['SETTING', 'VALUE', 'FROM'],
        current.map((c) => [c.setting, c.value || '(empty)', c.source]),
      ),
      '',
      document.mirrors.length
        ? renderTable(
            ['MIRROR', 'IN LIST', 'LAST VERDICT', 'FAILURES', 'SUCCESSES'],
            document.mirrors.map((m) => [
              m.name,
              m.active ? 'yes' : 'no',
              m.lastVerdict,
              String(m.failures),
              String(m.successes),
            ]),
          )
        : `No run recorded yet (state directory: ${paths.dir}).`,
      ...(document.proxies.length
        ? [
            '',
            renderTable(
              ['PROXY', 'CURRENT', 'LAST VERDICT', 'FAILURES', 'SUCCESSES'],
              document.proxies.map((p) => [
                p.name,
                p.name === document.currentProxy ? 'yes' : 'no',
                p.lastVerdict,
                String(p.failures),
                String(p.successes),
              ]),
            ),
          ]
        : []),
      ...(windows.length
        ? [
            '',
            renderTable(
              ['WINDOWS SETTING', 'VALUE'],
              windows.map((w) => [w.setting, w.value]),
            ),
          ]
        : []),
      ...renderPinsAndWsl(document.pins, document.wsl),
      ...overrideLines(document.wsl),
      '',
      `guard proxy: ${guardLine(guard)}`,
      ...renderSources(loaded instanceof Error ? undefined : loaded.settings),
      `last known good: ${state.lastGood ? `${state.lastGood.goproxy} (${state.lastGood.at})` : 'none yet'}`,
      `backup: ${backup ? `${paths.backup} (taken ${backup.takenAt}); undo with: goproxy-guard restore` : 'none (nothing changed)'}`,
      ...history.map((h) => `history: ${h.at} ${h.command} ${h.event}`),
      ...notes.map((n) => `note: ${n}`),
    ].join('\n');
    return { exitCode: EXIT.ok, document, text };
  },
});

/**
 * The Windows proxy settings as they are now (user environment, WinINet, WinHTTP), read only on
 * Windows; a part that cannot be read is shown with the reason instead of failing the status.
 */
async function readWindowsStatus(env: NodeJS.ProcessEnv): Promise<{ setting: string; value: string }[]> {
  const { windowsEffects } = await import('../system/platform.js');
  if (!windowsEffects(env)) return [];
  const [{ readWindowsSettings, USER_ENV_NAMES, WININET_NAMES, WINHTTP }, { showValue }] = await Promise.all([
    import('../system/windows-settings.js'),
    import('../settings/setting-value.js'),
  ]);
  const groups = [
    USER_ENV_NAMES.map((n) => `user-env:${n}`),
    WININET_NAMES.map((n) => `wininet:${n}`),
    [WINHTTP],
  ];
  const rows = await Promise.all(
    groups.map(async (ids) => {
      try {
        const values = await readWindowsSettings(ids, env);
        return ids.map((id) => ({ setting: id, value: showValue(values[id] ?? { was: 'unset' }) }));
      } catch (error) {
        return ids.map((id) => ({ setting: id, value: `(cannot read: ${(error as Error).message})` }));
      }
    }),
  );
  return rows.flat();
}

/** The guard object of the status: guard mode, where the guard listens, and whether it runs. */
async function readGuardStatus(goproxy: string, loaded: LoadedConfig | Error, notes: string[]) {
  const [{ DEFAULT_GUARD_LISTEN }, { guardToAsk }] = await Promise.all([
    import('../config/defaults.js'),
    import('../policy/guard-mode.js'),
  ]);
  let config = { enabled: false, listen: DEFAULT_GUARD_LISTEN };
  if (loaded instanceof Error) notes.push(`guard mode unknown: ${loaded.message}`);
  else config = loaded.config.guard;
  const listen = guardToAsk(goproxy, config);
  const base = { enabled: config.enabled, listen: listen ?? config.listen };
  if (listen === undefined) {
    return {
      ...base,
      running: false as const,
      reason: 'not asked: guard mode is off and GOPROXY does not start with a guard',
    };
  }
  const [{ askGuard }, { GUARD_ASK_MS }] = await Promise.all([
    import('../guardproxy/status-client.js'),
    import('./shared.js'),
  ]);
  const answer = await askGuard(listen, GUARD_ASK_MS);
  if (!answer.running) return { ...base, running: false as const, reason: answer.reason };
  const { counters, uptimeSeconds } = answer.status;
  return {
    ...base,
    running: true as const,
    uptimeSeconds,
    requests: counters.requests,
    hedges: counters.hedgesFired,
    failovers: counters.failovers,
    tamperedRefused: counters.tamperedRefused,
    staleServed: counters.staleServed,
  };
}

function guardLine(guard: Awaited<ReturnType<typeof readGuardStatus>>): string {
  const mode = `guard mode ${guard.enabled ? 'on' : 'off'}`;
  if (!guard.running) return `${mode}; not running at ${guard.listen} (${guard.reason})`;
  return `${mode}; running at ${guard.listen}, up ${guard.uptimeSeconds} s: ${guard.requests} requests, ${guard.hedges} hedges, ${guard.failovers} failovers, ${guard.tamperedRefused} tampered refused, ${guard.staleServed} stale served`;
}

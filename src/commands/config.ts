import { hideSecrets } from '../settings/setting-value.js';
import { loadSettings } from './config-sources.js';
import { defineCommand } from './definition.js';
import { EXIT } from './exit-codes.js';
import { renderTable } from './table.js';

/**
 * Shows the effective configuration and where each setting came from. Probes and changes nothing.
 *
 * Every setting is listed with its value and its source: machine policy
 * (HKLM\SOFTWARE\Policies\GoProxyGuard), user policy (HKCU\SOFTWARE\Policies\GoProxyGuard), the
 * config file (-ConfigPath, else GOPROXYGUARD_CONFIG) or the built-in default, with the registry
 * value or file that set it. Machine policy wins over user policy, and policy over the config
 * file; a setting fixed by policy is locked, and the LockLocalSettings policy makes every other
 * setting take its default. Policy values of the wrong type or out of range are ignored, each
 * with a warning that names the value and what was used instead. Policy keys are read on
 * Windows only. The exit code is 0, or 2 when the config file is bad.
 *
 * @example
 * Get-GoProxyConfig
 * Lists every setting with its value and where it came from.
 * @example
 * Get-GoProxyConfig | Where-Object Source -like '*policy'
 * Lists only the settings a Group Policy or Intune policy fixes.
 * @cli
 * goproxy-guard config --config goproxy-guard.json --json
 */
export const config = defineCommand({
  name: 'config',
  cmdlet: 'Get-GoProxyConfig',
  outputType: 'GoProxyGuard.ConfigSetting',
  outputProperty: 'settings',
  changesMachine: false,
  columns: [
    { label: 'Setting', property: 'Field' },
    { label: 'Value', property: 'Shown' },
    { label: 'Source', property: 'Source' },
    { label: 'Origin', property: 'Origin' },
  ],
  options: {
    /** Path of the JSON config file (else GOPROXYGUARD_CONFIG, else the built-in defaults). */
    config: { kind: 'path', flag: 'config', parameter: 'ConfigPath', valueName: 'FILE' },
  },
  async run(options, io) {
    const loaded = await loadSettings(options.config, io);
    // Proxy passwords stay in HTTPS_PROXY: the values are shown with them hidden.
    const settings = (loaded.settings ?? []).map((s) => {
      const value = JSON.parse(hideSecrets(JSON.stringify(s.value))) as unknown;
      return { ...s, value, shown: shownValue(value) };
    });
    return {
      exitCode: EXIT.ok,
      document: { source: loaded.source, settings, warnings: loaded.policyWarnings ?? [] },
      text: [
        renderTable(
          ['SETTING', 'VALUE', 'SOURCE', 'ORIGIN'],
          settings.map((s) => [s.field, s.shown, s.source, s.origin]),
        ),
        ...(loaded.policyWarnings ?? []).map((w) => `warning: ${w}`),
      ].join('\n'),
    };
  },
});

/** A value on one line: lists of mirrors and proxies as name=URL, others as JSON. */
function shownValue(value: unknown): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '(none)';
    return value
      .map((item) =>
        typeof item === 'object' && item !== null && 'name' in item && 'url' in item
          ? `${item.name}=${item.url}`
          : String(item),
      )
      .join(', ');
  }
  if (value === null) return '(not set)';
  if (typeof value === 'object' && 'module' in value && 'version' in value)
    return `${value.module}@${value.version}`;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

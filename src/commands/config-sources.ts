import type { LoadedConfig } from '../config/load.js';
import type { EffectiveSetting, SettingSource } from '../config/precedence.js';
import { hideSecrets } from '../settings/setting-value.js';
import type { CommandIO } from './definition.js';

/**
 * Loads the effective config: the policy keys (on Windows), then the config file, then the
 * defaults. Policy warnings (a bad value ignored, a config file value overridden, local
 * settings refused) go to the output; with `record`, for a command that changes the machine,
 * ignored policy values and unreadable policy keys also go to the history and the Application
 * event log when they change, where a fleet sees them (an overridden config file value does
 * not: it is policy doing its job).
 */
export async function loadSettings(
  configPath: string | undefined,
  io: CommandIO,
  record = false,
): Promise<LoadedConfig> {
  const [{ loadConfig }, { readPolicyKeys }] = await Promise.all([
    import('../config/load.js'),
    import('../system/policy-keys.js'),
  ]);
  const read = await loadConfig(configPath, io.env, await readPolicyKeys(io.env));
  // A proxy URL in a warning may carry a password: output, history and event log never show it.
  const loaded = {
    ...read,
    policyWarnings: (read.policyWarnings ?? []).map(hideSecrets),
    policyIgnored: (read.policyIgnored ?? []).map(hideSecrets),
  };
  for (const message of loaded.policyWarnings) io.emit({ type: 'log', level: 'warning', message });
  const { windowsEffects } = await import('../system/platform.js');
  if (record && windowsEffects(io.env)) await recordIgnoredPolicy(loaded.policyIgnored, io.env);
  return loaded;
}

/** How many of the latest history entries are searched for the last policy entry. */
const POLICY_LOOKBACK = 1000;

/**
 * Records the ignored policy values when they differ from the last recorded ones: a history
 * entry, and an Application event log entry (id 104) when there are any. Once per change, not
 * on every scheduled run, so a fleet's event forwarding is not flooded by one bad value on
 * thousands of desktops every quarter hour; an empty entry marks that they were fixed.
 */
export async function recordIgnoredPolicy(ignored: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const [{ writeEvent }, { appendHistory, readHistory }, { stateDir, statePaths }, { mkdir }] =
    await Promise.all([
      import('../system/event-log.js'),
      import('../state/history.js'),
      import('../state/paths.js'),
      import('node:fs/promises'),
    ]);
  const paths = statePaths(stateDir(env));
  const last = (await readHistory(paths.history, POLICY_LOOKBACK)).filter((h) => h.event === 'policy').at(-1);
  const before = Array.isArray(last?.warnings) ? (last.warnings as string[]) : [];
  if (JSON.stringify(before) === JSON.stringify(ignored)) return;
  const eventLog =
    ignored.length > 0 ? await writeEvent('policy-ignored', ignored.join('\n'), env) : undefined;
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  await appendHistory(paths.history, {
    at: new Date().toISOString(),
    command: 'policy',
    event: 'policy',
    warnings: ignored,
    ...(eventLog ? { eventLog } : {}),
  });
}

const ORDER: SettingSource[] = ['machine policy', 'user policy', 'config file', 'command line', 'default'];

/** The policy key, the file or the option a source stands for. */
const where = (setting: EffectiveSetting) =>
  setting.source.endsWith('policy')
    ? setting.origin.slice(0, setting.origin.lastIndexOf('\\'))
    : setting.origin;

/** Where the settings came from, as a short section of status, plan and doctor. */
export function renderSources(settings: readonly EffectiveSetting[] | undefined): string[] {
  if (!settings) return [];
  const lines = ['settings from:'];
  for (const source of ORDER) {
    const fields = settings.filter((s) => s.source === source).map((s) => s.field);
    if (fields.length === 0) continue;
    lines.push(
      source === 'default'
        ? `  default: the ${fields.length} other settings`
        : `  ${source} (${where(settings.find((s) => s.source === source) as EffectiveSetting)}): ${fields.join(', ')}`,
    );
  }
  return lines;
}

/** The sources as the JSON documents carry them: one entry per field. */
export const sourcesDocument = (settings: readonly EffectiveSetting[] | undefined) =>
  (settings ?? []).map(({ field, source, origin }) => ({ field, source, origin }));

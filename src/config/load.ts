import { X509Certificate } from 'node:crypto';
import { ConfigError, configErrorFromZod } from './errors.js';
import { deepFreeze, withValueAt } from './fields.js';
import type { PolicyReadings } from './policy.js';
import {
  badValueWarning,
  type EffectiveSetting,
  effectiveSettings,
  layerSettings,
  localSettingsLockedBy,
} from './precedence.js';
import type { ProxyRoute } from './proxy-route.js';
import { readUserFile } from './read-file.js';
import { type Config, configSchema } from './schema.js';

export interface LoadedConfig {
  /** The validated config, frozen: an option such as --deadline-ms makes a new one (withOption). */
  config: Config;
  /** Where the config came from: a file path, or "built-in defaults". */
  source: string;
  /** PEM text of every tls.extraCaFiles entry, read once so probes never touch the disk. */
  extraCas: string[];
  /** The proxy go would use here (HTTPS_PROXY, NO_PROXY); mirrors are probed through it. */
  route?: ProxyRoute;
  /** Every field with where it came from: machine policy, user policy, config file, default. */
  settings?: EffectiveSetting[];
  /** Bad policy values, config file values policy overrides, local settings policy refuses. */
  policyWarnings?: string[];
  /** The part of policyWarnings a fleet must hear of: policy values ignored, policy keys unreadable. */
  policyIgnored?: string[];
  /** Whether policy fixes a field, so that no local setting (file, option) may change it. */
  locked?: (field: string) => boolean;
}

export const CONFIG_ENV = 'GOPROXYGUARD_CONFIG';

/** Far above any real config or CA bundle, far below what would strain memory (issue #15). */
export const MAX_CONFIG_BYTES = 1024 * 1024;
export const MAX_PEM_BYTES = 4 * 1024 * 1024;

/**
 * Policy first (machine, then user: `policy` as read from the registry by the caller), then
 * --config, then GOPROXYGUARD_CONFIG, then the built-in defaults. The config is frozen.
 */
export async function loadConfig(
  configPath: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  policy?: PolicyReadings,
): Promise<LoadedConfig> {
  const path = configPath ?? (env[CONFIG_ENV] || undefined);
  const unusable: string[] = [];
  let file: { path: string; raw: Record<string, unknown> } | undefined;
  if (path !== undefined) {
    try {
      file = { path, raw: await readConfigFile(path) };
    } catch (error) {
      // Under LockLocalSettings the file is not used, so a broken one must not stop the run.
      const lockedBy = localSettingsLockedBy(policy, env);
      if (!(error instanceof ConfigError) || lockedBy === undefined) throw error;
      unusable.push(`${lockedBy} forbids local settings, so this does not stop the run: ${error.message}`);
    }
  }
  const layered = layerSettings(file, policy, env);
  const { config, extraCas } = await validate(layered.raw);
  const settings = effectiveSettings(config, layered);
  const ignored = [...layered.unreadable, ...layered.bad.map((bad) => badValueWarning(bad, settings))];
  return {
    config: deepFreeze(config),
    extraCas,
    source: path ?? 'built-in defaults',
    settings,
    policyWarnings: [...unusable, ...layered.warnings, ...ignored],
    policyIgnored: ignored,
    locked: layered.locked,
  };
}

async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readUserFile(path, MAX_CONFIG_BYTES, 'a config file');
  } catch (error) {
    throw new ConfigError('', `cannot read config file ${path}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, '')); // Notepad writes a BOM
  } catch (error) {
    throw new ConfigError('', `config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError('', `config file ${path} must hold a JSON object`);
  }
  return raw as Record<string, unknown>;
}

/**
 * The loaded config with one field changed by a command-line option (a new, frozen object; the
 * loaded one is left alone), or unchanged with a warning when policy fixes that field.
 */
export function withOption(
  loaded: LoadedConfig,
  field: string,
  value: unknown,
  option: string,
): { loaded: LoadedConfig; warning?: string } {
  if (loaded.locked?.(field)) {
    const by = loaded.settings?.find((s) => s.field === field);
    const why = by?.source.endsWith('policy')
      ? `${by.source} ${by.origin} sets it`
      : 'policy forbids local settings';
    return { loaded, warning: `${option} ${JSON.stringify(value)} is not used: ${why}` };
  }
  const alone = withValueAt({}, field, value);
  const checked = configSchema.safeParse(alone);
  if (!checked.success) throw configErrorFromZod(checked.error, alone);
  const config = withValueAt(loaded.config as unknown as Record<string, unknown>, field, value) as Config;
  const settings = loaded.settings?.map((s) =>
    s.field === field ? { field, value, source: 'command line' as const, origin: option } : s,
  );
  return { loaded: { ...loaded, config: deepFreeze(config), ...(settings ? { settings } : {}) } };
}

/** Validates a raw config object (from a file or built in) and reads its extra CA files. */
export async function validate(raw: unknown): Promise<Omit<LoadedConfig, 'source'>> {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw configErrorFromZod(parsed.error, raw);
  const config = parsed.data;
  const extraCas = await Promise.all(
    config.tls.extraCaFiles.map(async (file, index) => {
      const field = `tls.extraCaFiles[${index}]`;
      let pem: string;
      try {
        pem = await readUserFile(file, MAX_PEM_BYTES, 'a PEM file');
      } catch (error) {
        throw new ConfigError(field, `cannot read ${file}: ${(error as Error).message}`);
      }
      if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
        throw new ConfigError(
          field,
          `${file} holds no PEM certificate (expected "-----BEGIN CERTIFICATE-----")`,
        );
      }
      try {
        new X509Certificate(pem);
      } catch (error) {
        throw new ConfigError(
          field,
          `${file} holds a certificate that cannot be parsed: ${(error as Error).message}`,
        );
      }
      return pem;
    }),
  );
  return { config, extraCas };
}

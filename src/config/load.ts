import { X509Certificate } from 'node:crypto';
import { ConfigError, configErrorFromZod } from './errors.js';
import { readUserFile } from './read-file.js';
import { type Config, configSchema } from './schema.js';

export interface LoadedConfig {
  config: Config;
  /** Where the config came from: a file path, or "built-in defaults". */
  source: string;
  /** PEM text of every tls.extraCaFiles entry, read once so probes never touch the disk. */
  extraCas: string[];
  /** The proxy go would use here (HTTPS_PROXY, NO_PROXY); mirrors are probed through it. */
  route?: ProxyRoute;
}

import type { ProxyRoute } from './proxy-route.js';

export const CONFIG_ENV = 'GOPROXYGUARD_CONFIG';

/** Far above any real config or CA bundle, far below what would strain memory (issue #15). */
export const MAX_CONFIG_BYTES = 1024 * 1024;
export const MAX_PEM_BYTES = 4 * 1024 * 1024;

/** --config wins, then GOPROXYGUARD_CONFIG, then the built-in defaults. */
export async function loadConfig(
  configPath: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LoadedConfig> {
  const path = configPath ?? (env[CONFIG_ENV] || undefined);
  if (!path) return { ...(await validate({})), source: 'built-in defaults' };
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
  return { ...(await validate(raw)), source: path };
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

import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ConfigError, configErrorFromZod } from './errors.js';
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

import type { ProxyRoute } from '../probe/route.js';

export const CONFIG_ENV = 'GOPROXYGUARD_CONFIG';

/** --config wins, then GOPROXYGUARD_CONFIG, then the built-in defaults. */
export async function loadConfig(
  configPath: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LoadedConfig> {
  const path = configPath ?? (env[CONFIG_ENV] || undefined);
  if (!path) return { ...(await validate({})), source: 'built-in defaults' };
  let text: string;
  try {
    text = await readFile(path, 'utf8');
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
        pem = await readFile(file, 'utf8');
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

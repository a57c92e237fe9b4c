import { execa } from 'execa';
import { InputError, ToolFailedError, toolMissing } from '../config/errors.js';
import { FileRefused, readUserFile } from '../config/read-file.js';
import { startRetrying } from './start-retry.js';

/** The go settings GoProxyGuard reads; it writes only GOPROXY and GOSUMDB. */
export const GO_KEYS = [
  'GOPROXY',
  'GOSUMDB',
  'GOPRIVATE',
  'GONOPROXY',
  'GONOSUMDB',
  'GOINSECURE',
  'GOFLAGS',
] as const;
export type GoKey = (typeof GO_KEYS)[number];
export const MANAGED_GO_KEYS = ['GOPROXY', 'GOSUMDB'] as const;

/** go's env file holds a few lines; the same limit as a config file. */
export const MAX_GO_ENV_BYTES = 1024 * 1024;

export interface GoSettings {
  go: string;
  /** The go env file (go env GOENV). */
  envFile: string;
  /** What go will use: environment, then file, then default (go env -json). */
  effective: Record<GoKey, string>;
  /** What the go env file sets; a key absent here is not set in the file. */
  file: Partial<Record<GoKey, string>>;
  /** Non-empty environment variables that override the file (go env -w only warns about them). */
  overrides: Partial<Record<GoKey, string>>;
}

/** Where go takes a setting from: a variable that overrides the file, the go env file, or go's default. */
export function sourceOf(settings: GoSettings, key: GoKey): 'environment' | 'go env file' | 'go default' {
  if (settings.overrides[key]) return 'environment';
  return key in settings.file ? 'go env file' : 'go default';
}

/** The go binary: GOPROXYGUARD_GO, else go on PATH. */
export function goBinary(env: NodeJS.ProcessEnv): string {
  return env.GOPROXYGUARD_GO || 'go';
}

async function runGo(go: string, args: string[], env: NodeJS.ProcessEnv) {
  try {
    return await startRetrying(() =>
      execa(go, args, { env, extendEnv: false, timeout: 30_000, stdin: 'ignore' }),
    );
  } catch (error) {
    const failure = error as { code?: string; stderr?: string; shortMessage?: string };
    if (failure.code === 'ENOENT') {
      throw toolMissing(
        go,
        `the go command was not found ("${go}"); install Go or set GOPROXYGUARD_GO to the go binary`,
      );
    }
    throw new ToolFailedError(
      `${go} ${args.join(' ')} failed: ${failure.stderr?.trim() || failure.shortMessage}`,
      go,
    );
  }
}

/** Parses go's env file: KEY=VALUE lines, as go itself reads them. */
export function parseGoEnvFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) values[line.slice(0, eq).trim()] = line.slice(eq + 1).replace(/\r$/, '');
  }
  return values;
}

export async function readGoSettings(env: NodeJS.ProcessEnv): Promise<GoSettings> {
  const go = goBinary(env);
  const { stdout } = await runGo(go, ['env', '-json', 'GOENV', ...GO_KEYS], env);
  const all = JSON.parse(stdout) as Record<string, string>;
  const envFile = all.GOENV ?? '';
  if (!envFile || envFile === 'off') {
    throw new InputError(
      `go has no env file (GOENV=${envFile || 'empty'}); unset GOENV or point it at a file`,
      'GOENV',
    );
  }
  let fileText = '';
  try {
    fileText = await readUserFile(envFile, MAX_GO_ENV_BYTES, "go's env file");
  } catch (error) {
    if (error instanceof FileRefused) {
      throw new InputError(
        `go's env file ${envFile} cannot be read: ${error.message}; point GOENV at a file`,
        'GOENV',
      );
    }
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const parsed = parseGoEnvFile(fileText);
  const effective = {} as Record<GoKey, string>;
  const file: Partial<Record<GoKey, string>> = {};
  const overrides: Partial<Record<GoKey, string>> = {};
  for (const key of GO_KEYS) {
    effective[key] = all[key] ?? '';
    if (key in parsed) file[key] = parsed[key] as string;
    if (env[key]) overrides[key] = env[key] as string;
  }
  return { go, envFile, effective, file, overrides };
}

/**
 * Sets and unsets go env file values with the go command: one `go env -w` for all values (go
 * rewrites the file once), one `go env -u` for all removals.
 */
export async function writeGoSettings(
  go: string,
  changes: { key: GoKey; value: string | undefined }[],
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const sets = changes.filter((c) => c.value !== undefined).map((c) => `${c.key}=${c.value}`);
  const unsets = changes.filter((c) => c.value === undefined).map((c) => c.key);
  if (sets.length > 0) await runGo(go, ['env', '-w', ...sets], env);
  if (unsets.length > 0) await runGo(go, ['env', '-u', ...unsets], env);
}

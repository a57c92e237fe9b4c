import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RegistryBackend, StoredValue } from './registry-data.js';
import { decodeRegFile, parseRegExport, subkeyValues } from './registry-export.js';
import { runTool, TOOLS, toolSaid } from './windows-tool.js';

// The registry through reg.exe: what the Linux-side tier runs (GOPROXYGUARD_PLATFORM=win32 with
// Wine's reg.exe). On Windows the registry API is used instead (registry-win32.ts): reg.exe is
// refused where the "Prevent access to registry editing tools" policy is set.

/** reg.exe's argv to write one value: each part its own element, the data never re-quoted. */
export function regAddArgs(key: string, name: string, type: string, data: string): string[] {
  return ['add', key, '/v', name, '/t', type, '/d', data, '/f'];
}

export function regDeleteArgs(key: string, name: string): string[] {
  return ['delete', key, '/v', name, '/f'];
}

/**
 * A key and all its subkeys as `reg export` writes them (decoded), or undefined when it is
 * missing. Export, not `reg query`: query prints through the console code page (non-ASCII turns
 * into "?") and its layout is ambiguous when data has runs of spaces, while export writes UTF-16
 * with every character escaped, the same on every Windows language.
 */
export async function exportKey(key: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'goproxy-guard-reg-'));
  try {
    const file = join(dir, 'export.reg');
    const run = await runTool(TOOLS.reg, ['export', key, file, '/y'], env);
    if (run.exitCode === 0) return decodeRegFile(await readFile(file));
    if (await keyMissing(key, env)) return undefined;
    throw new Error(`reg export ${key} failed (${toolSaid(run)})`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `reg query KEY` fails for a missing key too, but then export's failure had no other cause. */
async function keyMissing(key: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const run = await runTool(TOOLS.reg, ['query', key], env);
  return run.exitCode === 1;
}

export const regExeBackend: RegistryBackend = {
  async readKey(key, env) {
    const text = await exportKey(key, env);
    return text === undefined ? undefined : parseRegExport(text, key);
  },
  async readSubkeys(key, env) {
    const text = await exportKey(key, env);
    return text === undefined ? undefined : subkeyValues(text, key);
  },
  async writeValue(key: string, name: string, value: StoredValue, env) {
    const run = await runTool(TOOLS.reg, regAddArgs(key, name, value.type, value.value), env);
    if (run.exitCode !== 0) throw new Error(`reg add ${key} /v ${name} failed (${toolSaid(run)})`);
  },
  async deleteValue(key, name, env) {
    await runTool(TOOLS.reg, regDeleteArgs(key, name), env);
  },
};

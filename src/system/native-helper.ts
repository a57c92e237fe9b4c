import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTool, TOOLS, toolSaid } from './windows-tool.js';

/** What the native helper is asked to do after settings were written and verified. */
export interface NativeRequest {
  /** WM_SETTINGCHANGE "Environment", so programs Explorer starts see the new variables. */
  broadcastEnvironment: boolean;
  /** Apply through WinINet's per-connection options, or only tell WinINet to re-read (39/37). */
  wininet?: { enable: boolean; server: string; bypass: string } | { refreshOnly: true };
}

/**
 * The helper script: GOPROXYGUARD_NATIVE_HELPER, else bin/native-helper.ps1 beside the bundled
 * runtime (the module ships both in its bin folder).
 */
export function nativeHelperPath(env: NodeJS.ProcessEnv): string {
  return env.GOPROXYGUARD_NATIVE_HELPER || join(dirname(fileURLToPath(import.meta.url)), 'native-helper.ps1');
}

/** powershell.exe's argv: no profile, no prompt, and the request as a file path. */
export function nativeHelperArgs(script: string, requestFile: string): string[] {
  return [
    '-NoLogo',
    '-NoProfile',
    '-NonInteractive',
    '-ExecutionPolicy',
    'Bypass',
    '-File',
    script,
    '-RequestPath',
    requestFile,
  ];
}

/**
 * Runs the helper with Windows PowerShell (present on every Windows desktop, unlike pwsh), the
 * request in a UTF-8 file with a byte order mark so 5.1 reads it as UTF-8. Never throws: the
 * settings are already written, so a failed notification is a warning for the caller to report.
 */
export async function runNativeHelper(
  request: NativeRequest,
  env: NodeJS.ProcessEnv,
): Promise<{ ok: boolean; detail: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'goproxy-guard-native-'));
  try {
    const requestFile = join(dir, 'request.json');
    await writeFile(requestFile, `\ufeff${JSON.stringify(request)}`, 'utf8');
    const run = await runTool(TOOLS.powershell, nativeHelperArgs(nativeHelperPath(env), requestFile), env, {
      timeoutMs: 60_000,
    });
    if (run.exitCode !== 0) return { ok: false, detail: `the native helper failed (${toolSaid(run)})` };
    const said = run.stdout.trim().split(/\r?\n/).pop() ?? '';
    if (request.broadcastEnvironment && !said.includes('"broadcast":true')) {
      return { ok: false, detail: `the environment broadcast timed out (${said})` };
    }
    return { ok: true, detail: said };
  } catch (error) {
    return { ok: false, detail: `the native helper could not run: ${(error as Error).message}` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// WSL's distributions and the go inside them, through wsl.exe (issue #20). A distribution is
// Linux: its go keeps its own env file, read and written with that go, every value its own argument.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EnvironmentError, GuardError, ToolFailedError } from '../config/errors.js';
import type { DistroFacts, WslFacts } from '../policy/wsl-go-env.js';
import { parseGoEnvFile } from '../system/go-env.js';
import { toolSaid } from '../system/windows-tool.js';
import { mirroredNetworking, parseDistroList } from './output.js';
import { readShellGoEnv } from './shell-env.js';
import { runWsl, WSL } from './wsl-exe.js';

export { WSL };

/**
 * Where go may be inside a distribution. `wsl --exec` runs no login shell, so a PATH that
 * ~/.profile extends is not there: the official tarball's place is tried after PATH.
 */
const GO_IN_DISTRO = ['go', '/usr/local/go/bin/go'];

export interface Distro {
  name: string;
  running: boolean;
}

/** The installed distributions and which run now; none (and why) when WSL lists none. */
export async function listDistros(env: NodeJS.ProcessEnv): Promise<{ distros: Distro[]; note?: string }> {
  const all = await runWsl(['--list', '--quiet'], env).catch((error: Error) => {
    // No wsl.exe: WSL is not installed, which is a fact to report, not a failure of the run.
    if (error instanceof GuardError && error.errorId === 'ToolMissing')
      return { stdout: '', stderr: error.message, exitCode: -1 };
    throw error;
  });
  if (all.exitCode !== 0)
    return { distros: [], note: `WSL lists no distribution (wsl.exe --list: ${toolSaid(all)})` };
  // With none running, wsl.exe says so and exits non-zero: that is an empty list, not a failure.
  const running = await runWsl(['--list', '--running', '--quiet'], env);
  const up = new Set(
    (running.exitCode === 0 ? parseDistroList(running.stdout) : []).map((n) => n.toLowerCase()),
  );
  return {
    distros: parseDistroList(all.stdout).map((name) => ({ name, running: up.has(name.toLowerCase()) })),
  };
}

export interface DistroGo {
  /** The go command inside the distribution, and its env file (go env GOENV). */
  go: string;
  envFile: string;
}

/** The distribution's go and its env file, or undefined when it has no go. */
export async function findGo(distro: string, env: NodeJS.ProcessEnv): Promise<DistroGo | undefined> {
  for (const go of GO_IN_DISTRO) {
    const run = await runWsl(['-d', distro, '--exec', go, 'env', 'GOENV'], env);
    const envFile = run.stdout.trim();
    if (run.exitCode === 0 && envFile) return { go, envFile };
  }
  return undefined;
}

/** What the distribution's go env file sets (KEY -> value); {} when there is no file yet. */
export async function readDistroGoFile(
  distro: string,
  found: DistroGo,
  env: NodeJS.ProcessEnv,
): Promise<Record<string, string>> {
  if (found.envFile === 'off') return {};
  const run = await runWsl(['-d', distro, '--exec', 'cat', '--', found.envFile], env);
  if (run.exitCode === 0) return parseGoEnvFile(run.stdout);
  if (/no such file/i.test(run.stderr)) return {};
  throw new ToolFailedError(
    `reading ${found.envFile} in WSL distribution ${distro} failed: ${toolSaid(run)}`,
    WSL.exe,
  );
}

/** Sets and unsets values with the distribution's own go: `go env -w K=V ...`, `go env -u K ...`. */
export async function writeDistroGoEnv(
  distro: string,
  found: DistroGo,
  values: Record<string, string | undefined>,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  if (found.envFile === 'off')
    throw new EnvironmentError(
      `go in WSL distribution ${distro} has no env file (GOENV=off); unset GOENV there`,
      'GoEnvOff',
      'InvalidData',
      distro,
    );
  const entries = Object.entries(values);
  const sets = entries.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
  const unsets = entries.filter(([, v]) => v === undefined).map(([k]) => k);
  for (const args of [sets.length ? ['-w', ...sets] : [], unsets.length ? ['-u', ...unsets] : []]) {
    if (args.length === 0) continue;
    const run = await runWsl(['-d', distro, '--exec', found.go, 'env', ...args], env);
    if (run.exitCode !== 0)
      throw new ToolFailedError(
        `go env ${args[0]} in WSL distribution ${distro} failed: ${toolSaid(run)}`,
        WSL.exe,
      );
  }
}

/** Whether %USERPROFILE%\.wslconfig turns on mirrored networking (no file: NAT, WSL's default). */
export async function readMirrored(env: NodeJS.ProcessEnv): Promise<boolean> {
  const profile = env.USERPROFILE;
  if (!profile) return false;
  const text = await readFile(join(profile, '.wslconfig'), 'utf8').catch(() => '');
  return mirroredNetworking(text);
}

/**
 * What the WSL rule needs: each distribution, whether it runs, its go, that go's GOPROXY and
 * GOSUMDB, and the same variables in its environment (which win over the file). A stopped one is looked into only when `startStopped` (looking starts it).
 */
export async function gatherWslFacts(env: NodeJS.ProcessEnv, startStopped: boolean): Promise<WslFacts> {
  const [{ distros, note }, mirrored] = await Promise.all([listDistros(env), readMirrored(env)]);
  const facts: DistroFacts[] = [];
  for (const distro of distros) {
    if (!distro.running && !startStopped) {
      facts.push({ name: distro.name, running: false });
      continue;
    }
    const found = await findGo(distro.name, env);
    const file = found ? await readDistroGoFile(distro.name, found, env) : {};
    facts.push({
      name: distro.name,
      running: distro.running,
      go: found !== undefined,
      file: { GOPROXY: file.GOPROXY, GOSUMDB: file.GOSUMDB },
      ...(found ? { environment: await readShellGoEnv(distro.name, env) } : {}),
    });
  }
  return { distros: facts, mirrored, ...(note ? { notes: [note] } : {}) };
}

import { access, constants, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { FileRefused, readUserFile } from '../config/read-file.js';
import { MAX_GO_ENV_BYTES } from '../system/go-env.js';
import { envValue } from '../text/windows-variables.js';
import type { Finding } from './findings.js';

export interface PathEntry {
  index: number;
  dir: string;
  exists: boolean;
  /** The go binary in this directory, if there is one. */
  go: string | null;
  duplicateOf: number | null;
}

const isExecutable = async (file: string) => {
  try {
    await access(file, constants.X_OK);
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
};

/** What Windows tries when PATHEXT is not set. */
const DEFAULT_PATHEXT = '.COM;.EXE;.BAT;.CMD';

/**
 * The file names `go` is found as in one PATH directory, in the order the shell tries them. On
 * Windows that is PATHEXT's order: a go.cmd or go.bat shim (version managers install them) wins
 * over a go.exe later on PATH, and even over a go.exe beside it when PATHEXT lists .CMD first.
 */
export function goNames(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string[] {
  if (platform !== 'win32') return ['go'];
  const extensions = (envValue(env, 'PATHEXT') || DEFAULT_PATHEXT)
    .split(';')
    .filter((e) => e.startsWith('.'));
  return [...new Set(extensions.map((e) => `go${e.toLowerCase()}`))];
}

/** Every PATH entry in order: whether it exists, whether it holds go, whether it repeats one before it. */
export async function scanPath(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
): Promise<PathEntry[]> {
  const separator = platform === 'win32' ? ';' : ':';
  const names = goNames(env, platform);
  const seen = new Map<string, number>();
  const entries: PathEntry[] = [];
  for (const [index, raw] of ((platform === 'win32' ? envValue(env, 'PATH') : env.PATH) ?? '')
    .split(separator)
    .entries()) {
    const dir = raw.trim().replace(/^"|"$/g, '');
    if (!dir) continue;
    let exists = false;
    let canonical = dir;
    try {
      exists = (await stat(dir)).isDirectory();
      canonical = await realpath(dir);
    } catch {
      // a directory that no longer exists: reported below
    }
    let go: string | null = null;
    for (const name of exists ? names : []) {
      if (await isExecutable(path.join(dir, name))) {
        go = path.join(dir, name); // the first the shell tries is the one it runs
        break;
      }
    }
    const key = platform === 'win32' ? canonical.toLowerCase() : canonical;
    const duplicateOf = seen.get(key) ?? null;
    if (duplicateOf === null) seen.set(key, index);
    entries.push({ index, dir, exists, go, duplicateOf });
  }
  return entries;
}

/** The go that wins on PATH as it describes itself (`go env`): JSON carries it, so a ticket says which go and which env file. */
export interface GoFound {
  path: string;
  version: string;
  root: string;
  /** go's env file (GOENV): %APPDATA%\go\env on Windows unless GOENV moves it; 'off' when disabled. */
  envFile: string;
}

/** The go installation layer: which go wins, its version and GOROOT, PATH problems, writable dirs. */
export async function checkGoInstall(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
): Promise<{ findings: Finding[]; entries: PathEntry[]; winner: string | null; go?: GoFound }> {
  const entries = await scanPath(env, platform);
  const findings: Finding[] = [];
  const gos = entries.filter((e) => e.go && e.duplicateOf === null);
  const winner = gos[0]?.go ?? null;
  for (const entry of entries.filter((e) => !e.exists)) {
    findings.push({
      severity: 'warning',
      layer: 'go install',
      title: `PATH entry ${entry.index + 1} does not exist`,
      evidence: [entry.dir, ...(/go/i.test(entry.dir) ? ['it looks like an old or removed Go install'] : [])],
      fix: `remove "${entry.dir}" from PATH`,
    });
  }
  for (const entry of entries.filter((e) => e.duplicateOf !== null)) {
    findings.push({
      severity: 'info',
      layer: 'go install',
      title: `PATH entry ${entry.index + 1} repeats entry ${(entry.duplicateOf as number) + 1}`,
      evidence: [entry.dir],
      fix: `remove the second "${entry.dir}" from PATH`,
    });
  }
  if (!winner) {
    findings.push({
      severity: 'error',
      layer: 'go install',
      title: 'no go command on PATH',
      evidence: entries
        .filter((e) => /go/i.test(e.dir))
        .map((e) => `${e.dir}: contains "go" in its name but no go binary`),
      fix: 'install Go (https://go.dev/dl) and put its bin directory on PATH',
    });
    return { findings, entries, winner };
  }
  if (gos.length > 1) {
    findings.push({
      severity: 'warning',
      layer: 'go install',
      title: `${gos.length} go commands on PATH; the first one wins`,
      evidence: gos.map((e, i) => `${i === 0 ? 'wins: ' : 'shadowed: '}${e.go}`),
      fix: `remove the Go installs you do not use from PATH, keeping ${path.dirname(winner)}`,
    });
  }
  const run = await execa(
    winner,
    ['env', '-json', 'GOVERSION', 'GOROOT', 'GOPATH', 'GOMODCACHE', 'GOBIN', 'GOENV'],
    {
      env,
      extendEnv: false,
      reject: false,
      timeout: 20_000,
    },
  );
  if (run.exitCode !== 0) {
    findings.push({
      severity: 'error',
      layer: 'go install',
      title: `${winner} does not run`,
      evidence: [`${run.stderr}`.trim()],
      fix: 'reinstall Go',
    });
    return { findings, entries, winner };
  }
  const goEnv = JSON.parse(`${run.stdout}`) as Record<string, string>;
  findings.push({
    severity: 'info',
    layer: 'go install',
    title: `go ${goEnv.GOVERSION} at ${winner}`,
    evidence: [`GOROOT=${goEnv.GOROOT}`, `go's env file: ${goEnv.GOENV || 'none'}`],
    fix: '',
  });
  const go: GoFound = {
    path: winner,
    version: goEnv.GOVERSION ?? '',
    root: goEnv.GOROOT ?? '',
    envFile: goEnv.GOENV ?? '',
  };
  const binaryRoot = path.dirname(path.dirname(await realpath(winner)));
  if (goEnv.GOROOT && path.resolve(goEnv.GOROOT) !== binaryRoot) {
    findings.push({
      severity: 'warning',
      layer: 'go install',
      title: 'GOROOT points elsewhere than the go on PATH',
      evidence: [`go env GOROOT = ${goEnv.GOROOT}`, `the go on PATH lives in ${binaryRoot}`],
      fix: 'unset GOROOT (go finds its own root) or point it at the go you run',
    });
  }
  for (const key of ['GOPATH', 'GOMODCACHE', 'GOBIN'] as const) {
    const dir = goEnv[key]?.split(platform === 'win32' ? ';' : ':')[0];
    if (!dir) continue;
    let target = dir;
    while (
      !(await stat(target).then(
        () => true,
        () => false,
      )) &&
      path.dirname(target) !== target
    )
      target = path.dirname(target);
    const writable = await access(target, constants.W_OK).then(
      () => true,
      () => false,
    );
    if (!writable) {
      findings.push({
        severity: 'error',
        layer: 'go install',
        title: `${key} is not writable`,
        evidence: [`${key}=${dir}`],
        fix: `go env -w ${key}=<a folder you own>`,
      });
    }
  }
  if (goEnv.GOENV && goEnv.GOENV !== 'off') {
    // Capped as go's settings are read elsewhere: a huge file, a pipe or a device is not read whole.
    const text = await readUserFile(goEnv.GOENV, MAX_GO_ENV_BYTES, "go's env file").catch((error: Error) => {
      if (error instanceof FileRefused)
        findings.push({
          severity: 'error',
          layer: 'go install',
          title: `go's env file ${goEnv.GOENV} is not read: ${error.message}`,
          evidence: [`GOENV=${goEnv.GOENV}`],
          fix: `point GOENV at a small text file of KEY=VALUE lines (go env -w writes one), or remove ${goEnv.GOENV}`,
        });
      return ''; // missing or unreadable: go treats it as empty too
    });
    const bad = text.split('\n').filter((line) => line.trim() && !/^[A-Z][A-Z0-9_]*=/.test(line));
    if (bad.length > 0) {
      findings.push({
        severity: 'error',
        layer: 'go install',
        title: `go's env file ${goEnv.GOENV} has lines go cannot read`,
        evidence: bad.slice(0, 5),
        fix: `edit ${goEnv.GOENV} so every line is KEY=VALUE`,
      });
    }
  }
  return { findings, entries, winner, go };
}

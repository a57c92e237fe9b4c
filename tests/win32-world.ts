import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
// @ts-expect-error plain JS module without types
import { cachedNode } from '../scripts/fetch-node.mjs';
import { RUNTIME } from './helpers.js';
import { helperRequestsIn, recordedCalls } from './windows-tiers.js';

// The win32 tier: the bundled runtime run by the shipped node.exe (22.x) under Wine, so
// process.platform is 'win32' of itself and the code a desktop runs is the code tested: the
// registry through the Win32 API (native-reg, writing Wine's registry), paths under the prefix's
// %LOCALAPPDATA% and %APPDATA%, a Windows go.exe writing go's env file, and child processes
// started with Windows command-line quoting. What Wine only stubs (netsh, whoami, schtasks) or
// cannot do (the native helper's Win32 calls through powershell) are recording stand-ins built
// as Windows programs (tests/win32-stand-in). One prefix per test file, one wineserver.
//
// node.exe under Wine needs files, not Linux pipes, for stdout and stderr (a pipe gives
// "Error: open EBADF"): every run writes them to files, read after it ends.

const WINE_DIR = process.env.GOPROXYGUARD_WINE_DIR ?? '/usr/lib/wine';
const WINE = join(WINE_DIR, 'wine64');
const WINESERVER = join(WINE_DIR, 'wineserver');
/** The shipped node.exe (win-x64), as scripts/fetch-node.mjs keeps it. */
export const NODE_EXE = cachedNode('win-x64') as string;
const GO_EXE = resolve(
  `.tools/go-windows/${execFileSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' }).trim()}/go.exe`,
);

/** The Windows go.exe, for a test that puts it on PATH (WINEPATH) as an installer would. */
export const WINDOWS_GO = GO_EXE;

/** A Linux path as the Windows programs see it: Wine maps / to drive Z:. */
export const winPath = (path: string) => `Z:${resolve(path).replaceAll('/', '\\')}`;

export type StandIn = 'netsh' | 'whoami' | 'powershell' | 'schtasks' | 'reg';

export interface Win32World {
  dir: string;
  /** The environment every run of the runtime gets (Windows paths): merge extras per run. */
  env: Record<string, string>;
  /** Runs the bundled runtime as node.exe under Wine. */
  guard: (
    args: string[],
    extra?: Record<string, string>,
  ) => Promise<{ exitCode: number; stdout: string; stderr: string }>;
  /** Runs a Windows program of the prefix (reg.exe, go.exe) with its output in files. */
  run: (
    program: string,
    args: string[],
    extra?: Record<string, string>,
  ) => Promise<{ exitCode: number; stdout: string; stderr: string }>;
  /**
   * Runs the bundled runtime from a "window": a node.exe that starts it with its own environment
   * plus `window` (as a terminal hands its copy to what it starts). Wine gives a process started
   * from Linux the registry's environment over the Linux one; a process started by a Windows
   * one gets exactly the environment it is handed, so this is how a test makes an old copy.
   */
  guardInWindow: (
    args: string[],
    window: Record<string, string>,
    extra?: Record<string, string>,
  ) => Promise<{ exitCode: number; stdout: string; stderr: string }>;
  /** The environment for the product's registry layer (src/system/registry.ts) run here, on Linux: Wine's reg.exe in this prefix. */
  registryEnv: NodeJS.ProcessEnv;
  /** A file of the prefix's user profile (C:\users\<user>\...), as a Linux path. */
  profileFile: (...parts: string[]) => Promise<string>;
  calls: (tool: StandIn) => Promise<string[][]>;
  helperRequests: () => Promise<unknown[]>;
  stop: () => Promise<void>;
}

export async function win32World(): Promise<Win32World> {
  for (const [path, fix] of [
    [WINE, 'apt-get install wine64'],
    [NODE_EXE, 'node scripts/fetch-node.mjs'],
    [GO_EXE, 'bash scripts/setup-tools.sh (it builds go.exe)'],
    [RUNTIME, 'node scripts/build.mjs'],
  ] as const) {
    if (!existsSync(path)) throw new Error(`${path} is missing: run ${fix}`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'gpg-win32-'));
  const bin = join(dir, 'bin');
  const calls = join(dir, 'calls');
  await Promise.all([mkdir(bin), mkdir(calls), mkdir(join(dir, 'out'))]);
  const wineEnv = {
    WINEPREFIX: join(dir, 'prefix'),
    WINEDEBUG: '-all',
    WINEDLLOVERRIDES: 'mscoree,mshtml=', // no Mono or Gecko install prompts
    LANG: 'C.UTF-8', // Wine turns argv into a Windows command line through the locale's code page
  };
  const quiet = { env: { ...process.env, ...wineEnv }, reject: false, stdio: 'ignore' } as const;
  // The prefix, reporting Windows 10 (node.exe 22 refuses older), then one server for the file.
  // Wine's services inherit the output of the call that starts them: start them from a call
  // whose output goes nowhere, or a later reader would wait for an end of file that never comes.
  await execa(WINE, ['reg', 'add', 'HKCU\\Software\\Wine', '/v', 'Version', '/d', 'win10', '/f'], quiet);
  await execa(WINESERVER, ['-w'], quiet);
  const server = execa(WINESERVER, ['-p'], quiet);

  // The stand-ins: one Windows program, copied under each tool's name.
  const standIn = join(bin, 'netsh.exe');
  await execa('go', ['build', '-o', standIn, 'main.go'], {
    cwd: resolve('tests/win32-stand-in'),
    env: { GOOS: 'windows', GOARCH: 'amd64', CGO_ENABLED: '0', GOFLAGS: '' },
  });
  for (const tool of ['whoami', 'powershell', 'schtasks', 'reg'])
    await copyFile(standIn, join(bin, `${tool}.exe`));

  // The guard of tests/setup, loaded by node.exe too, its refusals logged where the test process reads them.
  const loopbackGuard = `file:///${winPath('tests/setup/loopback-guard.mjs').replaceAll('\\', '/')}`;
  const env: Record<string, string> = {
    ...wineEnv,
    GOPROXYGUARD_GO: winPath(GO_EXE),
    GOPROXYGUARD_NETSH: winPath(join(bin, 'netsh.exe')),
    GOPROXYGUARD_WHOAMI: winPath(join(bin, 'whoami.exe')),
    GOPROXYGUARD_POWERSHELL: winPath(join(bin, 'powershell.exe')),
    GOPROXYGUARD_SCHTASKS: winPath(join(bin, 'schtasks.exe')),
    // reg.exe as the registry-tools policy leaves it: refusing. The runtime must not need it.
    GOPROXYGUARD_REG: winPath(join(bin, 'reg.exe')),
    NODE_OPTIONS: `--import=${loopbackGuard}`,
    ...(process.env.GOPROXYGUARD_LOOPBACK_LOG
      ? { GOPROXYGUARD_LOOPBACK_LOG: winPath(process.env.GOPROXYGUARD_LOOPBACK_LOG) }
      : {}),
  };

  let n = 0;
  const run = async (program: string, args: string[], extra: Record<string, string> = {}) => {
    const out = join(dir, 'out', `${++n}.out`);
    const err = join(dir, 'out', `${n}.err`);
    const fds = [openSync(out, 'w'), openSync(err, 'w')] as const;
    try {
      // Wine hands the Unix environment to the Windows program; PATH stays Wine's own.
      const child = spawn(WINE, [program, ...args], {
        cwd: dir,
        env: { ...pick('PATH', 'HOME', 'USER', 'LOGNAME'), ...env, ...extra },
        stdio: ['ignore', fds[0], fds[1]],
      });
      const exitCode = await new Promise<number>((done, failed) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
        child.on('error', failed);
        child.on('exit', (code, signal) => {
          clearTimeout(timer);
          done(code ?? (signal ? -1 : 0));
        });
      });
      const [stdout, stderr] = await Promise.all([readFile(out, 'utf8'), readFile(err, 'utf8')]);
      return {
        exitCode,
        stdout: stdout.replace(/\r\n/g, '\n').trim(),
        stderr: stderr.replace(/\r\n/g, '\n').trim(),
      };
    } finally {
      for (const fd of fds) closeSync(fd);
    }
  };

  const profile = async () => {
    const users = join(wineEnv.WINEPREFIX, 'drive_c', 'users');
    const name = (await readdir(users)).find((u) => u !== 'Public');
    if (!name) throw new Error(`no user profile in ${users}`);
    return join(users, name);
  };

  // Wine's reg.exe for the registry layer run by the test process itself (its reg.exe backend).
  // Its output goes through files, as every run's here: a Wine service it starts would keep a
  // pipe open, and the reader would wait for an end of file that never comes.
  const wineReg = join(dir, 'wine-reg.sh');
  await writeFile(
    wineReg,
    `#!/bin/sh
out=$(mktemp) err=$(mktemp)
${WINE} reg "$@" >"$out" 2>"$err" </dev/null; rc=$?
cat "$out"; cat "$err" >&2; rm -f "$out" "$err"
exit $rc
`,
    { mode: 0o755 },
  );
  // The "window": hands its environment plus GPG_WINDOW's variables to the runtime it starts.
  const window = join(dir, 'window.cjs');
  await writeFile(
    window,
    `const { GPG_WINDOW, ...env } = process.env;
const run = require('node:child_process').spawnSync(process.execPath, process.argv.slice(2), {
  env: { ...env, ...JSON.parse(GPG_WINDOW) }, stdio: 'inherit' });
process.exit(run.status ?? 1);
`,
  );

  return {
    dir,
    env,
    guard: (args, extra) => run(NODE_EXE, [winPath(RUNTIME), ...args], extra),
    guardInWindow: (args, windowEnv, extra) =>
      run(NODE_EXE, [winPath(window), winPath(RUNTIME), ...args], {
        ...extra,
        GPG_WINDOW: JSON.stringify(windowEnv),
      }),
    registryEnv: { ...pick('PATH', 'HOME', 'USER', 'LOGNAME'), ...wineEnv, GOPROXYGUARD_REG: wineReg },
    run,
    profileFile: async (...parts) => join(await profile(), ...parts),
    calls: (tool) => recordedCalls(join(calls, `${tool}.jsonl`)),
    helperRequests: () => helperRequestsIn(calls),
    stop: async () => {
      await execa(WINESERVER, ['-k'], quiet);
      server.kill();
      await server;
      await rm(dir, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}

function pick(...names: string[]): Record<string, string> {
  return Object.fromEntries(names.flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : [])));
}

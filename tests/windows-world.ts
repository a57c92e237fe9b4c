import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { helperRequestsIn, recordedCalls } from './windows-tiers.js';

// A Windows stand-in for tests: Wine's real reg.exe on a private WINEPREFIX for the registry,
// and recording stand-ins for the programs Wine only stubs (netsh, whoami) or that cannot work
// off Windows (the native helper's Win32 calls: the real helper script runs with -DryRun).

/** Where Debian's wine64 package puts its launcher and server (not on PATH); GOPROXYGUARD_WINE_DIR elsewhere. */
const WINE_DIR = process.env.GOPROXYGUARD_WINE_DIR ?? '/usr/lib/wine';
const WINE = join(WINE_DIR, 'wine64');
const WINESERVER = join(WINE_DIR, 'wineserver');
const PWSH = process.env.GOPROXYGUARD_PWSH ?? resolve('.tools/pwsh/pwsh');

// `whoami /groups /fo csv /nh` lines: the mandatory label SID is what GoProxyGuard reads.
const EVERYONE = '"Everyone","Well-known group","S-1-1-0","Mandatory group"\r\n';
const ELEVATED = `${EVERYONE}"Mandatory Label\\High Mandatory Level","Label","S-1-16-12288",""\r\n`;
const NOT_ELEVATED = `${EVERYONE}"Mandatory Label\\Medium Mandatory Level","Label","S-1-16-8192",""\r\n`;

export interface WindowsWorld {
  dir: string;
  /** GOPROXYGUARD_PLATFORM, tool overrides, WINEPREFIX: merge into a run's environment. */
  env: Record<string, string>;
  /** Runs Wine's reg.exe directly (to seed and inspect values the way a user would). */
  reg: (args: string[]) => Promise<{ stdout: string; stderr: string; exitCode: number }>;
  /** Runs any program of the prefix under Wine (cscript, to make Wine's crypt32 act). */
  wine: (args: string[]) => Promise<{ stdout: string; exitCode: number }>;
  /** The argv each stand-in was called with, one array per call. */
  calls: (tool: 'netsh' | 'powershell' | 'whoami') => Promise<string[][]>;
  /** Sets what the netsh stand-in's `show proxy` prints from now on. */
  setWinHttpShow: (output: string) => Promise<void>;
  /** The request files the native helper received, parsed. */
  helperRequests: () => Promise<unknown[]>;
  stop: () => Promise<void>;
}

export interface WorldOptions {
  /** What `netsh winhttp show proxy` prints before any set/reset. */
  winhttpShow?: string;
}

export async function windowsWorld(options: WorldOptions = {}): Promise<WindowsWorld> {
  for (const path of [WINE, WINESERVER, PWSH]) {
    if (!existsSync(path))
      throw new Error(`${path} is missing: run scripts/setup-tools.sh (wine64, PowerShell)`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'gpg-win-'));
  const bin = join(dir, 'bin');
  const log = join(dir, 'calls');
  await mkdir(bin);
  await mkdir(log);
  const wineEnv = {
    WINEPREFIX: join(dir, 'prefix'),
    WINEDEBUG: '-all',
    // No Mono or Gecko install prompts while the prefix is made.
    WINEDLLOVERRIDES: 'mscoree,mshtml=',
    // Wine turns argv into a Windows command line through the locale's code page.
    LANG: 'C.UTF-8',
  };
  const script = async (name: string, body: string) => {
    const path = join(bin, name);
    await writeFile(path, body);
    await chmod(path, 0o755);
    return path;
  };
  // Each stand-in appends its argv as one JSON line: exactly what it was given, no shell between.
  const recorder = (tool: string) =>
    `require('node:fs').appendFileSync(${JSON.stringify(join(log, `${tool}.jsonl`))}, JSON.stringify(process.argv.slice(2)) + '\\n');`;
  const state = join(dir, 'winhttp-state.txt');
  await writeFile(
    state,
    options.winhttpShow ??
      '\r\nCurrent WinHTTP proxy settings:\r\n\r\n    Direct access (no proxy server).\r\n\r\n',
  );
  // Every failure of reg.exe prints a reason (on stdout, as Windows' does). Two other failures
  // are Wine not starting the program at all, so it never ran and changed nothing: a non-zero
  // exit with nothing printed, and Wine's launcher saying "Application could not be started ...
  // ShellExecuteEx failed: Internal error" (caught in local runs of the Wine suites under load;
  // the CI failures of stops 13 and 14 fit them). The `wine` stand-in makes such a call again, at
  // most twice, and writes it down in wine-hiccups.log, which stop() prints, so how often it
  // happens stays visible. Everything run under Wine here goes through it.
  const hiccups = join(dir, 'wine-hiccups.log');
  const wine = await script(
    'wine',
    `#!/bin/sh
out=$(mktemp) err=$(mktemp)
for attempt in 1 2 3; do
  ${WINE} "$@" >"$out" 2>"$err"; rc=$?
  [ $rc -eq 0 ] && break
  if [ -s "$out" ] || [ -s "$err" ]; then grep -q "ShellExecuteEx failed" "$out" "$err" || break; fi
  echo "attempt $attempt: exit code $rc, $(cat "$out" "$err" | head -c 200 | tr '\\r\\n' '  '): $*" >> ${JSON.stringify(hiccups)}
done
cat "$out"; cat "$err" >&2; rm -f "$out" "$err"
exit $rc
`,
  );
  const reg = await script('reg', `#!/bin/sh\nexec ${wine} reg "$@"\n`);
  const netsh = await script(
    'netsh',
    `#!/usr/bin/env node
${recorder('netsh')}
const fs = require('node:fs');
const [, , ...args] = process.argv;
const state = ${JSON.stringify(state)};
const op = args.slice(0, 3).join(' ');
if (op === 'winhttp show proxy') process.stdout.write(fs.readFileSync(state, 'utf8'));
else if (op === 'winhttp reset proxy') {
  fs.writeFileSync(state, '\\r\\nCurrent WinHTTP proxy settings:\\r\\n\\r\\n    Direct access (no proxy server).\\r\\n\\r\\n');
} else if (op === 'winhttp set proxy') {
  const value = (tag) => (args.find((a) => a.startsWith(tag + '=')) ?? '').slice(tag.length + 1);
  fs.writeFileSync(state, '\\r\\nCurrent WinHTTP proxy settings:\\r\\n\\r\\n    Proxy Server(s) :  ' + value('proxy-server') +
    '\\r\\n    Bypass List     :  ' + (value('bypass-list') || '(none)') + '\\r\\n\\r\\n');
} else { process.stderr.write('unexpected netsh call'); process.exit(1); }
`,
  );
  const whoami = await script(
    'whoami',
    `#!/usr/bin/env node
${recorder('whoami')}
// Elevated when the run's environment says so (GPG_TEST_ELEVATED=1), as an administrator's would.
process.stdout.write(process.env.GPG_TEST_ELEVATED === '1' ? ${JSON.stringify(ELEVATED)} : ${JSON.stringify(NOT_ELEVATED)});
`,
  );
  // The real helper script under real PowerShell, with -DryRun: it reads the request file and
  // echoes what it would pass to Win32. The request file is copied first (the runtime deletes it).
  const powershell = await script(
    'powershell',
    `#!/usr/bin/env node
${recorder('powershell')}
const args = process.argv.slice(2);
const request = args[args.indexOf('-RequestPath') + 1];
require('node:fs').copyFileSync(request, ${JSON.stringify(join(log, 'request-'))} + process.hrtime.bigint() + '.json');
const run = require('node:child_process').spawnSync(${JSON.stringify(PWSH)}, [...args, '-DryRun'], { stdio: 'inherit' });
process.exit(run.status ?? 1);
`,
  );
  const env = {
    ...wineEnv,
    GOPROXYGUARD_PLATFORM: 'win32',
    GOPROXYGUARD_REG: reg,
    GOPROXYGUARD_NETSH: netsh,
    GOPROXYGUARD_WHOAMI: whoami,
    GOPROXYGUARD_POWERSHELL: powershell,
    GOPROXYGUARD_NATIVE_HELPER: resolve('dist-psm/GoProxyGuard/bin/native-helper.ps1'),
  };
  // Make the prefix once (seconds) and keep a wineserver running so later calls take ~0.1 s.
  // The first call makes the prefix; wineboot goes on in the background, so wait for it to end.
  // Wine's services (winedevice.exe) live as long as the server and inherit the stdout of the
  // call that started them: start them from a call whose output goes nowhere, or a later
  // reader would wait for an end of file that never comes.
  const withWine = { env: { ...process.env, ...wineEnv }, reject: false } as const;
  const quiet = { ...withWine, stdio: 'ignore' } as const;
  await execa(WINE, ['reg', 'query', 'HKCU\\Environment'], quiet);
  await execa(WINESERVER, ['-w'], quiet);
  const server = execa(WINESERVER, ['-p'], quiet);
  await execa(WINE, ['reg', 'query', 'HKCU\\Environment'], quiet);
  const runReg = async (args: string[]) => {
    const run = await execa(reg, args, withWine);
    return { stdout: run.stdout, stderr: run.stderr, exitCode: run.exitCode ?? -1 };
  };
  return {
    dir,
    env,
    reg: runReg,
    wine: async (args) => {
      const run = await execa(wine, args, { ...withWine, stdin: 'ignore', timeout: 60_000 });
      return { stdout: run.stdout, exitCode: run.exitCode ?? -1 };
    },
    setWinHttpShow: (output) => writeFile(state, output),
    calls: (tool) => recordedCalls(join(log, `${tool}.jsonl`)),
    helperRequests: () => helperRequestsIn(log),
    stop: async () => {
      const hiccupped = await readFile(hiccups, 'utf8').catch(() => '');
      if (hiccupped)
        process.stderr.write(
          `Wine did not start the program for these calls, so they were made again:\n${hiccupped}`,
        );
      await execa(WINESERVER, ['-k'], withWine);
      server.kill();
      await server;
      await rm(dir, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}

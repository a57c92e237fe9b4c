import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import parsePrometheus from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MACHINE_ENV_KEY } from '../src/doctor/windows-env.js';
import type { RunningLab } from '../src/lab/scenarios.js';
import { parseWindowsCommandLine } from '../src/schedule/command-line.js';
import {
  decodeRegFile,
  parseRegExport,
  type RegistryValue,
  writeRegistryValue,
} from '../src/system/registry.js';
import { USER_ENV_KEY, WININET_CONNECTIONS_KEY, WININET_KEY } from '../src/system/windows-settings.js';
import { taskSchema } from './task-schema.js';
import { NODE_EXE, WINDOWS_GO, type Win32World, win32World, winPath } from './win32-world.js';
import { backupRequest, startFailoverLab } from './windows-tiers.js';

// The win32 tier end to end: the bundled runtime as node.exe 22 under Wine (process.platform
// 'win32'), the registry through the Win32 API, go's env file written by a Windows go.exe under
// %APPDATA%, state under %LOCALAPPDATA%, stand-ins for netsh, whoami and the native helper
// (tests/win32-world.ts), and reg.exe replaced by one that refuses, as the registry-tools policy
// makes it: every test here also shows the runtime does not need reg.exe. Values are seeded and
// checked with Wine's own reg.exe from outside, an independent reader.

let lab: RunningLab;
let win: Win32World;
let primary: string;
let backup: string;
const hostOf = (url: string) => new URL(url).host;
// Windows gives every new process the user environment, and Wine does too: the runtime itself
// sees HTTPS_PROXY (the hanging primary) and probes mirrors through it, as go would. The lab's
// mirrors bypass it (.lab.test after the comma), the rest of the value is there to round-trip.
const AWKWARD_NO_PROXY = 'localhost;"odd" value %TEMP% <local> Zoë 中文,.lab.test';
const POLICY_KEY = 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Policies\\System';

beforeAll(async () => {
  // node.exe under Wine on a loaded machine: a generous deadline (the hanging proxy still times out)
  let started: Awaited<ReturnType<typeof startFailoverLab>>;
  [started, win] = await Promise.all([startFailoverLab(4000), win32World()]);
  ({ lab, primary, backup } = started);
}, 240_000);
afterAll(async () => {
  await Promise.all([lab?.stop(), win?.stop()]);
});

/** Wine's own reg.exe, from outside the runtime. */
async function reg(args: string[]) {
  const run = await win.run('reg', args);
  expect(run.exitCode, `reg ${args.join(' ')}: ${run.stdout} ${run.stderr}`).toBe(0);
}

/** The whole of a key as Wine's reg export writes it: the byte-for-byte check of restore. */
async function exported(key: string): Promise<string> {
  const file = join(win.dir, `export-${Math.random()}.reg`);
  await reg(['export', key, winPath(file), '/y']);
  return decodeRegFile(await readFile(file));
}

async function value(key: string, name: string): Promise<RegistryValue> {
  const found = parseRegExport(await exported(key), key).get(name.toLowerCase());
  return found ? { was: 'set', ...found } : { was: 'unset' };
}

/** The user's machine before GoProxyGuard: the primary proxy everywhere, awkward values of every type. */
async function seed() {
  const add = (key: string, name: string, type: string, data: string) =>
    reg(['add', key, '/v', name, '/t', type, '/d', data, '/f']);
  await add(USER_ENV_KEY, 'HTTPS_PROXY', 'REG_SZ', primary);
  await add(USER_ENV_KEY, 'HTTP_PROXY', 'REG_EXPAND_SZ', '%CORP_PROXY%');
  await add(USER_ENV_KEY, 'NO_PROXY', 'REG_SZ', AWKWARD_NO_PROXY);
  await add(WININET_KEY, 'ProxyEnable', 'REG_DWORD', '1');
  await add(WININET_KEY, 'ProxyServer', 'REG_SZ', hostOf(primary));
  await win.run('reg', ['delete', WININET_KEY, '/v', 'ProxyOverride', '/f']); // absent: restore must delete it again
  await add(WININET_CONNECTIONS_KEY, 'DefaultConnectionSettings', 'REG_BINARY', '46000000090000000300000000');
}

/** A config for this lab with Windows paths, in the test's folder. */
async function config(targets: string[]): Promise<string> {
  const raw = lab.config as { tls?: { extraCaFiles?: string[] } };
  const path = join(win.dir, `config-${targets.join('-')}.json`);
  await writeFile(
    path,
    JSON.stringify({
      ...lab.config,
      tls: { ...raw.tls, extraCaFiles: (raw.tls?.extraCaFiles ?? []).map(winPath) },
      proxies: {
        candidates: lab.proxies.map((p) => ({ name: p.name, url: p.url })),
        targets,
        bypass: ['<local>', 'localhost', '*.corp.example'],
      },
    }),
  );
  return winPath(path);
}

/** The user environment and WinINet keys whole, to compare after restore. */
async function snapshot() {
  return { env: await exported(USER_ENV_KEY), wininet: await exported(WININET_KEY) };
}

/** Restore through the runtime, then both keys are byte for byte what they were. */
async function restoresExactly(before: { env: string; wininet: string }) {
  const restore = await win.guard(['restore', '--json']);
  expect(restore.exitCode, restore.stderr).toBe(0);
  expect(await snapshot()).toEqual(before);
}

async function expectBackupChosen() {
  expect(await value(USER_ENV_KEY, 'HTTPS_PROXY')).toEqual({ was: 'set', type: 'REG_SZ', value: backup });
  expect(await value(WININET_KEY, 'ProxyServer')).toEqual({
    was: 'set',
    type: 'REG_SZ',
    value: hostOf(backup),
  });
}

async function goEnvFile(): Promise<string> {
  return readFile(await win.profileFile('AppData', 'Roaming', 'go', 'env'), 'utf8').catch(() => '');
}

async function history(): Promise<Record<string, unknown>[]> {
  const text = await readFile(
    await win.profileFile('AppData', 'Local', 'GoProxyGuard', 'history.jsonl'),
    'utf8',
  );
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

describe('the runtime as node.exe under Wine', { timeout: 300_000 }, () => {
  it('apply switches the user environment and WinINet to the backup proxy through the registry API, go.exe writes %APPDATA%\\go\\env, status shows it, and restore returns every value exactly', async () => {
    await seed();
    const before = await snapshot();
    const goBefore = await goEnvFile();
    const configPath = await config(['env', 'wininet']);

    const apply = await win.guard(['apply', '--config', configPath, '--json']);
    expect(apply.exitCode, apply.stderr).toBe(0);
    const doc = JSON.parse(apply.stdout);
    expect(doc.proxy.choice).toBe('backup');
    expect(doc.proxy.proxies.map((p: { verdict: string }) => p.verdict)).toEqual(['timeout', 'healthy']);

    await expectBackupChosen();
    // the user's REG_EXPAND_SZ stays REG_EXPAND_SZ, its text unexpanded
    expect(await value(USER_ENV_KEY, 'HTTP_PROXY')).toEqual({
      was: 'set',
      type: 'REG_EXPAND_SZ',
      value: backup,
    });
    expect(await value(WININET_KEY, 'ProxyEnable')).toEqual({ was: 'set', type: 'REG_DWORD', value: '1' });
    expect(await value(WININET_KEY, 'ProxyOverride')).toEqual({
      was: 'set',
      type: 'REG_SZ',
      value: '<local>;localhost;*.corp.example',
    });
    // go.exe wrote go's env file where Windows keeps it
    expect(await goEnvFile()).toContain(`GOPROXY=${doc.goproxy}`);
    // state under %LOCALAPPDATA%\GoProxyGuard
    expect((await history()).find((h) => h.event === 'change')).toBeDefined();

    // the helper got one request, in a file, and powershell.exe its argv split back by Windows' rules
    expect(await win.helperRequests()).toEqual([backupRequest(hostOf(backup))]);
    const [argv] = await win.calls('powershell');
    // the helper beside the bundle, found from node.exe's own path (the Linux tier checks the rest)
    expect(argv?.[argv.indexOf('-File') + 1]).toBe(winPath('dist-psm/GoProxyGuard/bin/native-helper.ps1'));
    expect(argv?.[8]).toMatch(/^C:\\users\\[^\\]+\\Temp\\goproxy-guard-native-[^\\]+\\request\.json$/);

    const status = await win.guard(['status', '--json']);
    expect(status.exitCode, status.stderr).toBe(0);
    const shown = JSON.parse(status.stdout);
    expect(shown.currentProxy).toBe('backup');
    expect(shown.windows).toContainEqual({ setting: 'user-env:HTTPS_PROXY', value: backup });

    await restoresExactly(before);
    expect(await value(USER_ENV_KEY, 'NO_PROXY')).toEqual({
      was: 'set',
      type: 'REG_SZ',
      value: AWKWARD_NO_PROXY,
    });
    expect(await value(WININET_KEY, 'ProxyOverride')).toEqual({ was: 'unset' });
    expect(await goEnvFile()).toBe(goBefore);
    expect(await win.calls('reg')).toEqual([]);
  });

  it('with the registry editing tools policy set (reg.exe refused), apply and restore still work', async () => {
    await seed();
    await reg(['add', POLICY_KEY, '/v', 'DisableRegistryTools', '/t', 'REG_DWORD', '/d', '1', '/f']);
    try {
      const before = await snapshot();
      const apply = await win.guard(['apply', '--config', await config(['env', 'wininet']), '--json']);
      expect(apply.exitCode, apply.stderr).toBe(0);
      await expectBackupChosen();
      await restoresExactly(before);
      // reg.exe, which the policy refuses, was never asked
      expect(await win.calls('reg')).toEqual([]);
    } finally {
      await reg(['delete', POLICY_KEY, '/v', 'DisableRegistryTools', '/f']);
    }
  });

  it('run --scheduled switches too, and its textfile (a Windows path) says which proxy is healthy and chosen', async () => {
    await seed();
    const textfile = join(win.dir, 'goproxyguard.prom');
    const run = await win.guard([
      'run',
      '--scheduled',
      '--config',
      await config(['env', 'wininet']),
      '--textfile',
      winPath(textfile),
    ]);
    expect(run.exitCode, run.stderr).toBe(0);
    const families = parsePrometheus(await readFile(textfile, 'utf8'));
    const family = (name: string) => families.find((f) => f.name === name)?.metrics;
    expect(family('goproxyguard_proxy_chosen')).toEqual([
      { labels: { proxy: 'primary' }, value: '0' },
      { labels: { proxy: 'backup' }, value: '1' },
    ]);
    expect(await value(USER_ENV_KEY, 'HTTPS_PROXY')).toMatchObject({ value: backup });
    expect((await win.guard(['restore'])).exitCode).toBe(0);
    expect(await value(USER_ENV_KEY, 'HTTPS_PROXY')).toMatchObject({ value: primary });
  });

  it('health probes the lab mirrors from node.exe', async () => {
    const run = await win.guard(['health', '--config', await config(['env']), '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    const mirrors = JSON.parse(run.stdout).mirrors as { name: string; verdict: string }[];
    expect(mirrors.map((m) => [m.name, m.verdict])).toEqual([['healthy', 'healthy']]);
  });
});

describe('the scheduled task of a module installed under Program Files', { timeout: 300_000 }, () => {
  it('runs the shipped node.exe: paths with spaces and non-ASCII round-trip through the task XML (valid against the schema) and its command line', async () => {
    // The module's layout (bin\node\win-x64\node.exe beside the runtime and the add-on), in a
    // folder with spaces and non-ASCII, as an installed module runs it: the task takes the
    // node.exe that runs the runtime (process.execPath), the module's own.
    const installed = join(win.dir, 'prefix', 'drive_c', 'Program Files', 'Zoë 中文 Tools', 'GoProxyGuard');
    const bin = join(installed, 'bin');
    await mkdir(join(bin, 'node', 'win-x64'), { recursive: true });
    await cp('dist-psm/GoProxyGuard/bin', bin, {
      recursive: true,
      filter: (from) => !from.includes('/bin/node'),
    });
    await cp(NODE_EXE, join(bin, 'node', 'win-x64', 'node.exe'));
    const node = 'C:\\Program Files\\Zoë 中文 Tools\\GoProxyGuard\\bin\\node\\win-x64\\node.exe';
    const runtime = 'C:\\Program Files\\Zoë 中文 Tools\\GoProxyGuard\\bin\\goproxy-guard.mjs';
    const configPath = await config(['env']);
    const file = join(win.dir, 'task.xml');
    const run = await win.run(node, [
      runtime,
      'task',
      'xml',
      '--config',
      configPath,
      '--output',
      winPath(file),
    ]);
    expect(run.exitCode, run.stderr).toBe(0);

    // the exact bytes schtasks would read (UTF-16), against the Task Scheduler 1.3 schema, and
    // the same bytes as `task register` hands them to schtasks.exe (a Windows stand-in keeps them)
    const register = await win.run(node, [runtime, 'task', 'register', '--config', configPath]);
    expect(register.exitCode, register.stderr).toBe(0);
    const [create] = await win.calls('schtasks');
    expect(create?.slice(0, 4)).toEqual(['/Create', '/TN', '\\GoProxyGuard\\Guard', '/XML']);
    const handed = (await readdir(join(win.dir, 'calls'))).filter((f) => f.startsWith('task-'));
    expect(handed).toHaveLength(1);

    for (const xml of [file, join(win.dir, 'calls', handed[0] as string)]) {
      const schema = await execa('xmllint', ['--noout', '--schema', taskSchema(), xml], { reject: false });
      expect(schema.exitCode, `${xml}: ${schema.stderr}`).toBe(0);
    }
    const xpath = (expression: string) =>
      execa('xmllint', [
        '--xpath',
        `string(//*[local-name()="${expression}"])`,
        join(win.dir, 'calls', handed[0] as string),
      ]).then((r) => r.stdout);
    expect(await xpath('Command')).toBe('%SystemRoot%\\System32\\conhost.exe');
    expect(parseWindowsCommandLine(await xpath('Arguments'))).toEqual([
      '--headless',
      node,
      runtime,
      'run',
      '--scheduled',
      '--config',
      configPath,
    ]);
  });
});

describe('doctor as node.exe: where each variable comes from, and the Windows go.exe', {
  timeout: 300_000,
}, () => {
  const sz = (text: string): RegistryValue => ({ was: 'set', type: 'REG_SZ', value: text });
  const UNSET: RegistryValue = { was: 'unset' };
  // Awkward values (non-ASCII, `;`, a space, `%VAR%`), none of them loopback addresses doctor
  // could try: it runs --offline. NO_PROXY is REG_EXPAND_SZ naming a machine variable and an
  // undefined one, so Wine's own expansion (it builds the window's environment) is what the
  // doctor's is compared with.
  const USER: Record<string, RegistryValue> = {
    GOPROXY: sz('https://用户.example/mirror;x|direct'),
    HTTPS_PROXY: sz('http://proxy.example:3128/新'),
    NO_PROXY: {
      was: 'set',
      type: 'REG_EXPAND_SZ',
      value: '%CORP_BYPASS%;<local>;Zoë.corp;%GPG_NOT_SET%CORP_BYPASS%',
    },
    HTTP_PROXY: UNSET,
    GOSUMDB: UNSET,
  };
  const MACHINE: Record<string, RegistryValue> = {
    GOPROXY: sz('https://machine.example/Zoë'),
    GOSUMDB: sz('sum.golang.org https://sum.example/中文;x'),
    CORP_BYPASS: sz('.corp.example;localhost'),
    HTTPS_PROXY: UNSET,
    HTTP_PROXY: UNSET,
    NO_PROXY: UNSET,
  };
  // What the window hands the runtime over what Windows (Wine) gave it from the registry.
  const WINDOW = { HTTPS_PROXY: 'http://old.example:8080/旧', HTTP_PROXY: 'http://only.example:7/here;x' };

  /** Seeds (or, with every value unset, removes) through the product's registry layer: reg.exe here, read back by node.exe through the Win32 API. */
  async function write(key: string, values: Record<string, RegistryValue>) {
    for (const [name, stored] of Object.entries(values))
      await writeRegistryValue(key, name, stored, win.registryEnv);
  }
  const unsetAll = (values: Record<string, RegistryValue>) =>
    Object.fromEntries(Object.keys(values).map((name) => [name, UNSET]));

  it('names the user environment, the machine environment or only this window for each variable, with the findings, and finds go.exe and its env file under %APPDATA%', async () => {
    await write(USER_ENV_KEY, USER);
    await write(MACHINE_ENV_KEY, MACHINE);
    try {
      const run = await win.guardInWindow(['doctor', '--offline', '--json'], WINDOW, {
        WINEPATH: winPath(dirname(WINDOWS_GO)), // go.exe on PATH, as its installer puts it
      });
      const doc = JSON.parse(run.stdout || '{}');
      expect(doc.environment, `${run.exitCode} ${run.stderr}`).toEqual([
        {
          name: 'GOPROXY',
          source: 'user',
          newPrograms: 'user',
          window: 'https://用户.example/mirror;x|direct',
          user: { type: 'REG_SZ', value: 'https://用户.example/mirror;x|direct' },
          machine: { type: 'REG_SZ', value: 'https://machine.example/Zoë' },
        },
        {
          name: 'GOSUMDB',
          source: 'machine',
          newPrograms: 'machine',
          window: 'sum.golang.org https://sum.example/中文;x',
          machine: { type: 'REG_SZ', value: 'sum.golang.org https://sum.example/中文;x' },
        },
        {
          name: 'HTTPS_PROXY',
          source: 'window',
          newPrograms: 'user',
          window: 'http://old.example:8080/旧',
          user: { type: 'REG_SZ', value: 'http://proxy.example:3128/新' },
        },
        {
          name: 'HTTP_PROXY',
          source: 'window',
          newPrograms: 'unset',
          window: 'http://only.example:7/here;x',
        },
        {
          name: 'NO_PROXY',
          source: 'user',
          newPrograms: 'user',
          // expanded by Wine itself: an undefined name stays whole and the scan goes on after it
          window: '.corp.example;localhost;<local>;Zoë.corp;%GPG_NOT_SET%CORP_BYPASS%',
          user: { type: 'REG_EXPAND_SZ', value: '%CORP_BYPASS%;<local>;Zoë.corp;%GPG_NOT_SET%CORP_BYPASS%' },
        },
      ]);
      const findings = doc.findings as { severity: string; title: string; evidence: string[] }[];
      expect(findings).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            severity: 'info',
            title:
              "your user environment's GOPROXY overrides the machine environment's: Windows gives the user value (only PATH is joined)",
          }),
          expect.objectContaining({
            severity: 'info',
            title:
              "GOSUMDB comes from the machine environment (an administrator's setting), not your user environment",
          }),
          {
            severity: 'warning',
            layer: 'settings',
            title:
              "this window has an old HTTPS_PROXY: programs started from now on get the user environment's",
            evidence: [
              'this process: HTTPS_PROXY=http://old.example:8080/旧',
              `${USER_ENV_KEY}: HTTPS_PROXY=http://proxy.example:3128/新`,
            ],
            fix: 'open a new terminal (or sign out and in) so go sees the current value',
          },
          expect.objectContaining({
            severity: 'info',
            title:
              'HTTP_PROXY is set only in this window: neither your user nor the machine environment holds it',
          }),
        ]),
      );
      // the REG_EXPAND_SZ matched after expansion: no finding about it
      expect(findings.filter((f) => f.title.includes('NO_PROXY'))).toEqual([]);

      // the go install section: the Windows go.exe found on PATH, and go's env file where Windows keeps it
      expect(doc.go).toMatchObject({ path: winPath(WINDOWS_GO), version: expect.stringMatching(/^go1\./) });
      expect(doc.go.envFile).toMatch(/^C:\\users\\[^\\]+\\AppData\\Roaming\\go\\env$/);
      expect(findings).toContainEqual(
        expect.objectContaining({
          layer: 'go install',
          title: `go ${doc.go.version} at ${winPath(WINDOWS_GO)}`,
          evidence: expect.arrayContaining([`go's env file: ${doc.go.envFile}`]),
        }),
      );
      expect(findings.filter((f) => f.title === 'no go command on PATH')).toEqual([]);
    } finally {
      await write(USER_ENV_KEY, unsetAll(USER));
      await write(MACHINE_ENV_KEY, unsetAll(MACHINE));
    }
  });

  it('finds a go.cmd shim earlier on PATH as the one that wins (PATHEXT), and runs it through cmd.exe', async () => {
    // A folder without spaces: execa starts a .cmd through cmd.exe (cross-spawn), escaping a space
    // in its path as "^ ", which Wine 8's cmd.exe does not take ("Can't recognize"; Windows' not run).
    const shims = join(win.dir, 'go-shims');
    await mkdir(shims, { recursive: true });
    await writeFile(join(shims, 'go.cmd'), `@"${winPath(WINDOWS_GO)}" %*\r\n`);
    const run = await win.guard(['doctor', '--offline', '--json'], {
      WINEPATH: `${winPath(shims)};${winPath(dirname(WINDOWS_GO))}`,
    });
    const doc = JSON.parse(run.stdout || '{}');
    expect(doc.go, `${run.exitCode} ${run.stderr}`).toMatchObject({
      path: `${winPath(shims)}\\go.cmd`,
      version: expect.stringMatching(/^go1\./),
    });
    expect(doc.findings).toContainEqual(
      expect.objectContaining({
        title: '2 go commands on PATH; the first one wins',
        evidence: [`wins: ${winPath(shims)}\\go.cmd`, `shadowed: ${winPath(WINDOWS_GO)}`],
      }),
    );
  });
});

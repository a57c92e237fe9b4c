import { createHash, X509Certificate } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import parsePrometheus from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goWorld } from '../src/lab/go-world.js';
import { type RunningLab, startLab } from '../src/lab/scenarios.js';
import type { HealthReport } from '../src/probe/run.js';
import { decodeRegFile } from '../src/system/registry.js';
import { USER_ENV_KEY, WININET_CONNECTIONS_KEY, WININET_KEY } from '../src/system/windows-settings.js';
import { cli, RUNTIME, writeJson } from './helpers.js';
import { storeBlob } from './store-blob.js';
import { backupRequest, startFailoverLab } from './windows-tiers.js';
import { type WindowsWorld, windowsWorld } from './windows-world.js';

// End to end under GOPROXYGUARD_PLATFORM=win32: the bundled runtime, the lab's corporate
// proxies (the primary hangs, the backup tunnels), Wine's real reg.exe for the user environment
// and WinINet, recording stand-ins for netsh and whoami, and the real native helper script
// under PowerShell with -DryRun (its Win32 calls cannot run here).
// It stays beside the win32 tier (win32-e2e.test.ts, the runtime as node.exe under Wine), which
// covers apply/restore, status, run --scheduled and health the way a desktop runs them, for what
// that tier does not: kill points, reg.exe refusing half-way (the Linux-side backend), WinHTTP,
// the doctor, TLS trust from the stores, credentials, PAC, and the helper script under pwsh. It
// runs in a tenth of the time (no node.exe start under Wine per command).

let lab: RunningLab;
let win: WindowsWorld;
let primary: string;
let backup: string;
const hostOf = (url: string) => new URL(url).host;
const GERMAN_DIRECT =
  '\r\nAktuelle WinHTTP-Proxyeinstellungen:\r\n\r\n    Direkter Zugriff (kein Proxyserver).\r\n\r\n';

beforeAll(async () => {
  let started: Awaited<ReturnType<typeof startFailoverLab>>;
  [started, win] = await Promise.all([startFailoverLab(1500), windowsWorld()]);
  ({ lab, primary, backup } = started);
}, 120_000);
afterAll(async () => {
  await Promise.all([lab?.stop(), win?.stop()]);
});

/** The user's machine before GoProxyGuard: the primary proxy everywhere, and awkward values. */
async function seed() {
  const add = async (key: string, name: string, type: string, data: string) => {
    const run = await win.reg(['add', key, '/v', name, '/t', type, '/d', data, '/f']);
    expect(run.exitCode, `reg add ${key} /v ${name}: ${run.stdout} ${run.stderr}`).toBe(0);
  };
  await add(USER_ENV_KEY, 'HTTPS_PROXY', 'REG_SZ', primary);
  await add(USER_ENV_KEY, 'HTTP_PROXY', 'REG_EXPAND_SZ', '%CORP_PROXY%');
  await add(USER_ENV_KEY, 'NO_PROXY', 'REG_SZ', 'localhost;"odd" value %TEMP% Zoë 中文');
  await add(WININET_KEY, 'ProxyEnable', 'REG_DWORD', '1');
  await add(WININET_KEY, 'ProxyServer', 'REG_SZ', hostOf(primary));
  // absent before: apply creates it, restore must delete it again
  await win.reg(['delete', WININET_KEY, '/v', 'ProxyOverride', '/f']);
  await add(WININET_CONNECTIONS_KEY, 'DefaultConnectionSettings', 'REG_BINARY', '46000000090000000300000000');
}

/** The whole of a key as reg export writes it: the byte-for-byte check of restore. */
async function exported(key: string): Promise<string> {
  const file = join(win.dir, `export-${Math.random()}.reg`);
  expect((await win.reg(['export', key, file, '/y'])).exitCode).toBe(0);
  return decodeRegFile(await readFile(file));
}

async function value(key: string, name: string) {
  const { readRegistryValues } = await import('../src/system/registry.js');
  return (await readRegistryValues(key, [name], { ...process.env, ...win.env }))[name];
}

async function machine(config: Record<string, unknown>) {
  const world = await goWorld(lab, RUNTIME);
  const configPath = await writeJson(world.dir, 'config.json', config);
  const env = { ...win.env, GPG_TEST_ELEVATED: '0' };
  return {
    world,
    configPath,
    guard: (args: string[], extra: Record<string, string> = {}) => world.guard(args, { ...env, ...extra }),
    history: async () =>
      (await readFile(join(world.env.GOPROXYGUARD_HOME as string, 'history.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
  };
}

const proxies = (targets: string[]) => ({
  ...lab.config,
  proxies: {
    candidates: lab.proxies.map((p) => ({ name: p.name, url: p.url })),
    targets,
    bypass: ['<local>', 'localhost', '*.corp.example'],
  },
});

describe('corporate proxy failover on Windows (Wine registry)', { timeout: 120_000 }, () => {
  it('switches env and WinINet from the hanging primary to the backup, records it, and restore returns every value exactly', async () => {
    await seed();
    const before = { env: await exported(USER_ENV_KEY), wininet: await exported(WININET_KEY) };
    const m = await machine(proxies(['env', 'wininet']));
    try {
      const apply = await m.guard(['apply', '--config', m.configPath, '--json']);
      expect(apply.exitCode, apply.stderr).toBe(0);
      const doc = JSON.parse(apply.stdout);
      expect(doc.proxy.choice).toBe('backup');
      expect(doc.proxy.proxies.map((p: { verdict: string }) => p.verdict)).toEqual(['timeout', 'healthy']);
      expect(doc.notified).toEqual([
        'environment broadcast (WM_SETTINGCHANGE) and WinINet per-connection apply: done',
      ]);

      expect(await value(USER_ENV_KEY, 'HTTPS_PROXY')).toEqual({ was: 'set', type: 'REG_SZ', value: backup });
      // the user's REG_EXPAND_SZ stays REG_EXPAND_SZ
      expect(await value(USER_ENV_KEY, 'HTTP_PROXY')).toEqual({
        was: 'set',
        type: 'REG_EXPAND_SZ',
        value: backup,
      });
      expect(await value(USER_ENV_KEY, 'NO_PROXY')).toEqual({
        was: 'set',
        type: 'REG_SZ',
        value: 'localhost,.corp.example',
      });
      expect(await value(WININET_KEY, 'ProxyEnable')).toEqual({ was: 'set', type: 'REG_DWORD', value: '1' });
      expect(await value(WININET_KEY, 'ProxyServer')).toEqual({
        was: 'set',
        type: 'REG_SZ',
        value: hostOf(backup),
      });
      expect(await value(WININET_KEY, 'ProxyOverride')).toEqual({
        was: 'set',
        type: 'REG_SZ',
        value: '<local>;localhost;*.corp.example',
      });

      const change = (await m.history()).find((h) => h.event === 'change');
      expect(change.systemChanges.map((c: { setting: string }) => c.setting).sort()).toEqual([
        'user-env:HTTPS_PROXY',
        'user-env:HTTP_PROXY',
        'user-env:NO_PROXY',
        'wininet:ProxyOverride',
        'wininet:ProxyServer',
      ]);
      const decision = (await m.history()).find((h) => h.event === 'decision');
      expect(decision.proxyVerdicts).toEqual({ primary: 'timeout', backup: 'healthy' });
      expect(decision.reasons.join('\n')).toMatch(/switching to backup, healthy now/);

      // the helper got one request, in a file, and PowerShell its fixed argv
      expect(await win.helperRequests()).toEqual([backupRequest(hostOf(backup))]);
      const [argv] = await win.calls('powershell');
      expect(argv?.slice(0, 8)).toEqual([
        '-NoLogo',
        '-NoProfile',
        '-NonInteractive',
        '-ExecutionPolicy',
        'Bypass',
        '-File',
        win.env.GOPROXYGUARD_NATIVE_HELPER,
        '-RequestPath',
      ]);
      expect(argv?.[8]).toMatch(/request\.json$/);

      // a second run: the backup is current and healthy, nothing changes, nobody is notified
      const again = await m.guard(['apply', '--config', m.configPath, '--json']);
      expect(again.exitCode, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout).systemChanges).toEqual([]);
      expect(await win.calls('powershell')).toHaveLength(1);

      const status = JSON.parse((await m.guard(['status', '--json'])).stdout);
      expect(status.currentProxy).toBe('backup');
      expect(status.windows).toContainEqual({ setting: 'user-env:HTTPS_PROXY', value: backup });

      const restore = await m.guard(['restore', '--json']);
      expect(restore.exitCode, restore.stderr).toBe(0);
      expect(await exported(USER_ENV_KEY)).toBe(before.env);
      expect(await exported(WININET_KEY)).toBe(before.wininet);
      expect(await value(WININET_KEY, 'ProxyOverride')).toEqual({ was: 'unset' });
      // the connection blob came back, so WinINet is only told to re-read it
      expect((await win.helperRequests()).at(-1)).toEqual({
        broadcastEnvironment: true,
        wininet: { refreshOnly: true },
      });
    } finally {
      await m.world.cleanup();
    }
  });

  it('run from an environment whose HTTPS_PROXY is the dead primary: the mirrors are judged again through the backup it switches to', async () => {
    await seed();
    const m = await machine(proxies(['env', 'wininet']));
    try {
      // What a process started on that desktop inherits: the user environment's dead proxy.
      const apply = await m.guard(['apply', '--config', m.configPath, '--json'], {
        HTTPS_PROXY: primary,
        HTTP_PROXY: primary,
      });
      expect(apply.exitCode, apply.stderr).toBe(0);
      const doc = JSON.parse(apply.stdout);
      expect(doc.proxy.choice).toBe('backup');
      expect(doc.mirrors.map((mirror: { verdict: string }) => mirror.verdict)).toEqual(['healthy']);
      expect(await value(USER_ENV_KEY, 'HTTPS_PROXY')).toMatchObject({ value: backup });
      expect((await m.guard(['restore'])).exitCode).toBe(0);
    } finally {
      await m.world.cleanup();
    }
  });

  it('restore recovers every value after apply was killed right after the Windows writes', async () => {
    await seed();
    const before = { env: await exported(USER_ENV_KEY), wininet: await exported(WININET_KEY) };
    const m = await machine(proxies(['env', 'wininet']));
    try {
      const killed = await m.guard(['apply', '--config', m.configPath], {
        GOPROXYGUARD_CRASH_AT: 'after-system',
      });
      expect(killed.signal).toBe('SIGKILL');
      expect(await value(USER_ENV_KEY, 'HTTPS_PROXY')).toMatchObject({ value: backup });
      const restore = await m.guard(['restore']);
      expect(restore.exitCode, restore.stderr).toBe(0);
      expect(await exported(USER_ENV_KEY)).toBe(before.env);
      expect(await exported(WININET_KEY)).toBe(before.wininet);
    } finally {
      await m.world.cleanup();
    }
  });

  it('killed after its backup, before any write: restore reads every value back and has nothing to restore', async () => {
    await seed();
    const before = { env: await exported(USER_ENV_KEY), wininet: await exported(WININET_KEY) };
    const m = await machine(proxies(['env', 'wininet']));
    try {
      const killed = await m.guard(['apply', '--config', m.configPath], {
        GOPROXYGUARD_CRASH_AT: 'after-decision',
      });
      expect(killed.signal).toBe('SIGKILL');
      const home = m.world.env.GOPROXYGUARD_HOME as string;
      const { settings } = JSON.parse(await readFile(join(home, 'backup.json'), 'utf8'));
      // Windows values are in the backup: restore compares them with the registry, not only go's file
      expect(Object.keys(settings)).toEqual(
        expect.arrayContaining([
          'user-env:HTTPS_PROXY',
          'wininet:ProxyServer',
          'wininet:DefaultConnectionSettings',
        ]),
      );
      const restore = await m.guard(['restore']);
      expect(restore.exitCode, restore.stderr).toBe(1);
      expect(restore.stdout).toBe('Nothing to restore: GoProxyGuard has not changed this machine.');
      expect(await exported(USER_ENV_KEY)).toBe(before.env);
      expect(await exported(WININET_KEY)).toBe(before.wininet);
      expect((await m.history()).at(-1)).toMatchObject({ command: 'restore', restored: [] });
    } finally {
      await m.world.cleanup();
    }
  });

  it('when reg.exe refuses one value half-way, every value written before it is put back', async () => {
    await seed();
    const before = { env: await exported(USER_ENV_KEY), wininet: await exported(WININET_KEY) };
    // reg.exe as a locked-down profile has it: writing ProxyOverride is denied (it comes last)
    const refusing = join(win.dir, 'bin', 'reg-refusing');
    await writeFile(
      refusing,
      `#!/bin/sh\ncase "$*" in add*"/v ProxyOverride"*) echo "ERROR: Access is denied." >&2; exit 1;; esac\nexec ${win.env.GOPROXYGUARD_REG} "$@"\n`,
    );
    await chmod(refusing, 0o755);
    const m = await machine(proxies(['env', 'wininet']));
    try {
      const run = await m.guard(['apply', '--config', m.configPath], { GOPROXYGUARD_REG: refusing });
      expect(run.exitCode).toBe(3);
      expect(run.stderr).toMatch(
        /reg add .*ProxyOverride failed \(exit code 1: ERROR: Access is denied\.\); every value was put back as it was/,
      );
      expect(await exported(USER_ENV_KEY)).toBe(before.env);
      expect(await exported(WININET_KEY)).toBe(before.wininet);
      // go's env file was put back too: GOPROXY is not set in it
      expect(await readFile(m.world.envFile, 'utf8').catch(() => '')).not.toMatch(/GOPROXY=/);
    } finally {
      await m.world.cleanup();
    }
  });

  it('a scheduled run switches too, and its textfile says which proxy is healthy and chosen', async () => {
    await seed();
    const m = await machine(proxies(['env', 'wininet']));
    try {
      const textfile = join(m.world.dir, 'goproxyguard.prom');
      const run = await m.guard(['run', '--scheduled', '--config', m.configPath, '--textfile', textfile]);
      expect(run.exitCode, run.stderr).toBe(0);
      const families = parsePrometheus(await readFile(textfile, 'utf8'));
      const family = (name: string) => families.find((f) => f.name === name)?.metrics;
      expect(family('goproxyguard_proxy_healthy')).toEqual([
        { labels: { proxy: 'primary', verdict: 'timeout' }, value: '0' },
        { labels: { proxy: 'backup', verdict: 'healthy' }, value: '1' },
      ]);
      expect(family('goproxyguard_proxy_chosen')).toEqual([
        { labels: { proxy: 'primary' }, value: '0' },
        { labels: { proxy: 'backup' }, value: '1' },
      ]);
      expect(await value(USER_ENV_KEY, 'HTTPS_PROXY')).toMatchObject({ value: backup });
      expect((await m.guard(['restore'])).exitCode).toBe(0);
    } finally {
      await m.world.cleanup();
    }
  });

  it('says when a PAC file is in use, since a fixed proxy turns it off until restore', async () => {
    await seed();
    expect(
      (
        await win.reg([
          'add',
          WININET_KEY,
          '/v',
          'AutoConfigURL',
          '/t',
          'REG_SZ',
          '/d',
          'http://wpad.corp.example/proxy.pac',
          '/f',
        ])
      ).exitCode,
    ).toBe(0);
    const m = await machine(proxies(['wininet']));
    try {
      const plan = await m.guard(['plan', '--config', m.configPath, '--json']);
      expect(plan.exitCode, plan.stderr).toBe(0);
      expect(JSON.parse(plan.stdout).notes).toContain(
        'WinINet uses a PAC file (AutoConfigURL http://wpad.corp.example/proxy.pac); the per-connection apply sets a fixed proxy and turns the PAC file off for browsers until goproxy-guard restore',
      );
    } finally {
      await win.reg(['delete', WININET_KEY, '/v', 'AutoConfigURL', '/f']);
      await m.world.cleanup();
    }
  });

  it('writes proxy credentials to HTTPS_PROXY only: output and history hide the password', async () => {
    await seed();
    const withCredentials = backup.replace('http://', 'http://zoe:s3cr%40t@');
    const config = proxies(['env', 'wininet']);
    (config.proxies.candidates[1] as { url: string }).url = withCredentials;
    const m = await machine(config);
    try {
      const apply = await m.guard(['apply', '--config', m.configPath, '--json']);
      expect(apply.exitCode, apply.stderr).toBe(0);
      expect(await value(USER_ENV_KEY, 'HTTPS_PROXY')).toMatchObject({ value: withCredentials });
      expect(await value(WININET_KEY, 'ProxyServer')).toMatchObject({ value: hostOf(backup) });
      const history = await readFile(join(m.world.env.GOPROXYGUARD_HOME as string, 'history.jsonl'), 'utf8');
      for (const text of [apply.stdout, history]) {
        expect(text).not.toContain('s3cr');
        expect(text).toContain('zoe:***@');
      }
      expect((await m.guard(['restore'])).exitCode).toBe(0);
    } finally {
      await m.world.cleanup();
    }
  });

  it('a proxy URL that is not one is refused before anything changes, naming the field', async () => {
    await seed();
    const before = { env: await exported(USER_ENV_KEY), wininet: await exported(WININET_KEY) };
    const config = proxies(['env']);
    (config.proxies.candidates[0] as { url: string }).url = 'http://proxy.corp;evil:8080';
    const m = await machine(config);
    try {
      const run = await m.guard(['apply', '--config', m.configPath]);
      expect(run.exitCode).toBe(2);
      expect(run.stderr).toMatch(
        /config field "proxies\.candidates\[0\]\.url": must not contain spaces, quotes, ";"/,
      );
      expect(await exported(USER_ENV_KEY)).toBe(before.env);
      expect(await exported(WININET_KEY)).toBe(before.wininet);
    } finally {
      await m.world.cleanup();
    }
  });

  it('GOPROXY set in the user environment follows the decision, and is restored with its type', async () => {
    await seed();
    expect(
      (
        await win.reg([
          'add',
          USER_ENV_KEY,
          '/v',
          'GOPROXY',
          '/t',
          'REG_EXPAND_SZ',
          '/d',
          'https://old.example|direct',
          '/f',
        ])
      ).exitCode,
    ).toBe(0);
    const m = await machine(lab.config);
    try {
      const apply = await m.guard(['apply', '--config', m.configPath, '--json']);
      expect(apply.exitCode, apply.stderr).toBe(0);
      const goproxy = JSON.parse(apply.stdout).goproxy;
      expect(await value(USER_ENV_KEY, 'GOPROXY')).toEqual({
        was: 'set',
        type: 'REG_EXPAND_SZ',
        value: goproxy,
      });
      expect((await m.guard(['restore'])).exitCode).toBe(0);
      expect(await value(USER_ENV_KEY, 'GOPROXY')).toEqual({
        was: 'set',
        type: 'REG_EXPAND_SZ',
        value: 'https://old.example|direct',
      });
    } finally {
      await win.reg(['delete', USER_ENV_KEY, '/v', 'GOPROXY', '/f']);
      await m.world.cleanup();
    }
  });
});

describe('the doctor reads the user environment (Wine registry)', { timeout: 120_000 }, () => {
  it('tells a window with an old HTTPS_PROXY from the user environment that has the new one', async () => {
    await seed();
    const m = await machine(lab.config);
    try {
      const run = await m.guard(['doctor', '--offline', '--json'], { HTTPS_PROXY: 'http://127.0.0.1:9' });
      const findings = JSON.parse(run.stdout).findings as { title: string; evidence: string[] }[];
      const stale = findings.find((f) => f.title.startsWith('this window has an old HTTPS_PROXY'));
      expect(stale?.evidence).toEqual([
        'this process: HTTPS_PROXY=http://127.0.0.1:9',
        `HKCU\\Environment: HTTPS_PROXY=${primary}`,
      ]);
    } finally {
      await m.world.cleanup();
    }
  });
});

describe('WinHTTP through netsh (argv recorded by a stand-in)', { timeout: 120_000 }, () => {
  const OLD =
    '\r\nCurrent WinHTTP proxy settings:\r\n\r\n    Proxy Server(s) :  old.corp.example:8080\r\n    Bypass List     :  <local>;*.old.example\r\n\r\n';

  it('elevated: sets the backup with its bypass list, and restore sets the old proxy back exactly', async () => {
    await seed();
    await win.setWinHttpShow(OLD);
    const m = await machine(proxies(['winhttp']));
    const netshBefore = (await win.calls('netsh')).length;
    try {
      const apply = await m.guard(['apply', '--config', m.configPath, '--json'], { GPG_TEST_ELEVATED: '1' });
      expect(apply.exitCode, apply.stderr).toBe(0);
      const restore = await m.guard(['restore'], { GPG_TEST_ELEVATED: '1' });
      expect(restore.exitCode, restore.stderr).toBe(0);
      const calls = (await win.calls('netsh')).slice(netshBefore);
      expect(calls.filter((argv) => argv[1] !== 'show')).toEqual([
        [
          'winhttp',
          'set',
          'proxy',
          `proxy-server=${hostOf(backup)}`,
          'bypass-list=<local>;localhost;*.corp.example',
        ],
        [
          'winhttp',
          'set',
          'proxy',
          'proxy-server=old.corp.example:8080',
          'bypass-list=<local>;*.old.example',
        ],
      ]);
      // every write was read back with show proxy
      expect(calls.filter((argv) => argv[1] === 'show').length).toBeGreaterThanOrEqual(3);
    } finally {
      await m.world.cleanup();
    }
  });

  it('elevated, from direct access: restore resets to direct', async () => {
    await win.setWinHttpShow(
      '\r\nCurrent WinHTTP proxy settings:\r\n\r\n    Direct access (no proxy server).\r\n\r\n',
    );
    const m = await machine(proxies(['winhttp']));
    const netshBefore = (await win.calls('netsh')).length;
    try {
      expect((await m.guard(['apply', '--config', m.configPath], { GPG_TEST_ELEVATED: '1' })).exitCode).toBe(
        0,
      );
      expect((await m.guard(['restore'], { GPG_TEST_ELEVATED: '1' })).exitCode).toBe(0);
      const writes = (await win.calls('netsh')).slice(netshBefore).filter((argv) => argv[1] !== 'show');
      expect(writes.at(-1)).toEqual(['winhttp', 'reset', 'proxy']);
    } finally {
      await m.world.cleanup();
    }
  });

  it('elevated, direct access worded in German: the stored WinHttpSettings settles it, and restore resets', async () => {
    await win.setWinHttpShow(GERMAN_DIRECT);
    // what `netsh winhttp reset proxy` leaves in the machine's registry
    const stored = [
      'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Connections',
      '/v',
      'WinHttpSettings',
    ];
    expect(
      (
        await win.reg([
          'add',
          ...stored,
          '/t',
          'REG_BINARY',
          '/d',
          '1800000000000000010000000000000000000000',
          '/f',
        ])
      ).exitCode,
    ).toBe(0);
    const m = await machine(proxies(['winhttp']));
    const netshBefore = (await win.calls('netsh')).length;
    try {
      const apply = await m.guard(['apply', '--config', m.configPath, '--json'], { GPG_TEST_ELEVATED: '1' });
      expect(apply.exitCode, apply.stderr).toBe(0);
      expect(JSON.parse(apply.stdout).notes.join('\n')).not.toMatch(/cannot read/);
      // the stand-in now shows the backup in English; restore must go back to direct access
      expect((await m.guard(['restore'], { GPG_TEST_ELEVATED: '1' })).exitCode).toBe(0);
      const writes = (await win.calls('netsh')).slice(netshBefore).filter((argv) => argv[1] !== 'show');
      expect(writes).toEqual([
        [
          'winhttp',
          'set',
          'proxy',
          `proxy-server=${hostOf(backup)}`,
          'bypass-list=<local>;localhost;*.corp.example',
        ],
        ['winhttp', 'reset', 'proxy'],
      ]);
    } finally {
      await win.reg(['delete', ...stored, '/f']);
      await m.world.cleanup();
    }
  });

  it('not elevated: WinHTTP is skipped with a clear message and netsh is never asked to change it', async () => {
    const m = await machine(proxies(['winhttp']));
    const netshBefore = (await win.calls('netsh')).length;
    try {
      const plan = await m.guard(['plan', '--config', m.configPath, '--json']);
      expect(plan.exitCode, plan.stderr).toBe(0);
      expect(JSON.parse(plan.stdout).notes.join('\n')).toMatch(
        /WinHTTP was skipped: .*needs an elevated run/,
      );
      expect((await win.calls('netsh')).slice(netshBefore)).toEqual([]);
    } finally {
      await m.world.cleanup();
    }
  });

  it('an unreadable show proxy output leaves WinHTTP alone and says why', async () => {
    // without a stored WinHttpSettings (Wine has none) nothing settles the German wording
    await win.setWinHttpShow(GERMAN_DIRECT);
    const m = await machine(proxies(['winhttp']));
    const netshBefore = (await win.calls('netsh')).length;
    try {
      const apply = await m.guard(['apply', '--config', m.configPath, '--json'], { GPG_TEST_ELEVATED: '1' });
      expect(apply.exitCode, apply.stderr).toBe(0);
      expect(JSON.parse(apply.stdout).notes.join('\n')).toMatch(/cannot read, so WinHTTP is left alone/);
      expect((await win.calls('netsh')).slice(netshBefore).filter((argv) => argv[1] !== 'show')).toEqual([]);
    } finally {
      await m.world.cleanup();
    }
  });
});

describe('TLS trust from the Windows certificate store (Wine registry)', { timeout: 120_000 }, () => {
  // A desktop behind TLS inspection: the inspection root reaches Windows by Group Policy, not the
  // config. go trusts it through the Windows store; the probes must too, or every mirror looks broken.
  const STORE = 'HKLM\\SOFTWARE\\Policies\\Microsoft\\SystemCertificates\\Root\\Certificates';

  it('an inspected mirror is healthy once the inspection root is in the Group Policy store, and says so', async () => {
    const inspected = await startLab(
      {
        summary: 'a mirror behind TLS inspection; the config does not trust the inspection root',
        mirrors: [{ name: 'inspected', mode: { kind: 'ok' }, tls: 'inspection' }],
      },
      1500,
    );
    const root = new X509Certificate(await readFile(inspected.inspectionCaFile, 'utf8'));
    const thumbprint = createHash('sha1').update(root.raw).digest('hex').toUpperCase();
    const health = async (platform: string) => {
      const run = await cli(['health', '--config', inspected.configPath, '--json'], {
        ...process.env,
        ...win.env,
        GOPROXYGUARD_PLATFORM: platform,
      });
      return (JSON.parse(run.stdout) as HealthReport).mirrors[0];
    };
    try {
      expect((await health('win32'))?.verdict).toBe('tls-invalid');
      const add = [
        'add',
        `${STORE}\\${thumbprint}`,
        '/v',
        'Blob',
        '/t',
        'REG_BINARY',
        '/d',
        storeBlob(root.raw),
        '/f',
      ];
      expect((await win.reg(add)).exitCode).toBe(0);
      const trusted = await health('win32');
      expect(trusted?.verdict, trusted?.evidence.join('\n')).toBe('healthy');
      expect(trusted?.evidence).toContain(
        'tls: trusted only through the Windows certificate store (Group Policy Root) (CN=Corp TLS Inspection Root, O=GoProxyGuard Lab)',
      );
      // off Windows the store is not read: the same root is not trusted
      expect((await health('linux'))?.verdict).toBe('tls-invalid');
    } finally {
      await win.reg(['delete', `${STORE}\\${thumbprint}`, '/f']);
      await inspected.stop();
    }
  });
});

describe('off Windows', () => {
  it('probes the proxies but changes no Windows setting without GOPROXYGUARD_PLATFORM=win32', async () => {
    const world = await goWorld(lab, RUNTIME);
    try {
      const configPath = await writeJson(world.dir, 'config.json', proxies(['env', 'wininet']));
      const plan = await world.guard(['plan', '--config', configPath, '--json'], {
        GOPROXYGUARD_PLATFORM: 'linux',
      });
      expect(plan.exitCode, plan.stderr).toBe(0);
      const doc = JSON.parse(plan.stdout);
      expect(doc.systemChanges).toEqual([]);
      expect(doc.notes.join('\n')).toMatch(/managed on Windows only/);
    } finally {
      await world.cleanup();
    }
  });
});

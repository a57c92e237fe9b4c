import { describe, expect, it } from 'vitest';
import { loadConfig, withOption } from '../src/config/load.js';
import type { PolicyKeyReading, PolicyReadings, RegistryData } from '../src/config/policy.js';
import { POLICY_KEYS } from '../src/config/policy-fields.js';
import { tempDir, writeJson } from './helpers.js';
import { regExportStandIn } from './reg-export-stand-in.js';

// The precedence, locking and bad-value rules, on policy keys as the registry layer returns them
// (the Wine registry end to end is in fleet-policy-wine.test.ts).

const dir = await tempDir();
const sz = (value: string): RegistryData => ({ type: 'REG_SZ', value });
const dword = (value: number): RegistryData => ({ type: 'REG_DWORD', value: String(value) });

function key(
  scope: 'machine' | 'user',
  values: Record<string, RegistryData>,
  lists: Record<string, string[]> = {},
): PolicyKeyReading {
  return {
    key: POLICY_KEYS[scope],
    values: new Map(Object.entries(values).map(([n, v]) => [n.toLowerCase(), v])),
    subkeys: new Map(
      Object.entries(lists).map(([n, entries]) => [
        n.toLowerCase(),
        new Map(entries.map((entry, i) => [String(i + 1), sz(entry)])),
      ]),
    ),
  };
}

const policy = (machine?: PolicyKeyReading, user?: PolicyKeyReading): PolicyReadings => ({
  unreadable: [],
  ...(machine ? { machine } : {}),
  ...(user ? { user } : {}),
});

const sourceOf = (loaded: Awaited<ReturnType<typeof loadConfig>>, field: string) =>
  loaded.settings?.find((s) => s.field === field);

describe('fleet policy: precedence', () => {
  it('machine policy over user policy over the config file over the defaults, each field named with its source', async () => {
    const file = await writeJson(dir, 'prec.json', {
      deadlineMs: 3000,
      policy: { failAfter: 4, recoverAfter: 5 },
      guard: { enabled: false },
    });
    const loaded = await loadConfig(
      file,
      {},
      policy(
        key(
          'machine',
          { DeadlineMs: dword(9000), GuardEnabled: dword(1) },
          { Mirrors: ['corp=https://goproxy.corp.example/', 'cn=https://goproxy.cn'] },
        ),
        key('user', { DeadlineMs: dword(7000), FailAfter: dword(6) }),
      ),
    );
    expect(loaded.config.deadlineMs).toBe(9000);
    expect(loaded.config.guard.enabled).toBe(true);
    expect(loaded.config.policy.failAfter).toBe(6);
    expect(loaded.config.policy.recoverAfter).toBe(5);
    expect(loaded.config.mirrors).toEqual([
      { name: 'corp', url: 'https://goproxy.corp.example' },
      { name: 'cn', url: 'https://goproxy.cn' },
    ]);
    expect(sourceOf(loaded, 'deadlineMs')).toMatchObject({
      source: 'machine policy',
      origin: `${POLICY_KEYS.machine}\\DeadlineMs`,
    });
    expect(sourceOf(loaded, 'policy.failAfter')).toMatchObject({ source: 'user policy' });
    expect(sourceOf(loaded, 'policy.recoverAfter')).toMatchObject({ source: 'config file', origin: file });
    expect(sourceOf(loaded, 'canary')).toMatchObject({ source: 'default', origin: 'built-in default' });
    // The file's differing values are overridden by name; its equal or absent ones say nothing.
    expect(loaded.policyWarnings).toEqual([
      `config file ${file} sets deadlineMs to 3000, but machine policy ${POLICY_KEYS.machine}\\DeadlineMs sets 9000, which is used`,
      `config file ${file} sets guard.enabled to false, but machine policy ${POLICY_KEYS.machine}\\GuardEnabled sets true, which is used`,
      `config file ${file} sets policy.failAfter to 4, but user policy ${POLICY_KEYS.user}\\FailAfter sets 6, which is used`,
    ]);
  });

  it('reads every kind: lists in numeric order, text, module@version, the guard port, expandable paths', async () => {
    const reading = key(
      'machine',
      {
        Canary: sz('example.com/canary@v1.2.3'),
        GuardPort: dword(47999),
        MetricsTextfile: { type: 'REG_EXPAND_SZ', value: '%ProgramData%\\exporter\\gpg.prom' },
        AllowDirect: dword(1),
        ProxyDirect: dword(0),
      },
      {
        TrustedResolvers: ['https://doh.corp.example/dns-query'],
        ProxyTargets: ['env', 'winhttp'],
        ProxyBypass: ['*.corp.example', '<local>'],
      },
    );
    // Group Policy numbers list entries 1..N; 10 must come after 2.
    const proxies = new Map([
      ['10', sz('c=http://c.corp.example:8080')],
      ['2', sz('b=http://b.corp.example:8080')],
      ['1', sz('a=http://a.corp.example:8080')],
    ]);
    const withProxies = { ...reading, subkeys: new Map([...reading.subkeys, ['proxycandidates', proxies]]) };
    const { config, policyWarnings } = await loadConfig(
      undefined,
      { ProgramData: 'C:\\ProgramData' },
      policy(withProxies),
    );
    expect(policyWarnings).toEqual([]);
    expect(config.canary).toEqual({ module: 'example.com/canary', version: 'v1.2.3' });
    expect(config.guard.listen).toBe('127.0.0.1:47999');
    expect(config.schedule.textfile).toBe('C:\\ProgramData\\exporter\\gpg.prom');
    expect(config.policy.allowDirect).toBe(true);
    expect(config.proxies.direct).toBe(false);
    expect(config.dns.trusted).toEqual(['https://doh.corp.example/dns-query']);
    expect(config.proxies.targets).toEqual(['env', 'winhttp']);
    expect(config.proxies.bypass).toEqual(['*.corp.example', '<local>']);
    expect(config.proxies.candidates.map((p) => p.name)).toEqual(['a', 'b', 'c']);
  });

  it('without policy keys (off Windows) the config is exactly the file and the defaults', async () => {
    const file = await writeJson(dir, 'plain.json', { deadlineMs: 3000 });
    const loaded = await loadConfig(file, {}, undefined);
    expect(loaded.config.deadlineMs).toBe(3000);
    expect(loaded.policyWarnings).toEqual([]);
    expect(loaded.settings?.filter((s) => s.source !== 'default').map((s) => s.field)).toEqual([
      'deadlineMs',
    ]);
  });
});

describe('fleet policy: locking', () => {
  it('a field set by policy wins over a config file value that is invalid there, and over --deadline-ms', async () => {
    // The file's deadline alone would fail the load (exit 2); policy fixes the field, so it is overridden.
    const file = await writeJson(dir, 'bad-locked.json', { deadlineMs: 'soon', policy: { failAfter: 3 } });
    const loaded = await loadConfig(file, {}, policy(key('machine', { DeadlineMs: dword(8000) })));
    expect(loaded.config.deadlineMs).toBe(8000);
    const { loaded: after, warning } = withOption(loaded, 'deadlineMs', 2000, '--deadline-ms');
    expect(after.config.deadlineMs).toBe(8000);
    expect(warning).toBe(
      `--deadline-ms 2000 is not used: machine policy ${POLICY_KEYS.machine}\\DeadlineMs sets it`,
    );
  });

  it('LockLocalSettings: the config file changes nothing policy does not set, and says which fields it lost', async () => {
    const file = await writeJson(dir, 'locked.json', {
      deadlineMs: 3000,
      guard: { stallMs: 900 },
      policy: { allowDirect: true },
    });
    const loaded = await loadConfig(
      file,
      {},
      policy(key('machine', { LockLocalSettings: dword(1), AllowDirect: dword(0) })),
    );
    expect(loaded.config.deadlineMs).toBe(5000);
    expect(loaded.config.guard.stallMs).toBe(5000);
    expect(loaded.config.policy.allowDirect).toBe(false);
    expect(sourceOf(loaded, 'deadlineMs')?.source).toBe('default');
    expect(loaded.policyWarnings).toContain(
      `machine policy ${POLICY_KEYS.machine}\\LockLocalSettings forbids local settings: config file ${file} is not used for deadlineMs, guard.stallMs; they take their default`,
    );
    expect(withOption(loaded, 'deadlineMs', 2000, '--deadline-ms').warning).toBe(
      '--deadline-ms 2000 is not used: policy forbids local settings',
    );
  });

  it('LockLocalSettings: a config file that cannot be used stops nothing, and is named in a warning', async () => {
    const { writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{ "deadlineMs": 3000,');
    const locked = policy(key('machine', { LockLocalSettings: dword(1), DeadlineMs: dword(8000) }));
    const loaded = await loadConfig(broken, {}, locked);
    expect(loaded.config.deadlineMs).toBe(8000);
    expect(loaded.policyWarnings?.[0]).toMatch(
      new RegExp(
        `^machine policy .*\\\\LockLocalSettings forbids local settings, so this does not stop the run: config file ${broken} is not valid JSON`,
      ),
    );
    // Without the lock the file is the user's own config: still exit 2, naming it.
    await expect(loadConfig(broken, {}, policy(key('machine', { DeadlineMs: dword(8000) })))).rejects.toThrow(
      `config file ${broken} is not valid JSON`,
    );
  });

  it('machine policy turning LockLocalSettings off wins over a user policy turning it on', async () => {
    const file = await writeJson(dir, 'unlocked.json', { deadlineMs: 3000 });
    const loaded = await loadConfig(
      file,
      {},
      policy(key('machine', { LockLocalSettings: dword(0) }), key('user', { LockLocalSettings: dword(1) })),
    );
    expect(loaded.config.deadlineMs).toBe(3000);
  });

  it('the loaded config is frozen, and an option makes a new one with "command line" as its source', async () => {
    const loaded = await loadConfig(undefined, {}, policy());
    expect(() => {
      (loaded.config as { deadlineMs: number }).deadlineMs = 1;
    }).toThrow(TypeError);
    expect(() => {
      (loaded.config.mirrors as unknown[]).push({});
    }).toThrow(TypeError);
    const { loaded: after, warning } = withOption(loaded, 'deadlineMs', 2500, '--deadline-ms');
    expect(warning).toBeUndefined();
    expect(after.config.deadlineMs).toBe(2500);
    expect(loaded.config.deadlineMs).toBe(5000);
    expect(Object.isFrozen(after.config)).toBe(true);
    expect(after.settings?.find((s) => s.field === 'deadlineMs')).toMatchObject({
      source: 'command line',
      origin: '--deadline-ms',
    });
  });
});

describe('fleet policy: bad values are ignored, each named with what was used instead', () => {
  it('wrong types, out of range, malformed list entries and duplicate names', async () => {
    const file = await writeJson(dir, 'fallback.json', { policy: { failAfter: 3 } });
    const loaded = await loadConfig(
      file,
      {},
      policy(
        key(
          'machine',
          {
            DeadlineMs: dword(999_999),
            FailAfter: sz('three'),
            GuardEnabled: dword(7),
            GuardPort: dword(70_000),
            Canary: sz('no-version'),
          },
          { Mirrors: ['corp=https://a.example', 'corp=https://b.example'], ProxyTargets: ['env', 'netsh'] },
        ),
        key('user', { DeadlineMs: dword(6000) }),
      ),
    );
    const m = POLICY_KEYS.machine;
    expect(loaded.config.deadlineMs).toBe(6000);
    expect(loaded.config.policy.failAfter).toBe(3);
    expect(loaded.config.guard.enabled).toBe(false);
    expect(loaded.config.mirrors[0]?.name).toBe('goproxy.cn');
    expect(loaded.policyWarnings).toEqual([
      `machine policy ${m}\\Mirrors = ["corp=https://a.example", "corp=https://b.example"] is ignored (config field "mirrors[1].name": duplicates the name of mirrors[0]; give every mirror its own name); using [{"name":"goproxy.cn","url":"https://goproxy.cn"},{"name":"aliyun","url":"https://mirrors.aliyun.com/goproxy"},{"name":"goproxy.io","url":"https://goproxy.io"},{"name":"proxy.golang.org","url":"https://proxy.golang.org"}] from the built-in default`,
      `machine policy ${m}\\Canary = REG_SZ "no-version" is ignored (must be module@version, such as golang.org/x/text@v0.14.0); using {"module":"golang.org/x/text","version":"v0.14.0"} from the built-in default`,
      `machine policy ${m}\\DeadlineMs = REG_DWORD 999999 is ignored (config field "deadlineMs": must be at most 120000 ms); using 6000 from the user policy (${POLICY_KEYS.user}\\DeadlineMs)`,
      `machine policy ${m}\\FailAfter = REG_SZ "three" is ignored (must be a REG_DWORD); using 3 from the config file (${file})`,
      `machine policy ${m}\\ProxyTargets = ["env", "netsh"] is ignored (config field "proxies.targets[1]": must be one of env, wininet, winhttp); using ["env","wininet"] from the built-in default`,
      `machine policy ${m}\\GuardEnabled = REG_DWORD 7 is ignored (must be 1 (on) or 0 (off)); using false from the built-in default`,
      `machine policy ${m}\\GuardPort = REG_DWORD 70000 is ignored (must be 1-65535); using "127.0.0.1:47193" from the built-in default`,
    ]);
  });

  it('an unreadable policy key is named, and the run goes on without it', async () => {
    const loaded = await loadConfig(undefined, {}, { unreadable: [`${POLICY_KEYS.machine}: access denied`] });
    expect(loaded.config.deadlineMs).toBe(5000);
    expect(loaded.policyWarnings).toEqual([
      `a policy key could not be read, so its policies are not applied: ${POLICY_KEYS.machine}: access denied`,
    ]);
  });
});

describe('fleet policy: reading the keys', () => {
  it('off Windows the registry is never asked (no reg.exe run), on Windows once per key', async () => {
    const { readFile, writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { cli } = await import('./helpers.js');
    const log = join(dir, 'reg-calls.jsonl');
    // A reg.exe that records its argv and answers every export with an empty key.
    const reg = await regExportStandIn(join(dir, 'reg-recorder'), { log });
    await writeFile(log, '');
    const calls = async () =>
      (await readFile(log, 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
    const linux = await cli(['config', '--json'], { GOPROXYGUARD_PLATFORM: 'linux', GOPROXYGUARD_REG: reg });
    expect(linux.code, linux.stderr).toBe(0);
    expect(await calls()).toEqual([]);
    const windows = await cli(['config', '--json'], {
      GOPROXYGUARD_PLATFORM: 'win32',
      GOPROXYGUARD_REG: reg,
    });
    expect(windows.code, windows.stderr).toBe(0);
    expect((await calls()).map((argv: string[]) => argv.slice(0, 2)).sort()).toEqual(
      [
        ['export', POLICY_KEYS.user],
        ['export', POLICY_KEYS.machine],
      ].sort(),
    );
  });
});

describe('fleet policy: command-line options', () => {
  it('run --textfile does not move a textfile the MetricsTextfile policy fixes, and says so', async () => {
    const { join } = await import('node:path');
    const { loadForRun } = await import('../src/commands/shared.js');
    // A reg.exe whose export of the machine policy key holds MetricsTextfile (REG_SZ).
    const reg = await regExportStandIn(join(dir, 'reg-policy'), {
      values: { HKLM: '"MetricsTextfile"="C:\\\\metrics\\\\goproxyguard.prom"\r\n' },
    });
    const warnings: string[] = [];
    const io = {
      env: { GOPROXYGUARD_PLATFORM: 'win32', GOPROXYGUARD_REG: reg },
      emit: (event: { type: string; message?: string }) => {
        if (event.type === 'log' && event.message) warnings.push(event.message);
      },
    };
    const loaded = await loadForRun({ textfile: 'C:\\elsewhere\\g.prom', offline: true }, io as never);
    expect(loaded.config.schedule.textfile).toBe('C:\\metrics\\goproxyguard.prom');
    expect(warnings).toContain(
      `--textfile "C:\\\\elsewhere\\\\g.prom" is not used: machine policy ${POLICY_KEYS.machine}\\MetricsTextfile sets it`,
    );
    // With no policy the option is used, as the config would be.
    const free = await loadForRun(
      { textfile: '/var/lib/metrics/g.prom', offline: true },
      {
        env: { GOPROXYGUARD_PLATFORM: 'linux' },
        emit: () => {},
      },
    );
    expect(free.config.schedule.textfile).toBe('/var/lib/metrics/g.prom');
  });
});

describe('fleet policy: secrets', () => {
  it('config and the policy warnings never show a proxy password', async () => {
    const { cli } = await import('./helpers.js');
    const file = await writeJson(dir, 'secret.json', {
      proxies: { candidates: [{ name: 'hq', url: 'http://zoe:s3cret@proxy.corp.example:8080' }] },
    });
    const run = await cli(['config', '--config', file, '--json'], { GOPROXYGUARD_PLATFORM: 'linux' });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toContain('s3cret');
    expect(run.stdout).toContain('http://zoe:***@proxy.corp.example:8080');
    const text = await cli(['config', '--config', file], { GOPROXYGUARD_PLATFORM: 'linux' });
    expect(text.stdout).toContain('hq=http://zoe:***@proxy.corp.example:8080');
    expect(text.stdout).not.toContain('s3cret');
  });
});

describe('fleet policy: recording ignored values', () => {
  it('writes the history and the event log once per change, and an empty entry when they are fixed', async () => {
    const { mkdtemp, readFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { recordIgnoredPolicy } = await import('../src/commands/config-sources.js');
    const { eventLogStandIns } = await import('./event-log-stand-ins.js');
    const home = await mkdtemp(join(dir, 'record-'));
    const events = await eventLogStandIns(home);
    const env = { ...events.env, GOPROXYGUARD_HOME: join(home, 'state') };
    const a = `machine policy ${POLICY_KEYS.machine}\\DeadlineMs = REG_DWORD 1 is ignored (too small); using 5000 from the built-in default`;
    const b = `machine policy ${POLICY_KEYS.machine}\\FailAfter = REG_SZ "x" is ignored (must be a REG_DWORD); using 2 from the built-in default`;
    await recordIgnoredPolicy([a], env);
    await recordIgnoredPolicy([a], env); // the same on the next scheduled run: nothing new
    await recordIgnoredPolicy([a, b], env);
    await recordIgnoredPolicy([], env); // fixed
    await recordIgnoredPolicy([], env);
    await recordIgnoredPolicy([a], env); // broken again
    const history = (await readFile(join(home, 'state', 'history.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(history.map((h) => h.warnings)).toEqual([[a], [a, b], [], [a]]);
    const calls = await events.calls();
    expect(calls.map((argv) => [argv[7], argv[9]])).toEqual([
      ['104', a],
      ['104', `${a}\n${b}`],
      ['104', a],
    ]);
  });
});

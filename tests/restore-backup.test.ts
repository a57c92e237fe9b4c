import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goWorld as makeWorld } from '../src/lab/go-world.js';
import type { RunningLab } from '../src/lab/scenarios.js';
import { checkBackupShape, migrateBackup } from '../src/state/backup-shape.js';
import { RUNTIME, startHangingThenHealthy } from './helpers.js';

// restore writes what backup.json holds into go's env file (and on Windows the registry), so the
// backup is input to check like a config: these run the real bundled runtime and the real go.
let lab: RunningLab;
const goWorld = (running: RunningLab) => makeWorld(running, RUNTIME);
let healthy: string;
beforeAll(async () => {
  // A deadline long enough that the healthy mirror is healthy on a busy machine: apply must get
  // as far as the backup.
  lab = await startHangingThenHealthy(2500);
  healthy = lab.mirrors[1]?.url as string;
});
afterAll(() => lab.stop());

const OLD = 'https://old.example';

/** A world whose go env file has GOPROXY=OLD and whose state folder holds `backup` as backup.json. */
async function worldWithBackup(settings: (envFile: string) => unknown) {
  const world = await goWorld(lab);
  await world.go(['env', '-w', `GOPROXY=${OLD}`]);
  const home = world.env.GOPROXYGUARD_HOME as string;
  await mkdir(home, { recursive: true });
  const backup = join(home, 'backup.json');
  await writeFile(backup, JSON.stringify(settings(world.envFile)));
  return { world, backup };
}

const backupOf = (envFile: string, settings: Record<string, unknown>, version = 1) => ({
  version,
  takenAt: '2026-11-30T10:00:00.000Z',
  goEnvFile: envFile,
  settings,
});

describe('restore with a tampered backup', () => {
  it.each([
    [
      'the issue: GOFLAGS=-toolexec beside a real GOPROXY entry',
      {
        'go-env:GOPROXY': { was: 'set', value: 'https://restored.example' },
        'go-env:GOFLAGS': { was: 'set', value: '-toolexec=/tmp/evil' },
      },
      'settings.go-env:GOFLAGS',
      'go-env:GOFLAGS is not a setting GoProxyGuard changes, so restore never writes it',
    ],
    [
      'a go setting GoProxyGuard reads but never writes',
      { 'go-env:GONOSUMDB': { was: 'set', value: '*' } },
      'settings.go-env:GONOSUMDB',
      'is not a setting GoProxyGuard changes',
    ],
    [
      'a newline that would add a second line to the env file',
      { 'go-env:GOPROXY': { was: 'set', value: 'https://a.example\nGOFLAGS=-toolexec=/tmp/evil' } },
      'settings.go-env:GOPROXY.value',
      'must be one line: it holds a line break or NUL',
    ],
    [
      'a key found on Object.prototype',
      { toString: { was: 'unset' } },
      'settings.toString',
      'is not a setting GoProxyGuard changes',
    ],
    [
      'a Windows value of a type reg.exe is never asked to write',
      { 'user-env:HTTPS_PROXY': { was: 'set', type: 'REG_MULTI_SZ', value: 'x' } },
      'settings.user-env:HTTPS_PROXY.type',
      'must be one of REG_SZ, REG_EXPAND_SZ, REG_DWORD, REG_BINARY (got "REG_MULTI_SZ")',
    ],
  ])(
    '%s: exit 2 naming the entry, go env file byte for byte unchanged, backup kept',
    async (_, settings, field, says) => {
      const { world, backup } = await worldWithBackup((envFile) => backupOf(envFile, settings));
      try {
        const before = await readFile(world.envFile);
        const backupBefore = await readFile(backup);
        for (const args of [['restore', '--dry-run'], ['restore']]) {
          const run = await world.guard([...args, '--json']);
          expect(run.exitCode, run.stderr).toBe(2);
          const { error } = JSON.parse(run.stdout);
          expect(error).toMatchObject({ errorId: 'ConfigInvalid', target: field });
          expect(error.message).toContain(`the backup ${backup}, entry "${field}": `);
          expect(error.message).toContain(says);
          expect(error.message).toMatch(/; nothing was changed$/);
        }
        expect(await readFile(world.envFile)).toEqual(before);
        expect(await readFile(backup)).toEqual(backupBefore);
        expect(await world.goproxy()).toBe(OLD);
      } finally {
        await world.cleanup();
      }
    },
  );

  it('apply refuses to extend a tampered backup, and changes nothing', async () => {
    const { world } = await worldWithBackup((envFile) =>
      backupOf(envFile, { 'go-env:GOFLAGS': { was: 'set', value: '-toolexec=/tmp/evil' } }),
    );
    try {
      const before = await readFile(world.envFile);
      const run = await world.guard(['apply', '--config', lab.configPath]);
      expect(run.exitCode).toBe(2);
      expect(run.stderr).toContain('entry "settings.go-env:GOFLAGS"');
      expect(await readFile(world.envFile)).toEqual(before);
    } finally {
      await world.cleanup();
    }
  });

  it("never writes go-env.before back: a tampered byte copy cannot add a key to go's env file", async () => {
    const world = await goWorld(lab);
    try {
      await world.go(['env', '-w', `GOPROXY=${OLD}`]);
      const before = await readFile(world.envFile, 'utf8');
      expect((await world.guard(['apply', '--config', lab.configPath])).exitCode).toBe(0);
      expect(await world.goproxy()).toBe(healthy);
      const copy = join(world.env.GOPROXYGUARD_HOME as string, 'go-env.before');
      expect(await readFile(copy, 'utf8')).toBe(before);
      await writeFile(copy, 'GOFLAGS=-toolexec=/tmp/evil\nGOPROXY=https://evil.example\n');
      const restore = await world.guard(['restore']);
      expect(restore.exitCode, restore.stderr).toBe(0);
      expect(await readFile(world.envFile, 'utf8')).toBe(before);
      expect((await world.go(['env', 'GOFLAGS'])).stdout).not.toContain('toolexec');
    } finally {
      await world.cleanup();
    }
  });
});

describe('the backup shape check (in process)', () => {
  const good = backupOf('/home/zoe/.config/go/env', {
    'go-env:GOPROXY': { was: 'set', value: 'https://goproxy.cn|direct' },
    'go-env:GOSUMDB': { was: 'unset' },
    'user-env:HTTPS_PROXY': { was: 'set', type: 'REG_EXPAND_SZ', value: 'http://zoe:pw@proxy:8080' },
    'user-env:NO_PROXY': { was: 'set', value: '<local>;%USERDNSDOMAIN%' }, // older backups carry no type
    'wininet:ProxyEnable': { was: 'set', type: 'REG_DWORD', value: '4294967295' },
    'wininet:DefaultConnectionSettings': { was: 'set', type: 'REG_BINARY', value: '46000000aB' },
    'winhttp:proxy': {
      was: 'set',
      type: 'WINHTTP',
      value: JSON.stringify({ proxyServer: 'proxy:8080', bypassList: '<local>' }),
    },
  });

  it('accepts every setting apply backs up, in every form it writes', () => {
    expect(checkBackupShape(structuredClone(good), 'backup.json')).toEqual(good);
    expect(checkBackupShape(backupOf('/e', {}), 'backup.json').settings).toEqual({});
  });

  const withSetting = (id: string, value: unknown) =>
    ({ ...good, settings: { ...good.settings, [id]: value } }) as unknown;

  it.each([
    ['[]', [], '(top level)', 'must be a JSON object (got [])'],
    ['version 3', { ...good, version: 3 }, 'version', 'must be 1 or 2 (got 3)'],
    [
      'a version 2 go value without its type',
      { ...good, version: 2 },
      'settings.go-env:GOPROXY.type',
      `must be the value's type (got nothing)`,
    ],
    [
      'a version 2 go value with a registry type',
      backupOf('/e', { 'go-env:GOPROXY': { was: 'set', type: 'REG_SZ', value: 'x' } }, 2),
      'settings.go-env:GOPROXY.type',
      'must be "GOENV" (got "REG_SZ")',
    ],
    ['an extra field', { ...good, run: 'calc.exe' }, 'run', 'unknown field'],
    ['no goEnvFile', { ...good, goEnvFile: '' }, 'goEnvFile', 'must not be empty'],
    ['settings as a list', { ...good, settings: [] }, 'settings', 'must be an object (got [])'],
    [
      'AutoConfigURL (read, never written)',
      withSetting('wininet:AutoConfigURL', { was: 'unset' }),
      'settings.wininet:AutoConfigURL',
      'is not a setting GoProxyGuard changes',
    ],
    [
      '__proto__',
      JSON.parse(`{"version":1,"takenAt":"t","goEnvFile":"/e","settings":{"__proto__":{"was":"unset"}}}`),
      'settings.__proto__',
      'is not a setting GoProxyGuard changes',
    ],
    [
      'a value neither set nor unset',
      withSetting('go-env:GOPROXY', { was: 'maybe' }),
      'settings.go-env:GOPROXY.was',
      'must be "set" or "unset"',
    ],
    [
      'a registry type on a go value',
      withSetting('go-env:GOPROXY', { was: 'set', type: 'REG_SZ', value: 'x' }),
      'settings.go-env:GOPROXY.type',
      'unknown field for a go value',
    ],
    [
      'a value on an unset entry',
      withSetting('go-env:GOSUMDB', { was: 'unset', value: 'off' }),
      'settings.go-env:GOSUMDB.value',
      'unknown field',
    ],
    [
      'a number for a value',
      withSetting('go-env:GOPROXY', { was: 'set', value: 1 }),
      'settings.go-env:GOPROXY.value',
      'must be a string (got 1)',
    ],
    [
      'a carriage return in a registry value',
      withSetting('user-env:HTTP_PROXY', { was: 'set', type: 'REG_SZ', value: 'http://p:1\r' }),
      'settings.user-env:HTTP_PROXY.value',
      'must be one line',
    ],
    [
      'a NUL',
      withSetting('go-env:GOSUMDB', { was: 'set', value: 'sum.golang.org\u0000' }),
      'settings.go-env:GOSUMDB.value',
      'must be one line',
    ],
    [
      'a REG_DWORD that is not a 32-bit number',
      withSetting('wininet:ProxyEnable', { was: 'set', type: 'REG_DWORD', value: '4294967296' }),
      'settings.wininet:ProxyEnable.value',
      "must be a REG_DWORD's decimal number",
    ],
    [
      'REG_BINARY that is not hex bytes',
      withSetting('wininet:DefaultConnectionSettings', { was: 'set', type: 'REG_BINARY', value: '4' }),
      'settings.wininet:DefaultConnectionSettings.value',
      'must be REG_BINARY data as hex digits',
    ],
    [
      'WinHTTP as a registry string',
      withSetting('winhttp:proxy', { was: 'set', type: 'REG_SZ', value: 'proxy:8080' }),
      'settings.winhttp:proxy.type',
      'must be "WINHTTP"',
    ],
    [
      'WinHTTP with a newline in its bypass list',
      withSetting('winhttp:proxy', {
        was: 'set',
        type: 'WINHTTP',
        value: JSON.stringify({ proxyServer: 'p:1', bypassList: 'a\nb' }),
      }),
      'settings.winhttp:proxy.value',
      'must be one line',
    ],
    [
      'WinHTTP with an extra field',
      withSetting('winhttp:proxy', {
        was: 'set',
        type: 'WINHTTP',
        value: JSON.stringify({ proxyServer: 'p:1', bypassList: '', autoDetect: true }),
      }),
      'settings.winhttp:proxy.value',
      'must be the JSON of',
    ],
  ])('refuses %s, naming %s', (_, raw, field, says) => {
    let thrown: unknown;
    try {
      checkBackupShape(raw, '/state/backup.json');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ name: 'ConfigError', field });
    expect((thrown as Error).message).toContain(`the backup /state/backup.json, entry "${field}": `);
    expect((thrown as Error).message).toContain(says);
  });
});

// tests/fixtures/backup-v1.json was written by extendBackup as it was before one settings model
// (main at 9038c2e): go values without a type, registry values with theirs.
const FIXTURE_V1 = join(import.meta.dirname, 'fixtures', 'backup-v1.json');

describe('a version 1 backup (before one settings model)', () => {
  it('migrates on read: every set value gets its type, GOENV for go, the rest as it was', async () => {
    const stored = checkBackupShape(JSON.parse(await readFile(FIXTURE_V1, 'utf8')), FIXTURE_V1);
    expect(stored.version).toBe(1);
    const backup = migrateBackup(stored);
    expect(backup.version).toBe(2);
    expect(backup.settings['go-env:GOPROXY']).toEqual({
      was: 'set',
      type: 'GOENV',
      value: 'https://goproxy.io,direct',
    });
    expect(backup.settings['go-env:GOSUMDB']).toEqual({ was: 'unset' });
    expect(backup.settings['user-env:HTTP_PROXY']).toEqual({
      was: 'set',
      type: 'REG_EXPAND_SZ',
      value: '%CORP_PROXY%',
    });
    expect(backup.settings['wininet:DefaultConnectionSettings']).toMatchObject({ type: 'REG_BINARY' });
    // the migrated form is one the shape check of version 2 accepts as it is
    expect(checkBackupShape(structuredClone(backup), 'backup.json')).toEqual(backup);
    // an untyped registry value of older backups was a REG_SZ
    const untyped = migrateBackup(
      checkBackupShape(backupOf('/e', { 'user-env:NO_PROXY': { was: 'set', value: '<local>' } }), 'b'),
    );
    expect(untyped.settings['user-env:NO_PROXY']).toEqual({ was: 'set', type: 'REG_SZ', value: '<local>' });
  });

  it("restores go's values with the real go, after an apply that kept its originals", async () => {
    const fixture = JSON.parse(await readFile(FIXTURE_V1, 'utf8'));
    const goOnly = Object.fromEntries(
      Object.entries(fixture.settings).filter(([id]) => id.startsWith('go-env:')),
    );
    const { world, backup } = await worldWithBackup((envFile) => ({
      ...fixture,
      goEnvFile: envFile,
      settings: goOnly,
    }));
    try {
      await world.go(['env', '-w', 'GOSUMDB=sum.golang.org']);
      const dry = await world.guard(['restore', '--dry-run', '--json']);
      expect(dry.exitCode, dry.stderr).toBe(0);
      expect(JSON.parse(dry.stdout).restored).toEqual([
        { setting: 'GOPROXY', to: 'https://goproxy.io,direct' },
        { setting: 'GOSUMDB', to: null },
      ]);
      // apply changes GOPROXY again: the backup keeps the version 1 originals, never the values since
      const apply = await world.guard(['apply', '--config', lab.configPath]);
      expect(apply.exitCode, apply.stderr).toBe(0);
      expect(await world.goproxy()).toBe(healthy);
      const extended = migrateBackup(checkBackupShape(JSON.parse(await readFile(backup, 'utf8')), backup));
      expect(extended.settings['go-env:GOPROXY']).toEqual({
        was: 'set',
        type: 'GOENV',
        value: 'https://goproxy.io,direct',
      });
      const restore = await world.guard(['restore']);
      expect(restore.exitCode, restore.stderr).toBe(0);
      expect(await world.goproxy()).toBe('https://goproxy.io,direct');
      expect(await readFile(world.envFile, 'utf8')).not.toContain('GOSUMDB');
    } finally {
      await world.cleanup();
    }
  });
});

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goWorld } from '../src/lab/go-world.js';
import { type RunningLab, startLab } from '../src/lab/scenarios.js';
import { readRegistryValues } from '../src/system/registry.js';
import { USER_ENV_KEY, WININET_CONNECTIONS_KEY, WININET_KEY } from '../src/system/windows-settings.js';
import { RUNTIME } from './helpers.js';
import { type WindowsWorld, windowsWorld } from './windows-world.js';

// An old backup still restores: tests/fixtures/backup-v1.json, written by the code before one
// settings model (version 1: go values untyped), put back by today's restore with the real go
// and Wine's real reg.exe. WinHTTP (netsh, a stand-in here) is left out: its restore is covered
// in windows-e2e.

let lab: RunningLab;
let win: WindowsWorld;
beforeAll(async () => {
  [lab, win] = await Promise.all([
    startLab({ summary: 'one healthy mirror', mirrors: [{ name: 'healthy', mode: { kind: 'ok' } }] }, 5000),
    windowsWorld(),
  ]);
}, 120_000);
afterAll(async () => {
  await Promise.all([lab?.stop(), win?.stop()]);
});

describe('a version 1 backup on Windows (Wine registry)', { timeout: 120_000 }, () => {
  it('puts back go and every registry value with its type, and tells WinINet only to re-read its blob', async () => {
    const fixture = JSON.parse(
      await readFile(join(import.meta.dirname, 'fixtures', 'backup-v1.json'), 'utf8'),
    );
    delete fixture.settings['winhttp:proxy'];
    const world = await goWorld(lab, RUNTIME);
    try {
      // The machine as GoProxyGuard left it: other values everywhere the backup names.
      await world.go(['env', '-w', 'GOPROXY=https://guard.example', 'GOSUMDB=sum.golang.org']);
      const add = async (key: string, name: string, type: string, data: string) => {
        const run = await win.reg(['add', key, '/v', name, '/t', type, '/d', data, '/f']);
        expect(run.exitCode, `reg add ${key} /v ${name}: ${run.stdout} ${run.stderr}`).toBe(0);
      };
      await add(USER_ENV_KEY, 'HTTPS_PROXY', 'REG_SZ', 'http://backup.corp:8080');
      await add(USER_ENV_KEY, 'HTTP_PROXY', 'REG_SZ', 'http://backup.corp:8080');
      await add(USER_ENV_KEY, 'NO_PROXY', 'REG_SZ', 'localhost');
      await add(WININET_KEY, 'ProxyServer', 'REG_SZ', 'backup.corp:8080');
      await add(WININET_KEY, 'ProxyOverride', 'REG_SZ', '<local>');
      await add(WININET_KEY, 'ProxyEnable', 'REG_DWORD', '0');
      await add(WININET_CONNECTIONS_KEY, 'DefaultConnectionSettings', 'REG_BINARY', '4600000001');
      const home = world.env.GOPROXYGUARD_HOME as string;
      await mkdir(home, { recursive: true });
      await writeFile(join(home, 'backup.json'), JSON.stringify({ ...fixture, goEnvFile: world.envFile }));

      const restore = await world.guard(['restore', '--json'], win.env);
      expect(restore.exitCode, restore.stderr).toBe(0);
      expect(await world.goproxy()).toBe('https://goproxy.io,direct');
      expect(await readFile(world.envFile, 'utf8')).not.toContain('GOSUMDB');
      const env = { ...process.env, ...win.env };
      expect(await readRegistryValues(USER_ENV_KEY, ['HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY'], env)).toEqual({
        HTTPS_PROXY: fixture.settings['user-env:HTTPS_PROXY'],
        HTTP_PROXY: fixture.settings['user-env:HTTP_PROXY'],
        NO_PROXY: { was: 'unset' },
      });
      expect(
        await readRegistryValues(WININET_KEY, ['ProxyEnable', 'ProxyServer', 'ProxyOverride'], env),
      ).toEqual({
        ProxyEnable: fixture.settings['wininet:ProxyEnable'],
        ProxyServer: fixture.settings['wininet:ProxyServer'],
        ProxyOverride: { was: 'unset' },
      });
      expect(
        (await readRegistryValues(WININET_CONNECTIONS_KEY, ['DefaultConnectionSettings'], env))
          .DefaultConnectionSettings,
      ).toEqual(fixture.settings['wininet:DefaultConnectionSettings']);
      expect((await win.helperRequests()).at(-1)).toEqual({
        broadcastEnvironment: true,
        wininet: { refreshOnly: true },
      });
      // restored and forgotten: nothing left to restore
      const again = await world.guard(['restore'], win.env);
      expect(again.exitCode).toBe(1);
    } finally {
      await world.cleanup();
    }
  });
});

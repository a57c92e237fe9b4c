import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DnsBehaviour } from '../src/lab/dns-server.js';
import { goWorld } from '../src/lab/go-world.js';
import { type RunningLab, startLab } from '../src/lab/scenarios.js';
import { RUNTIME, tempDir, writeJson } from './helpers.js';
import { hostsWorldResolvers, ORIGINAL } from './hosts-world.js';
import { type WindowsWorld, windowsWorld } from './windows-world.js';
import { wslWorld } from './wsl-world.js';

// Hosts pinning and WSL on "Windows" (GOPROXYGUARD_PLATFORM=win32) with the bundled runtime:
// Wine's reg.exe for the user environment, stand-ins for whoami, ipconfig and wsl.exe (whose
// distributions run the real Linux go), %SystemRoot%'s hosts file in a temp folder. An
// unelevated apply only notes the hosts file; an elevated one pins and flushes the DNS cache; a
// changed decision reaches the distribution with go; restore puts everything back. A distribution
// whose ~/.profile exports GOPROXY is kept in step too, and apply, status and doctor say its go
// does not follow, naming the variable and the fix.

let lab: RunningLab;
let win: WindowsWorld;
beforeAll(async () => {
  [lab, win] = await Promise.all([startLab('dns-faults'), windowsWorld()]);
}, 120_000);
afterAll(async () => {
  await Promise.all([lab?.stop(), win?.stop()]);
});

const bogon = 'bogon.mirror.lab.test';

describe('hosts pinning and WSL through apply and restore on Windows', { timeout: 240_000 }, () => {
  it('notes the hosts file when unelevated, pins when elevated, follows a changed decision in WSL, restores all', async () => {
    const dir = await tempDir();
    const root = join(dir, 'Windows');
    const hostsFile = join(root, 'System32', 'drivers', 'etc', 'hosts');
    await mkdir(join(root, 'System32', 'drivers', 'etc'), { recursive: true });
    await writeFile(hostsFile, ORIGINAL);
    const ipconfigLog = join(dir, 'ipconfig.jsonl');
    const ipconfig = join(dir, 'ipconfig');
    await writeFile(
      ipconfig,
      `#!/usr/bin/env node\nrequire('node:fs').appendFileSync(${JSON.stringify(ipconfigLog)}, JSON.stringify(process.argv.slice(2)) + '\\n');\n`,
    );
    await chmod(ipconfig, 0o755);
    const upstream = new Map<string, DnsBehaviour>([
      ['healthy.mirror.lab.test', { kind: 'answer', addresses: ['127.0.0.1'] }],
      [bogon, { kind: 'answer', addresses: ['10.10.34.35'] }],
      ['cdn.mirror.lab.test', { kind: 'answer', addresses: ['127.0.0.1'] }],
    ]);
    const resolvers = await hostsWorldResolvers(hostsFile, upstream);
    const wsl = await wslWorld([
      { name: 'Ubuntu', go: true, running: true },
      { name: 'Alpine', go: false, running: true },
      { name: 'Debian', go: true, running: true, profile: 'export GOPROXY=https://corp.example\n' },
    ]);
    const raw = lab.config as { mirrors: { name: string }[]; dns: Record<string, unknown> };
    const world = await goWorld(lab, RUNTIME);
    afterAll(() => Promise.all([resolvers.close(), world.cleanup()]));
    const configOf = (name: string, mirrors: string[]) =>
      writeJson(dir, name, {
        ...raw,
        deadlineMs: 30_000,
        mirrors: raw.mirrors.filter((m) => mirrors.includes(m.name)),
        dns: { ...raw.dns, systemResolver: resolvers.server.address, pin: true },
        wsl: { enabled: true },
      });
    const config = await configOf('config.json', ['healthy', 'bogon']);
    const configWithCdn = await configOf('config-cdn.json', ['healthy', 'bogon', 'cdn']);
    const env = { ...win.env, ...wsl.env, SystemRoot: root, GOPROXYGUARD_IPCONFIG: ipconfig };
    const apply = async (elevated: boolean, configPath = config) => {
      const run = await world.guard(['apply', '--config', configPath, '--json'], {
        ...env,
        GPG_TEST_ELEVATED: elevated ? '1' : '0',
      });
      expect(run.exitCode, run.stderr).toBe(0);
      return JSON.parse(run.stdout);
    };

    const unelevated = await apply(false);
    expect(unelevated.notes).toContainEqual(
      expect.stringContaining('the hosts file was left alone: it is machine-wide and needs an elevated run'),
    );
    expect((await readFile(hostsFile)).equals(ORIGINAL)).toBe(true);
    const fix =
      'remove "export GOPROXY=..." from the distribution\'s shell startup files (~/.bashrc, ~/.profile, /etc/profile.d/*.sh, /etc/environment), so go reads its env file';
    expect(unelevated.wsl).toEqual([
      { name: 'Ubuntu', follows: 'mirrors', goproxy: unelevated.goproxy, gosumdb: unelevated.gosumdb },
      { name: 'Alpine', follows: 'no go' },
      {
        name: 'Debian',
        follows: 'overridden',
        goproxy: unelevated.goproxy,
        gosumdb: unelevated.gosumdb,
        overrides: [{ variable: 'GOPROXY', value: 'https://corp.example', from: 'login shell', fix }],
      },
    ]);
    expect(unelevated.notes).toContain(
      `WSL Debian: GOPROXY=https://corp.example (from login shell) overrides go's env file, so go in its terminals does not follow: ${fix}`,
    );
    expect(await wsl.goEnvFile('Ubuntu')).toContain(`GOPROXY=${unelevated.goproxy}\n`);
    expect(await wsl.goEnvFile('Debian')).toContain(`GOPROXY=${unelevated.goproxy}\n`);
    const status = await world.guard(['status', '--json'], env);
    expect(JSON.parse(status.stdout).wsl).toEqual(unelevated.wsl);
    const doctor = await world.guard(['doctor', '--offline', '--config', config], env);
    expect(doctor.stdout).toContain(
      'go in WSL distribution Debian does not follow: GOPROXY from login shell overrides its env file',
    );
    expect(unelevated.goproxy).not.toContain('bogon');

    const elevated = await apply(true);
    expect(elevated.pins).toEqual([expect.objectContaining({ host: bogon, addresses: ['127.0.0.1'] })]);
    expect((await readFile(hostsFile)).toString('utf8')).toContain(`127.0.0.1 ${bogon}\r\n`);
    expect((await readFile(ipconfigLog, 'utf8')).trim().split('\n')).toEqual(['["/flushdns"]']);
    // The hosts file's byte copy is taken before its first change, though the backup already
    // existed (the unelevated apply changed go and WSL).
    const home = world.env.GOPROXYGUARD_HOME as string;
    expect((await readFile(join(home, 'hosts.before'))).equals(ORIGINAL)).toBe(true);

    // A mirror added to the config: a changed decision, which the distribution with go follows;
    // bogon's DNS server still lies, so its pin stays as it is.
    const changed = await apply(true, configWithCdn);
    expect(changed.goproxy).not.toBe(unelevated.goproxy);
    expect(changed.goproxy).toContain('cdn.mirror.lab.test');
    expect(changed.systemChanges.map((c: { setting: string }) => c.setting)).toEqual([
      'wsl-go-env:Ubuntu/GOPROXY',
      'wsl-go-env:Debian/GOPROXY',
    ]);
    expect(await wsl.goEnvFile('Ubuntu')).toContain(`GOPROXY=${changed.goproxy}\n`);
    expect((await readFile(hostsFile)).toString('utf8')).toContain(`127.0.0.1 ${bogon}\r\n`);

    // Restore: the hosts file byte for byte, the distribution's go as before the first apply.
    const restore = await world.guard(['restore', '--json'], {
      ...env,
      GPG_TEST_ELEVATED: '1',
      GOPROXYGUARD_CONFIG: config,
    });
    expect(restore.exitCode, restore.stderr).toBe(0);
    expect((await readFile(hostsFile)).equals(ORIGINAL)).toBe(true);
    expect(await wsl.goEnvFile('Ubuntu')).toBe('');
    expect(await wsl.goEnvFile('Debian')).toBe('');
  });
});

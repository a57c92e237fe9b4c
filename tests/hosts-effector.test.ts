import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { validate } from '../src/config/load.js';
import { hostsEffector, hostsFilePath, hostsWritable, readPinned } from '../src/effectors/hosts.js';
import { planHostsPinning } from '../src/effectors/hosts-pinning.js';
import { createRunContext } from '../src/probe/run-context.js';
import type { EffectorContext } from '../src/settings/effector.js';
import { tempDir } from './helpers.js';

// The hosts effector against real files in a temp dir; on "Windows" (GOPROXYGUARD_PLATFORM=win32)
// with recording stand-ins for whoami and ipconfig, whose argv is checked exactly.

// A hosts file as Windows ships it, with a BOM, CRLF, tabs, odd spacing and no final break.
const ORIGINAL = Buffer.concat([
  Buffer.from([0xef, 0xbb, 0xbf]),
  Buffer.from(
    '# Copyright (c) 1993-2009 Microsoft Corp.\r\n#\r\n#      127.0.0.1       localhost\r\n\r\n  10.0.0.5\tbuild.corp.example   # café\r\n::1 localhost',
  ),
]);

async function context(dir: string, env: NodeJS.ProcessEnv = {}): Promise<EffectorContext> {
  const { config } = await validate({
    mirrors: [{ name: 'lab', url: 'https://lab.example' }],
    dns: { trusted: [], pin: true, hostsFile: join(dir, 'hosts') },
  });
  return { env, config };
}

const set = (value: string) => ({ was: 'set' as const, type: 'HOSTS', value });

/** A stand-in that appends its argv as a JSON line, then prints `output`. */
async function standIn(dir: string, name: string, output: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(
    path,
    `#!/usr/bin/env node
require('node:fs').appendFileSync(${JSON.stringify(join(dir, `${name}.jsonl`))}, JSON.stringify(process.argv.slice(2)) + '\\n');
process.stdout.write(process.env.GPG_TEST_ELEVATED === '1' ? ${JSON.stringify(output)} : '"Mandatory Label\\\\Medium Mandatory Level","Label","S-1-16-8192",""\\r\\n');
`,
  );
  await chmod(path, 0o755);
  return path;
}
/** A "Windows" for the effector: %SystemRoot% in a temp dir with its hosts file, whoami and ipconfig stand-ins. */
async function windowsDesktop() {
  const dir = await tempDir();
  const root = join(dir, 'Windows');
  await mkdir(join(root, 'System32', 'drivers', 'etc'), { recursive: true });
  const hosts = join(root, 'System32', 'drivers', 'etc', 'hosts');
  await writeFile(hosts, ORIGINAL);
  const env = {
    GOPROXYGUARD_PLATFORM: 'win32',
    SystemRoot: root,
    GOPROXYGUARD_WHOAMI: await standIn(
      dir,
      'whoami',
      '"Mandatory Label\\High Mandatory Level","Label","S-1-16-12288",""\r\n',
    ),
    GOPROXYGUARD_IPCONFIG: await standIn(
      dir,
      'ipconfig',
      '\r\nWindows IP Configuration\r\n\r\nSuccessfully flushed the DNS Resolver Cache.\r\n',
    ),
  };
  return { dir, hosts, env };
}

const calls = async (dir: string, name: string) =>
  (await readFile(join(dir, `${name}.jsonl`), 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as string[]);

describe('the hosts effector', () => {
  it('pins, changes and unpins names, reading back each time, and gives back the exact bytes', async () => {
    const dir = await tempDir();
    const ctx = await context(dir);
    await writeFile(join(dir, 'hosts'), ORIGINAL);
    await chmod(join(dir, 'hosts'), 0o644);
    expect(await hostsEffector.read(['goproxy.cn'], ctx)).toEqual({ 'goproxy.cn': { was: 'unset' } });

    await hostsEffector.snapshot?.(dir, ctx);
    await hostsEffector.write(
      { 'goproxy.cn': set('127.0.0.1'), 'mirrors.aliyun.com': set('127.0.0.2 ::1') },
      ctx,
    );
    expect(await hostsEffector.read(['goproxy.cn', 'mirrors.aliyun.com', 'other.example'], ctx)).toEqual({
      'goproxy.cn': set('127.0.0.1'),
      'mirrors.aliyun.com': set('127.0.0.2 ::1'),
      'other.example': { was: 'unset' },
    });
    const pinned = await readFile(join(dir, 'hosts'));
    expect(pinned.subarray(0, ORIGINAL.length).equals(ORIGINAL)).toBe(true);
    expect(pinned.toString('latin1')).toContain('\r\n127.0.0.1 goproxy.cn\r\n');

    // A second snapshot keeps the bytes from before the first change.
    await hostsEffector.snapshot?.(dir, ctx);
    expect((await readFile(join(dir, 'hosts.before'))).equals(ORIGINAL)).toBe(true);

    await hostsEffector.write({ 'goproxy.cn': set('127.0.0.9') }, ctx);
    expect(await readPinned(ctx)).toEqual({
      'goproxy.cn': ['127.0.0.9'],
      'mirrors.aliyun.com': ['127.0.0.2', '::1'],
    });

    await hostsEffector.write(
      { 'goproxy.cn': { was: 'unset' }, 'mirrors.aliyun.com': { was: 'unset' } },
      ctx,
    );
    expect((await readFile(join(dir, 'hosts'))).equals(ORIGINAL)).toBe(true);
    // Replaced whole each time: no temp file left beside it, and still readable by every user.
    expect((await readdir(dir)).sort()).toEqual(['hosts', 'hosts.before']);
    expect((await stat(join(dir, 'hosts'))).mode & 0o777).toBe(0o644);
  });

  it('refuses a file with broken markers, naming it and the fix, and leaves it as it was', async () => {
    const dir = await tempDir();
    const ctx = await context(dir);
    const broken = Buffer.from('127.0.0.1 localhost\n# BEGIN GoProxyGuard\n127.0.0.1 goproxy.cn\n');
    await writeFile(join(dir, 'hosts'), broken);
    const error = await hostsEffector.write({ 'goproxy.cn': set('127.0.0.1') }, ctx).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'InputError', fault: 'input', target: join(dir, 'hosts') });
    expect((error as Error).message).toBe(
      `the hosts file ${join(dir, 'hosts')} cannot be edited safely: its GoProxyGuard markers do not make one block (begin at line 2); keep exactly one "# BEGIN GoProxyGuard" line followed by one "# END GoProxyGuard" line, or delete them and the lines between`,
    );
    await expect(hostsEffector.read(['goproxy.cn'], ctx)).rejects.toThrow(/do not make one block/);
    expect((await readFile(join(dir, 'hosts'))).equals(broken)).toBe(true);
  });

  it('tries a file another program holds again, then reports it, never half-written', async () => {
    const dir = await tempDir();
    const ctx = await context(dir);
    const hosts = join(dir, 'hosts');
    await writeFile(hosts, ORIGINAL);
    // An immutable file (chattr +i, as root) refuses to be replaced, as one an antivirus holds open does.
    await execa('chattr', ['+i', hosts]);
    try {
      const error = await hostsEffector.write({ 'goproxy.cn': set('127.0.0.1') }, ctx).catch((e: Error) => e);
      expect(error).toMatchObject({ name: 'EnvironmentError', errorId: 'HostsFileLocked', target: hosts });
      expect((error as Error).message).toBe(
        `the hosts file ${hosts} cannot be written: not permitted (EPERM); give this user access to it (another program may hold it: an antivirus scan; try again)`,
      );
    } finally {
      await execa('chattr', ['-i', hosts]);
    }
    expect((await readFile(hosts)).equals(ORIGINAL)).toBe(true);
    expect(await readdir(dir)).toEqual(['hosts']);
  });

  it('creates a missing hosts file with the block alone, and removes it to an empty file', async () => {
    const dir = await tempDir();
    const ctx = await context(dir);
    await hostsEffector.write({ 'goproxy.cn': set('127.0.0.1') }, ctx);
    expect(await readFile(join(dir, 'hosts'), 'utf8')).toMatch(
      /^# BEGIN GoProxyGuard.*\n127\.0\.0\.1 goproxy\.cn\n# END GoProxyGuard\n$/,
    );
    await hostsEffector.write({ 'goproxy.cn': { was: 'unset' } }, ctx);
    expect(await readFile(join(dir, 'hosts'), 'utf8')).toBe('');
  });

  it('knows host names and refuses anything else from a backup', () => {
    expect(hostsEffector.knows('goproxy.cn')).toBe(true);
    expect(hostsEffector.knows('GOPROXY')).toBe(true);
    expect(hostsEffector.knows('no such name')).toBe(false);
    expect(hostsEffector.knows('../etc')).toBe(false);
  });

  it("on Windows: writes %SystemRoot%'s hosts file only when elevated, then flushes the DNS cache", async () => {
    const { dir, hosts, env } = await windowsDesktop();
    const user = await context(dir, env);
    // dns.hostsFile is for other systems: Windows' own file is the one used.
    expect(hostsFilePath(user)).toBe(hosts);
    expect(await hostsWritable(user)).toBe(false);
    const admin = await context(dir, { ...env, GPG_TEST_ELEVATED: '1' });
    expect(await hostsWritable(admin)).toBe(true);
    expect(await calls(dir, 'whoami')).toEqual([
      ['/groups', '/fo', 'csv', '/nh'],
      ['/groups', '/fo', 'csv', '/nh'],
    ]);

    const change = {
      setting: 'hosts:goproxy.cn' as const,
      from: { was: 'unset' as const },
      to: set('127.0.0.1'),
    };
    await hostsEffector.write({ 'goproxy.cn': change.to }, admin);
    expect(await readPinned(admin)).toEqual({ 'goproxy.cn': ['127.0.0.1'] });
    expect(await hostsEffector.notify?.([change], admin)).toEqual([
      'the DNS client cache was flushed (ipconfig /flushdns): the hosts file takes effect now',
    ]);
    expect(await calls(dir, 'ipconfig')).toEqual([['/flushdns']]);
    // Nothing changed, nothing flushed.
    expect(await hostsEffector.notify?.([], admin)).toEqual([]);
    expect(await calls(dir, 'ipconfig')).toHaveLength(1);
  });

  it('plans the clean-up of pins left from an earlier opt-in, and only notes it when not elevated', async () => {
    const { dir, env } = await windowsDesktop();
    const admin = await context(dir, { ...env, GPG_TEST_ELEVATED: '1' });
    await hostsEffector.write({ 'goproxy.cn': set('127.0.0.1') }, admin);
    const { config } = await validate({
      mirrors: [{ name: 'lab', url: 'https://lab.example' }],
      dns: { trusted: [] },
    });
    const run = createRunContext(config, [], 5000);
    try {
      const user = await planHostsPinning({ env, config }, run.context);
      expect(user).toEqual({
        changes: [],
        pins: [{ host: 'goproxy.cn', addresses: ['127.0.0.1'], proof: [] }],
        notes: [
          'the hosts file was left alone: it is machine-wide and needs an elevated run (Run as administrator); it would change: goproxy.cn: unpinned, dns.pin is off',
        ],
      });
      const elevated = await planHostsPinning(
        { env: { ...env, GPG_TEST_ELEVATED: '1' }, config },
        run.context,
      );
      expect(elevated.changes).toEqual([
        { setting: 'hosts:goproxy.cn', from: set('127.0.0.1'), to: { was: 'unset' } },
      ]);
    } finally {
      run.close();
    }
    // Never opted in, nothing pinned: the hosts file is not even asked about the elevation.
    await hostsEffector.write({ 'goproxy.cn': { was: 'unset' } }, admin);
    const before = (await calls(dir, 'whoami')).length;
    expect(await planHostsPinning({ env, config }, run.context)).toEqual({
      changes: [],
      pins: [],
      notes: [],
    });
    expect(await calls(dir, 'whoami')).toHaveLength(before);
  });

  it('says so, without throwing, when ipconfig fails', async () => {
    const dir = await tempDir();
    const env = { GOPROXYGUARD_PLATFORM: 'win32', SystemRoot: dir, GOPROXYGUARD_IPCONFIG: '/bin/false' };
    const change = {
      setting: 'hosts:a.example' as const,
      from: { was: 'unset' as const },
      to: set('127.0.0.1'),
    };
    expect(await hostsEffector.notify?.([change], await context(dir, env))).toEqual([
      'ipconfig /flushdns failed (exit code 1, and it printed nothing): the change takes effect as cached answers expire',
    ]);
  });
});

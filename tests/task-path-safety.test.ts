import { chmod, copyFile, mkdtemp, rm, symlink } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Ownership, taskPathProblem } from '../src/schedule/path-safety.js';
import { cli, RUNTIME, writeJson } from './helpers.js';

const ME = 1000;

/** A machine described by a table of owners and modes; every other path does not exist. */
function machine(table: Record<string, Ownership>, links: Record<string, string> = {}) {
  return {
    uid: ME,
    realPath: (file: string) => links[file] ?? file,
    ownership: (file: string) => table[file],
  };
}

const ROOT_DIR = { uid: 0, mode: 0o40755 };
const TMP = { uid: 0, mode: 0o41777 };
const MINE = { uid: ME, mode: 0o40700 };
const MY_FILE = { uid: ME, mode: 0o100644 };

describe('which POSIX paths a scheduled task may run (permissions, as OpenSSH checks them)', () => {
  it.each<[string, string, Record<string, Ownership>]>([
    [
      'a private folder under sticky /tmp',
      '/tmp/tmp.x/run.mjs',
      { '/': ROOT_DIR, '/tmp': TMP, '/tmp/tmp.x': MINE, '/tmp/tmp.x/run.mjs': MY_FILE },
    ],
    [
      'a file of root under /usr',
      '/usr/bin/node',
      { '/': ROOT_DIR, '/usr': ROOT_DIR, '/usr/bin': ROOT_DIR, '/usr/bin/node': { uid: 0, mode: 0o100755 } },
    ],
    [
      'a config not written yet in my home',
      '/home/me/new.json',
      { '/': ROOT_DIR, '/home': ROOT_DIR, '/home/me': MINE },
    ],
  ])('allows %s', (_, file, table) => {
    expect(taskPathProblem(file, machine(table))).toBeUndefined();
  });

  it.each<[string, string, Record<string, Ownership>, string]>([
    [
      'a file straight in /tmp, writable by others',
      '/tmp/run.mjs',
      { '/': ROOT_DIR, '/tmp': TMP, '/tmp/run.mjs': { uid: ME, mode: 0o100666 } },
      '/tmp/run.mjs is writable by group or others',
    ],
    [
      'a world-writable folder without the sticky bit',
      '/srv/drop/run.mjs',
      {
        '/': ROOT_DIR,
        '/srv': ROOT_DIR,
        '/srv/drop': { uid: ME, mode: 0o40777 },
        '/srv/drop/run.mjs': MY_FILE,
      },
      '/srv/drop is writable by group or others',
    ],
    [
      'a group-writable folder',
      '/opt/team/run.mjs',
      { '/': ROOT_DIR, '/opt': ROOT_DIR, '/opt/team': { uid: 0, mode: 0o40775 } },
      '/opt/team is writable by group or others',
    ],
    [
      'a folder of another user',
      '/home/eve/run.mjs',
      { '/': ROOT_DIR, '/home': ROOT_DIR, '/home/eve': { uid: 1001, mode: 0o40755 } },
      '/home/eve belongs to user 1001',
    ],
    [
      "a private folder inside another user's folder under /tmp",
      '/tmp/eve/mine/run.mjs',
      { '/': ROOT_DIR, '/tmp': TMP, '/tmp/eve': { uid: 1001, mode: 0o40755 }, '/tmp/eve/mine': MINE },
      '/tmp/eve belongs to user 1001',
    ],
  ])('refuses %s', (_, file, table, why) => {
    expect(taskPathProblem(file, machine(table))).toContain(why);
  });

  it('judges where a link leads, not the link (whose own mode is rwxrwxrwx)', () => {
    const table = {
      '/': ROOT_DIR,
      '/usr': ROOT_DIR,
      '/usr/bin': ROOT_DIR,
      '/usr/bin/node': { uid: 0, mode: 0o100755 },
      '/srv': ROOT_DIR,
      '/srv/drop': { uid: ME, mode: 0o40777 },
    };
    expect(
      taskPathProblem('/usr/local/bin/node', machine(table, { '/usr/local/bin/node': '/usr/bin/node' })),
    ).toBeUndefined();
    expect(
      taskPathProblem('/usr/local/bin/node', machine(table, { '/usr/local/bin/node': '/srv/drop/node' })),
    ).toContain('/srv/drop');
  });
});

describe('task xml on this machine', () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('accepts a runtime and config in a private mktemp folder under /tmp, refuses them once the folder is world-writable', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gpg-task-safe-'));
    dirs.push(dir);
    const runtime = join(dir, 'goproxy-guard.mjs');
    await copyFile(RUNTIME, runtime);
    const config = await writeJson(dir, 'c.json', { mirrors: [{ name: 'a', url: 'https://a.example' }] });
    const args = ['task', 'xml', '--config', config, '--runtime', runtime];
    const ok = await cli(args);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    await chmod(dir, 0o777);
    const refused = await cli(args);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain(
      `"--runtime": is in a folder other users can write to (${dir} is writable by group or others)`,
    );
  });

  it('follows a link in the home folder to a world-writable folder and refuses it', async () => {
    const drop = await mkdtemp(join(tmpdir(), 'gpg-task-drop-'));
    const home = await mkdtemp(join(homedir(), '.gpg-task-link-'));
    dirs.push(drop, home);
    await chmod(drop, 0o777);
    await copyFile(RUNTIME, join(drop, 'goproxy-guard.mjs'));
    await symlink(join(drop, 'goproxy-guard.mjs'), join(home, 'goproxy-guard.mjs'));
    const run = await cli(['task', 'xml', '--runtime', join(home, 'goproxy-guard.mjs')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${drop} is writable by group or others`);
  });
});

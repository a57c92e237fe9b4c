import { link, lstat, mkdir, readFile, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFailure } from '../src/cli/failure.js';
import { goWorld as makeWorld } from '../src/lab/go-world.js';
import { type RunningLab, startLab } from '../src/lab/scenarios.js';
import { appendHistory, type HistoryEntry, readHistory } from '../src/state/history.js';
import { RUNTIME, tempDir } from './helpers.js';

// Issue #15, defects 2 and 4, against the real bundled runtime and the real go: files in the
// state folder are never followed through a link, a dead lock never blocks, and a state folder
// the system refuses (under a file, read-only, full) is an ordinary exit 2, never a crash.

let lab: RunningLab;
let healthy: string;
const naive = 'https://naive.invalid';
const entry: HistoryEntry = { at: '2026-11-30T00:00:00.000Z', command: 'apply', event: 'kept' };
beforeAll(async () => {
  lab = await startLab({
    summary: 'one healthy mirror on a 127.0.0.1 URL (go cannot use the lab DNS)',
    addressUrls: true,
    mirrors: [{ name: 'healthy', mode: { kind: 'ok' } }],
  });
  healthy = lab.mirrors[0]?.url as string;
});
afterAll(() => lab.stop());

/** A go world whose go env file says GOPROXY=naive, its state folder made, and a victim file. */
async function world() {
  const made = await makeWorld(lab, RUNTIME);
  const home = made.env.GOPROXYGUARD_HOME as string;
  await mkdir(home, { recursive: true });
  await made.go(['env', '-w', `GOPROXY=${naive}`]);
  const victim = join(made.dir, 'victim');
  await writeFile(victim, 'not GoProxyGuard’s\n');
  return { ...made, home, victim };
}

/** No stack trace anywhere: one sentence, no "    at " frames, in text and in --json. */
function expectOneSentence(run: { stdout: string; stderr: string }) {
  expect(run.stderr).not.toMatch(/^\s+at /m);
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
  if (run.stdout.trim()) expect(JSON.parse(run.stdout).error.message).not.toMatch(/\n|\bat .*\(.*:\d+:\d+\)/);
}

describe('links in the state folder are never followed', () => {
  it('history.jsonl -> victim: apply refuses the link by name, the victim and go are untouched', async () => {
    const w = await world();
    try {
      await symlink(w.victim, join(w.home, 'history.jsonl'));
      const run = await w.guard(['apply', '--config', lab.configPath, '--json']);
      expect(run.exitCode, run.stderr).toBe(2);
      expect(run.stderr).toContain(
        `cannot open ${join(w.home, 'history.jsonl')}: it is a symbolic link, which GoProxyGuard does not follow there (ELOOP); remove the link`,
      );
      expect(JSON.parse(run.stdout).error).toMatchObject({
        errorId: 'FileSystemRefused',
        category: 'SecurityError',
      });
      expectOneSentence(run);
      expect(await readFile(w.victim, 'utf8')).toBe('not GoProxyGuard’s\n');
      expect(await w.goproxy()).toBe(naive);
    } finally {
      await w.cleanup();
    }
  });

  it('go-env.before -> victim: the link is replaced by the byte copy, the victim is not overwritten', async () => {
    const w = await world();
    try {
      const copy = join(w.home, 'go-env.before');
      await symlink(w.victim, copy);
      const goEnvBefore = await readFile(w.envFile);
      const run = await w.guard(['apply', '--config', lab.configPath]);
      expect(run.exitCode, run.stderr).toBe(0);
      expect(await w.goproxy()).toBe(healthy);
      expect(await readFile(w.victim, 'utf8')).toBe('not GoProxyGuard’s\n');
      expect((await lstat(copy)).isSymbolicLink()).toBe(false);
      expect(await readFile(copy)).toEqual(goEnvBefore);
    } finally {
      await w.cleanup();
    }
  });

  it.each(['state.json', 'backup.json'])(
    '%s -> victim: apply exits 2 naming it, changing nothing',
    async (name) => {
      const w = await world();
      try {
        await symlink(w.victim, join(w.home, name));
        const run = await w.guard(['apply', '--config', lab.configPath]);
        expect(run.exitCode, run.stderr).toBe(2);
        expect(run.stderr).toContain(join(w.home, name));
        expect(run.stderr).toMatch(/symbolic link/);
        expectOneSentence(run);
        expect(await readFile(w.victim, 'utf8')).toBe('not GoProxyGuard’s\n');
        expect(await w.goproxy()).toBe(naive);
      } finally {
        await w.cleanup();
      }
    },
  );
});

describe('a dead lock never blocks a run, restore included', () => {
  it('lock -> victim: apply and then restore take it over with a note; the victim is untouched', async () => {
    const w = await world();
    try {
      const lock = join(w.home, 'lock');
      await symlink(w.victim, lock);
      const apply = await w.guard(['apply', '--config', lab.configPath]);
      expect(apply.exitCode, apply.stderr).toBe(0);
      expect(apply.stderr).toContain(
        `the lock ${lock} was taken over: it was a link, which GoProxyGuard never makes`,
      );
      await symlink(join(w.dir, 'nowhere'), lock); // a dangling link too
      const restore = await w.guard(['restore']);
      expect(restore.exitCode, restore.stderr).toBe(0);
      expect(restore.stderr).toContain(`the lock ${lock} was taken over`);
      expect(await w.goproxy()).toBe(naive);
      expect(await readFile(w.victim, 'utf8')).toBe('not GoProxyGuard’s\n');
    } finally {
      await w.cleanup();
    }
  });

  it('a lock holding garbage, older than the longest run, is taken over by restore', async () => {
    const w = await world();
    try {
      expect((await w.guard(['apply', '--config', lab.configPath])).exitCode).toBe(0);
      const lock = join(w.home, 'lock');
      await writeFile(lock, 'garbage{');
      const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
      await utimes(lock, twoHoursAgo, twoHoursAgo);
      const restore = await w.guard(['restore']);
      expect(restore.exitCode, restore.stderr).toBe(0);
      expect(restore.stderr).toContain(
        `the lock ${lock} was taken over: it could not be read and is older than the longest run (60 min)`,
      );
      expect(await w.goproxy()).toBe(naive);
      await expect(lstat(lock)).rejects.toThrow(/ENOENT/);
    } finally {
      await w.cleanup();
    }
  });

  it('a young unreadable lock may be being written: it is waited for, then exit 4 (nothing changed)', async () => {
    const w = await world();
    try {
      await writeFile(join(w.home, 'lock'), 'garbage{');
      const run = await w.guard(['apply', '--config', lab.configPath]);
      expect(run.exitCode, run.stderr).toBe(4);
      expect(run.stderr).toContain('(unknown holder)');
      expect(await w.goproxy()).toBe(naive);
    } finally {
      await w.cleanup();
    }
  });
});

describe('a state folder the system refuses is exit 2 with one sentence, never a crash', () => {
  it('under a file (ENOTDIR)', async () => {
    const w = await world();
    try {
      const file = join(w.dir, 'a-file');
      await writeFile(file, '');
      const run = await w.guard(['apply', '--config', lab.configPath, '--json'], {
        GOPROXYGUARD_HOME: join(file, 'state'),
      });
      expect(run.exitCode, run.stderr).toBe(2);
      expect(run.stderr).toContain(
        `cannot create the folder ${join(file, 'state')}: a part of its path is a file, not a folder (ENOTDIR)`,
      );
      expect(JSON.parse(run.stdout).error).toMatchObject({
        errorId: 'FileSystemRefused',
        category: 'ObjectNotFound',
        target: join(file, 'state'),
      });
      expectOneSentence(run);
      expect(await w.goproxy()).toBe(naive);
    } finally {
      await w.cleanup();
    }
  });

  it('a backup taken under another GOENV: restore says to set GOENV, exit 2', async () => {
    const w = await world();
    try {
      expect((await w.guard(['apply', '--config', lab.configPath])).exitCode).toBe(0);
      const other = join(w.dir, 'other-go-env');
      const run = await w.guard(['restore', '--json'], { GOENV: other });
      expect(run.exitCode, run.stderr).toBe(2);
      expect(run.stderr).toContain(`set GOENV=${w.envFile} to restore it`);
      expect(JSON.parse(run.stdout).error).toMatchObject({
        errorId: 'InputInvalid',
        category: 'InvalidArgument',
      });
      expectOneSentence(run);
      expect(await w.goproxy()).toBe(healthy);
    } finally {
      await w.cleanup();
    }
  });

  /**
   * Runs the runtime in a private mount namespace (we run as root, so chmod alone never causes
   * EACCES) with the state folder on a 64 KiB tmpfs prepared by `prepare`; lists what the
   * folder holds afterwards, since the mount vanishes with the namespace.
   */
  async function onTmpfs(w: Awaited<ReturnType<typeof world>>, prepare: string, args: string[], runAs = '') {
    const listing = join(w.dir, 'listing');
    const script = [
      'mount -t tmpfs -o size=64k,mode=0700 tmpfs "$STATE"',
      prepare,
      '$RUN_AS "$NODE" "$RUNTIME" "$@"; rc=$?',
      'ls -A "$STATE" > "$LISTING"',
      'exit $rc',
    ].join('\n');
    const run = await execa('unshare', ['--mount', 'sh', '-c', script, 'sh', ...args], {
      env: { ...w.env, STATE: w.home, NODE: process.execPath, RUNTIME, LISTING: listing, RUN_AS: runAs },
      extendEnv: false,
      reject: false,
      timeout: 60_000,
    });
    return { ...run, files: (await readFile(listing, 'utf8')).split('\n').filter(Boolean) };
  }

  it.each([
    {
      refusal: 'not writable by this user (EACCES)',
      // root without the capability to override file permissions: a folder of mode 0500 refuses it
      prepare: 'chmod 0500 "$STATE"',
      runAs: 'setpriv --bounding-set=-dac_override,-dac_read_search',
      says: (home: string) =>
        `cannot open ${join(home, 'lock')}: permission denied (EACCES); give this user access to it`,
      category: 'PermissionDenied',
    },
    {
      refusal: 'read-only (EROFS)',
      prepare: 'mount -o remount,ro "$STATE"',
      runAs: '',
      says: (home: string) =>
        `cannot open ${join(home, 'lock')}: the file system is read-only (EROFS); make it writable (GOPROXYGUARD_HOME chooses another folder for GoProxyGuard's state)`,
      category: 'PermissionDenied',
    },
    {
      refusal: 'full (ENOSPC)',
      // 15 of the 16 pages taken: the lock fits, the byte copy of go's env file does not
      prepare: 'head -c 61440 /dev/zero > "$STATE/filler"',
      runAs: '',
      says: (home: string) =>
        `cannot write ${join(home, 'go-env.before')}: no space left on the device (ENOSPC); free some space`,
      category: 'ResourceUnavailable',
    },
  ])(
    '$refusal: exit 2 naming the file, nothing left behind (no lock, no *.tmp), go untouched',
    async (refused) => {
      const w = await world();
      try {
        const run = await onTmpfs(
          w,
          refused.prepare,
          ['apply', '--config', lab.configPath, '--json'],
          refused.runAs,
        );
        expect(run.exitCode, run.stderr).toBe(2);
        expect(run.stderr).toContain(refused.says(w.home));
        expect(JSON.parse(run.stdout).error).toMatchObject({ category: refused.category });
        expectOneSentence(run);
        expect(run.files).toEqual(refused.prepare.includes('filler') ? ['filler'] : []);
        expect(await w.goproxy()).toBe(naive);
      } finally {
        await w.cleanup();
      }
    },
  );
});

describe('the state-file helpers refuse what is not a plain file of their own', () => {
  const refusalOf = async (work: Promise<unknown>) => {
    const error = await work.then(
      () => undefined,
      (e: unknown) => e,
    );
    return describeFailure(error, 'apply', {}).report;
  };

  it('a hard link is not appended to: the other name would change too', async () => {
    const dir = await tempDir();
    const victim = join(dir, 'victim');
    await writeFile(victim, 'before\n');
    await link(victim, join(dir, 'history.jsonl'));
    const report = await refusalOf(appendHistory(join(dir, 'history.jsonl'), entry));
    expect(report).toMatchObject({ errorId: 'FileSystemRefused', category: 'SecurityError' });
    expect(report.message).toBe(
      `cannot open ${join(dir, 'history.jsonl')}: it is a hard link, so writing to it would change another file (EHARDLINK); remove the link`,
    );
    expect(await readFile(victim, 'utf8')).toBe('before\n');
  });

  it('a FIFO as history.jsonl is refused, read or appended, never waited on', async () => {
    const dir = await tempDir();
    const fifo = join(dir, 'history.jsonl');
    await execa('mkfifo', [fifo]);
    expect((await refusalOf(readHistory(fifo, 5))).message).toBe(
      `cannot open ${fifo}: it is not a regular file (a device or a pipe) (ENOTREG); remove it`,
    );
    expect((await refusalOf(appendHistory(fifo, entry))).message).toMatch(
      /^cannot open .*history\.jsonl: it is a pipe or a device with nothing at the other end \(ENXIO\); remove it$/,
    );
  });

  it('the history is read from its last 4 MiB: the newest entries, however long it grew', async () => {
    const dir = await tempDir();
    const path = join(dir, 'history.jsonl');
    const old = `${JSON.stringify({ ...entry, pad: 'x'.repeat(1000) })}\n`.repeat(6000); // ~6 MB
    await writeFile(path, `${old}${JSON.stringify({ ...entry, command: 'restore' })}\n`);
    const last = await readHistory(path, 2);
    expect(last.map((e) => e.command)).toEqual(['apply', 'restore']);
  });
});

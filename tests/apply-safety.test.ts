import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goWorld as makeWorld } from '../src/lab/go-world.js';
import type { RunningLab } from '../src/lab/scenarios.js';
import { RUNTIME, startHangingThenHealthy, writeJson } from './helpers.js';

let lab: RunningLab;
const goWorld = (running: RunningLab) => makeWorld(running, RUNTIME);
let naive: string;
let healthy: string;
beforeAll(async () => {
  // Every apply waits out the hanging mirror; a deadline that leaves the healthy one healthy on a
  // busy machine (at 800 ms a loaded CI box sometimes saw no mirror healthy: exit 1, nothing killed).
  lab = await startHangingThenHealthy(2000);
  healthy = lab.mirrors[1]?.url as string;
  naive = `${lab.mirrors[0]?.url},${healthy}`;
});
afterAll(() => lab.stop());

describe('killing apply at any step', () => {
  // Killed before its first write (before-backup: no backup yet; later: every setting still
  // holds its backed-up value), GoProxyGuard has not changed the machine: restore has nothing to
  // do (exit 1). Either way the backup is forgotten, so the next apply takes its own.
  it.each([
    ['before-backup', false],
    ['after-backup', false],
    ['after-decision', false],
    ['after-write', true],
    ['after-verify', true],
    ['after-state', true],
  ])(
    'killed %s (written: %s): restore recovers the original, or says there is nothing to restore',
    async (step, written) => {
      const world = await goWorld(lab);
      try {
        await world.go(['env', '-w', `GOPROXY=${naive}`]);
        const before = await readFile(world.envFile);
        const killed = await world.guard(['apply', '--config', lab.configPath], {
          GOPROXYGUARD_CRASH_AT: step,
        });
        expect(killed.signal, `${killed.stdout}${killed.stderr}`).toBe('SIGKILL');
        expect(written ? [naive, healthy] : [naive]).toContain(await world.goproxy());
        expect((await world.guard(['restore', '--dry-run'])).exitCode).toBe(written ? 0 : 1);
        // the killed run's lock names a dead process: restore takes it over
        const restore = await world.guard(['restore']);
        expect(restore.exitCode, restore.stderr).toBe(written ? 0 : 1);
        if (!written)
          expect(restore.stdout).toBe('Nothing to restore: GoProxyGuard has not changed this machine.');
        expect(await readFile(world.envFile)).toEqual(before);
        const home = world.env.GOPROXYGUARD_HOME as string;
        expect((await readdir(home)).filter((f) => !['history.jsonl', 'state.json'].includes(f))).toEqual([]);
      } finally {
        await world.cleanup();
      }
    },
  );

  it('a step name the hook does not know is refused before any change', async () => {
    const world = await goWorld(lab);
    try {
      await world.go(['env', '-w', `GOPROXY=${naive}`]);
      const before = await readFile(world.envFile);
      const run = await world.guard(['apply', '--config', lab.configPath], {
        GOPROXYGUARD_CRASH_AT: 'after-bakcup',
      });
      expect(run.exitCode).toBe(3);
      expect(run.stderr).toContain('GOPROXYGUARD_CRASH_AT=after-bakcup names no step of apply');
      expect(await readFile(world.envFile)).toEqual(before);
    } finally {
      await world.cleanup();
    }
  });
});

describe('a tool that fails while apply writes', () => {
  it('go env -w refusing: exit 3 as a tool failure (ToolFailed), every value put back', async () => {
    const world = await goWorld(lab);
    try {
      await world.go(['env', '-w', `GOPROXY=${naive}`]);
      const before = await readFile(world.envFile);
      // go as a locked-down profile has it: it reads its settings, but writing the file fails
      const go = join(world.dir, 'go-refusing');
      await writeFile(
        go,
        `#!/bin/sh\ncase "$*" in "env -w"*) echo "go: writing go env file: permission denied" >&2; exit 1;; esac\nexec go "$@"\n`,
      );
      await chmod(go, 0o755);
      const run = await world.guard(['apply', '--config', lab.configPath, '--json'], { GOPROXYGUARD_GO: go });
      expect(run.exitCode, run.stderr).toBe(3);
      const { error } = JSON.parse(run.stdout);
      expect(error.errorId).toBe('ToolFailed');
      expect(error.message).toMatch(/permission denied; every value was put back as it was$/);
      expect(await readFile(world.envFile)).toEqual(before);
    } finally {
      await world.cleanup();
    }
  });
});

describe('two runs at once', () => {
  it('never corrupt the state file: the second waits for the lock (or says it is held)', async () => {
    const world = await goWorld(lab);
    try {
      const runs = await Promise.all(
        [1, 2, 3].map(() => world.guard(['apply', '--config', lab.configPath, '--json'])),
      );
      // Every run either applied or said plainly that another run held the lock.
      for (const run of runs)
        expect(run.exitCode === 0 ? 'applied' : run.stderr).toMatch(
          /^applied$|another GoProxyGuard run holds .*lock/,
        );
      const state = JSON.parse(
        await readFile(join(world.env.GOPROXYGUARD_HOME as string, 'state.json'), 'utf8'),
      );
      expect(state.version).toBe(1);
      expect(Object.keys(state.mirrors)).toEqual(['hanging', 'healthy']);
      const history = (await readFile(join(world.env.GOPROXYGUARD_HOME as string, 'history.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      // Serialized by the lock: the first run to get it decided and changed, each later one kept,
      // and every run that got the lock recorded exactly one outcome (no interleaving).
      const events = history.map((entry: { event: string }) => entry.event);
      expect(events.slice(0, 2)).toEqual(['decision', 'change']);
      expect(events.slice(2).every((event: string) => event === 'kept')).toBe(true);
      expect(events.length - 1).toBe(runs.filter((run) => run.exitCode === 0).length);
      expect(await world.goproxy()).toBe(healthy);
    } finally {
      await world.cleanup();
    }
  });

  it('a held lock makes the second run exit 4 with a clear message, changing nothing', async () => {
    const world = await goWorld(lab);
    try {
      const home = world.env.GOPROXYGUARD_HOME as string;
      await mkdir(home, { recursive: true });
      // a live holder: this test process
      await writeFile(join(home, 'lock'), JSON.stringify({ pid: process.pid, since: 'now' }));
      await world.go(['env', '-w', `GOPROXY=${naive}`]);
      const run = await world.guard(['apply', '--config', lab.configPath]);
      expect(run.exitCode).toBe(4);
      expect(run.stderr).toContain(
        `another GoProxyGuard run holds ${join(home, 'lock')} (pid ${process.pid} since now)`,
      );
      expect(await world.goproxy()).toBe(naive);
    } finally {
      await world.cleanup();
    }
  });
});

describe('bad input changes nothing', () => {
  it.each([
    [{ mirrors: [{ name: 'plain', url: 'http://127.0.0.1:9' }] }, 'mirrors[0].url'],
    [{ policy: { failAfter: 0 } }, 'policy.failAfter'],
    [{ policy: { recoverAfter: 101 } }, 'policy.recoverAfter'],
    [{ policy: { allowDirect: 'yes' } }, 'policy.allowDirect'],
    [{ mirrors: [{ name: 'split', url: 'https://a.example|https://b.example' }] }, 'mirrors[0].url'],
  ])('%j exits 2 naming %s; the go env file is byte-for-byte unchanged', async (config, field) => {
    const world = await goWorld(lab);
    try {
      await world.go(['env', '-w', `GOPROXY=${naive}`]);
      const before = await readFile(world.envFile);
      const path = await writeJson(world.dir, 'bad.json', config);
      const run = await world.guard(['apply', '--config', path]);
      expect(run.exitCode).toBe(2);
      expect(run.stderr).toContain(`config field "${field}"`);
      expect(await readFile(world.envFile)).toEqual(before);
      expect(await readdir(world.dir)).not.toContain('state');
    } finally {
      await world.cleanup();
    }
  });

  it('an unreadable state file exits 2 and changes nothing', async () => {
    const world = await goWorld(lab);
    try {
      const home = world.env.GOPROXYGUARD_HOME as string;
      await mkdir(join(home, 'state.json'), { recursive: true }); // a directory: cannot be read as a file
      await world.go(['env', '-w', `GOPROXY=${naive}`]);
      const before = await readFile(world.envFile);
      const run = await world.guard(['apply', '--config', lab.configPath]);
      expect(run.exitCode).toBe(2);
      expect(run.stderr).toContain(`cannot read the state file ${join(home, 'state.json')}`);
      expect(await readFile(world.envFile)).toEqual(before);
    } finally {
      await world.cleanup();
    }
  });

  it('a corrupt state file is kept beside, a fresh state is used, and the run says so', async () => {
    const world = await goWorld(lab);
    try {
      const home = world.env.GOPROXYGUARD_HOME as string;
      await mkdir(home, { recursive: true });
      await writeFile(join(home, 'state.json'), '{"version": 1, "mirr');
      const run = await world.guard(['apply', '--config', lab.configPath, '--json']);
      expect(run.exitCode).toBe(0);
      expect(JSON.parse(run.stdout).notes[0]).toMatch(
        /^the state file was not valid; it is kept as .*state\.json\.corrupt-.* and a fresh state was started$/,
      );
      const files = await readdir(home);
      expect(files.filter((f) => f.startsWith('state.json.corrupt-'))).toHaveLength(1);
      expect(
        await readFile(join(home, files.find((f) => f.startsWith('state.json.corrupt-')) as string), 'utf8'),
      ).toBe('{"version": 1, "mirr');
    } finally {
      await world.cleanup();
    }
  });
});

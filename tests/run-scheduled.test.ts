import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import parsePrometheus from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goWorld as makeWorld } from '../src/lab/go-world.js';
import { type RunningLab, startLab } from '../src/lab/scenarios.js';
import { eventLogStandIns } from './event-log-stand-ins.js';
import { cli, RUNTIME, writeJson } from './helpers.js';

let lab: RunningLab;
beforeAll(async () => {
  lab = await startLab(
    {
      summary: 'a stable mirror and a flapping one',
      addressUrls: true,
      mirrors: [
        { name: 'stable', mode: { kind: 'ok' } },
        { name: 'flappy', mode: { kind: 'ok' } },
      ],
    },
    800,
  );
});
afterAll(() => lab.stop());
const mirror = (name: string) => lab.mirrors.find((m) => m.name === name) as RunningLab['mirrors'][number];
const world = () => makeWorld(lab, RUNTIME);

describe('run --scheduled', () => {
  it('exits 0 quietly when another run holds the lock, changing nothing', async () => {
    const w = await world();
    try {
      await mkdir(w.env.GOPROXYGUARD_HOME as string, { recursive: true });
      await writeFile(
        join(w.env.GOPROXYGUARD_HOME as string, 'lock'),
        JSON.stringify({ pid: process.pid, since: 'now' }),
      );
      const run = await w.guard(['run', '--scheduled', '--config', lab.configPath, '--json']);
      expect(run.exitCode).toBe(0);
      expect(run.stderr).toBe('');
      expect(JSON.parse(run.stdout)).toMatchObject({ skipped: true });
      expect(await w.goproxy()).toBe('https://proxy.golang.org,direct');
    } finally {
      await w.cleanup();
    }
  });

  it('keeps the last known good configuration when every mirror is down', async () => {
    const w = await world();
    try {
      expect((await w.guard(['run', '--scheduled', '--config', lab.configPath])).exitCode).toBe(0);
      const good = await w.goproxy();
      mirror('stable').setMode({ kind: 'status', status: 502 });
      mirror('flappy').setMode({ kind: 'status', status: 503 });
      const down = await w.guard(['run', '--scheduled', '--config', lab.configPath]);
      expect(down.exitCode).toBe(1);
      expect(down.stdout).toContain('(last known good kept: no mirror works)');
      expect(await w.goproxy()).toBe(good);
    } finally {
      mirror('stable').setMode({ kind: 'ok' });
      mirror('flappy').setMode({ kind: 'ok' });
      await w.cleanup();
    }
  });

  it('writes a Prometheus textfile that a real parser reads', async () => {
    const w = await world();
    try {
      const textfile = join(w.dir, 'goproxyguard.prom');
      mirror('flappy').setMode({ kind: 'status', status: 502 });
      expect(
        (await w.guard(['run', '--scheduled', '--config', lab.configPath, '--textfile', textfile])).exitCode,
      ).toBe(0);
      const families = parsePrometheus(await readFile(textfile, 'utf8'));
      const family = (name: string) => families.find((f) => f.name === name);
      expect(families.map((f) => f.name)).toEqual([
        'goproxyguard_mirror_healthy',
        'goproxyguard_mirror_latency_seconds',
        'goproxyguard_mirror_in_goproxy',
        'goproxyguard_kept_last_good',
        'goproxyguard_changed',
        'goproxyguard_run_duration_seconds',
        'goproxyguard_last_run_timestamp_seconds',
      ]);
      expect(family('goproxyguard_mirror_healthy')?.type).toBe('GAUGE');
      expect(family('goproxyguard_mirror_healthy')?.metrics).toEqual([
        { labels: { mirror: 'stable', verdict: 'healthy' }, value: '1' },
        { labels: { mirror: 'flappy', verdict: 'http-error' }, value: '0' },
      ]);
      expect(family('goproxyguard_mirror_latency_seconds')?.metrics[1]?.value).toBe('NaN');
      expect(family('goproxyguard_changed')?.metrics[0]?.value).toBe('1');
    } finally {
      mirror('flappy').setMode({ kind: 'ok' });
      await w.cleanup();
    }
  });
});

describe('100 consecutive runs against a flapping mirror', () => {
  it('switch the list no more often than the hysteresis allows', async () => {
    const w = await world();
    try {
      const config = await writeJson(w.dir, 'flap.json', {
        ...lab.config,
        deadlineMs: 800,
        policy: { failAfter: 2, recoverAfter: 3 },
      });
      // A fixed pseudo-random pattern of up and down runs (a linear congruential generator).
      let seed = 42;
      const pattern = Array.from({ length: 100 }, () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed % 3 !== 0; // up two runs in three, on average
      });
      const flappyUrl = mirror('flappy').url;
      const lists: string[] = [];
      for (const up of pattern) {
        mirror('flappy').setMode(up ? { kind: 'ok' } : { kind: 'status', status: 502 });
        const run = await cli(['run', '--scheduled', '--config', config], w.env);
        expect([0, 1]).toContain(run.code);
        lists.push(await w.goproxy());
      }
      // The same rules, simulated independently: out after 2 failures in a row, back after 3 successes.
      let active = pattern[0] as boolean;
      let failures = 0;
      let successes = 0;
      let allowedFlips = 0;
      pattern.forEach((up, run) => {
        failures = up ? 0 : failures + 1;
        successes = up ? successes + 1 : 0;
        if (run === 0) return;
        if (active && failures >= 2) {
          active = false;
          allowedFlips++;
        } else if (!active && successes >= 3) {
          active = true;
          allowedFlips++;
        }
      });
      const membership = lists.map((list) => list.split('|').includes(flappyUrl));
      const flips = membership.filter((inList, i) => i > 0 && inList !== membership[i - 1]).length;
      const writes = lists.filter((list, i) => i > 0 && list !== lists[i - 1]).length;
      expect(flips).toBe(allowedFlips);
      expect(flips).toBeLessThan(pattern.filter((up, i) => i > 0 && up !== pattern[i - 1]).length);
      expect(writes).toBeLessThanOrEqual(allowedFlips + 1); // plus at most one reorder
      const history = (await readFile(join(w.env.GOPROXYGUARD_HOME as string, 'history.jsonl'), 'utf8'))
        .trim()
        .split('\n');
      expect(history.filter((line) => JSON.parse(line).event === 'change')).toHaveLength(writes + 1); // + the first write
    } finally {
      mirror('flappy').setMode({ kind: 'ok' });
      await w.cleanup();
    }
  }, 120_000);
});

describe('the Application event log entry (eventcreate argv)', () => {
  it('is written through eventcreate with each value its own argument when a scheduled run changes settings', async () => {
    const w = await world();
    try {
      const { env, calls } = await eventLogStandIns(w.dir);
      const run = await w.guard(['run', '--scheduled', '--config', lab.configPath], env);
      expect(run.exitCode, run.stderr).toBe(0);
      expect(await calls()).toHaveLength(1);
      const argv = (await calls())[0] as string[];
      expect(argv.slice(0, 9)).toEqual([
        '/L',
        'APPLICATION',
        '/T',
        'INFORMATION',
        '/SO',
        'GoProxyGuard',
        '/ID',
        '100',
        '/D',
      ]);
      expect(argv[9]).toMatch(
        /^GoProxyGuard changed go settings\. GOPROXY: \(not set\) -> https:\/\/127\.0\.0\.1:\d+/,
      );
      expect(argv).toHaveLength(10);
      const history = (await readFile(join(w.env.GOPROXYGUARD_HOME as string, 'history.jsonl'), 'utf8'))
        .trim()
        .split('\n');
      expect(JSON.parse(history.at(-1) as string).eventLog).toMatchObject({ written: true });
    } finally {
      await w.cleanup();
    }
  });
});

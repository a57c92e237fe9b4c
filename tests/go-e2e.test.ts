import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goWorld as makeWorld } from '../src/lab/go-world.js';
import type { RunningLab } from '../src/lab/scenarios.js';
import { RUNTIME, startHangingThenHealthy } from './helpers.js';

// End to end with the real go command (Debian golang-go) against the lab: the first mirror
// accepts connections and never answers, the second is healthy.
let lab: RunningLab;
const goWorld = (running: RunningLab) => makeWorld(running, RUNTIME);
let hanging: string;
let healthy: string;
beforeAll(async () => {
  lab = await startHangingThenHealthy(1500);
  [hanging, healthy] = lab.mirrors.map((m) => m.url) as [string, string];
});
afterAll(() => lab.stop());

describe('apply and restore with the real go command', () => {
  it('writes the healthy mirror first; go mod download then succeeds; restore puts the old value back exactly', async () => {
    const world = await goWorld(lab);
    try {
      const naive = `${hanging},${healthy}`;
      expect((await world.go(['env', '-w', `GOPROXY=${naive}`])).exitCode).toBe(0);
      const before = await readFile(world.envFile, 'utf8');

      const apply = await world.guard(['apply', '--config', lab.configPath, '--json']);
      expect(apply.exitCode, apply.stderr).toBe(0);
      const document = JSON.parse(apply.stdout);
      expect(document.applied).toBe(true);
      expect(document.changes).toEqual([{ setting: 'GOPROXY', from: naive, to: healthy }]);
      expect(await world.goproxy()).toBe(healthy);

      const download = await world.go(['mod', 'download', '-json', 'lab.test/canary@v1.1.0']);
      expect(download.exitCode, download.stderr).toBe(0);
      expect(JSON.parse(download.stdout)).toMatchObject({
        Path: 'lab.test/canary',
        Version: 'v1.1.0',
        Sum: expect.stringMatching(/^h1:/),
      });

      const restore = await world.guard(['restore', '--json']);
      expect(restore.exitCode, restore.stderr).toBe(0);
      expect(JSON.parse(restore.stdout).restored).toEqual([{ setting: 'GOPROXY', to: naive }]);
      expect(await world.goproxy()).toBe(naive);
      expect(await readFile(world.envFile, 'utf8')).toBe(before);
      // the backup is forgotten: a second restore has nothing to do
      expect((await world.guard(['restore'])).exitCode).toBe(1);
    } finally {
      await world.cleanup();
    }
  });

  it('restores "not set" as not set', async () => {
    const world = await goWorld(lab);
    try {
      const defaultProxy = await world.goproxy();
      expect((await world.guard(['apply', '--config', lab.configPath])).exitCode).toBe(0);
      expect(await world.goproxy()).toBe(healthy);
      expect((await world.guard(['restore'])).exitCode).toBe(0);
      expect(await world.goproxy()).toBe(defaultProxy);
      expect(await readFile(world.envFile, 'utf8')).not.toContain('GOPROXY=');
    } finally {
      await world.cleanup();
    }
  });

  it('plan and apply --dry-run change nothing and say what they would do', async () => {
    const world = await goWorld(lab);
    try {
      await world.go(['env', '-w', 'GOPROXY=https://old.example']);
      const before = await readFile(world.envFile, 'utf8');
      const plan = await world.guard(['plan', '--config', lab.configPath]);
      expect(plan.exitCode).toBe(0);
      expect(plan.stdout).toContain('Plan (nothing was changed):');
      expect(plan.stdout).toContain(
        `GOPROXY  now:  https://old.example (go env file)\n         plan: ${healthy}`,
      );
      const dry = await world.guard(['apply', '--dry-run', '--config', lab.configPath, '--json']);
      expect(JSON.parse(dry.stdout)).toMatchObject({ applied: false, dryRun: true, goproxy: healthy });
      expect(await readFile(world.envFile, 'utf8')).toBe(before);
    } finally {
      await world.cleanup();
    }
  });

  it('reports a GOPROXY environment variable that overrides the file, in plan and status', async () => {
    const world = await goWorld(lab);
    try {
      const override = { GOPROXY: 'https://env.example' };
      const plan = JSON.parse(
        (await world.guard(['plan', '--config', lab.configPath, '--json'], override)).stdout,
      );
      expect(plan.current).toContainEqual({
        setting: 'GOPROXY',
        value: 'https://env.example',
        source: 'environment',
      });
      expect(plan.notes[0]).toMatch(
        /^GOPROXY is set in the environment \(https:\/\/env\.example\) and overrides go's env file/,
      );
      const status = JSON.parse((await world.guard(['status', '--json'], override)).stdout);
      expect(status).toMatchObject({ goproxy: 'https://env.example', goproxySource: 'environment' });
    } finally {
      await world.cleanup();
    }
  });

  it('status shows the source, the mirrors standing, the backup and the history', async () => {
    const world = await goWorld(lab);
    try {
      await world.guard(['apply', '--config', lab.configPath]);
      const status = JSON.parse((await world.guard(['status', '--json'])).stdout);
      expect(status).toMatchObject({ goproxy: healthy, goproxySource: 'go env file', backupExists: true });
      expect(status.mirrors).toEqual([
        { name: 'hanging', active: false, failures: 1, successes: 0, lastVerdict: 'timeout' },
        { name: 'healthy', active: true, failures: 0, successes: 1, lastVerdict: 'healthy' },
      ]);
      expect(status.history.map((h: { event: string }) => h.event)).toEqual(['decision', 'change']);
    } finally {
      await world.cleanup();
    }
  });
});

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RunningLab, startLab } from '../src/lab/scenarios.js';
import { RUNTIME } from './helpers.js';

// serve --background, serve status and serve stop through the bundled runtime, each case in its
// own state folder (GOPROXYGUARD_HOME), against a lab config on loopback.
vi.setConfig({ testTimeout: 60_000 });

const run = promisify(execFile);
let lab: RunningLab;
const homes: string[] = [];
const started = new Set<number>();

async function guard(home: string, args: string[]) {
  const env = { PATH: process.env.PATH, HOME: home, GOPROXYGUARD_HOME: home };
  try {
    const { stdout, stderr } = await run(process.execPath, [RUNTIME, ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function freshHome() {
  const home = await mkdtemp(join(tmpdir(), 'gpg-ctl-'));
  homes.push(home);
  return home;
}

/** serve --background on a free port with the lab's config. */
const background = () => ['serve', '--background', '--config', lab.configPath, '--listen', '127.0.0.1:0'];

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const refuses = (url: string) =>
  new Promise<boolean>((resolve) => {
    const { hostname, port } = new URL(url);
    const socket = net.connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });

beforeAll(async () => {
  lab = await startLab('healthy');
});

afterAll(async () => {
  for (const pid of started) if (alive(pid)) process.kill(pid, 'SIGKILL');
  await lab?.stop();
  for (const home of homes) await rm(home, { recursive: true, force: true });
});

describe('serve in the background', () => {
  it('starts, answers, reports running, refuses a second start, stops and then reads not running', async () => {
    const home = await freshHome();
    const start = await guard(home, [...background(), '--json']);
    expect(start.code, start.stderr).toBe(0);
    const announced = JSON.parse(start.stdout) as { url: string; pid: number; status: string };
    started.add(announced.pid);
    expect(announced.pid).not.toBe(process.pid);
    const answer = await fetch(announced.status);
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { url: string }).url).toBe(announced.url);

    const status = await guard(home, ['serve', 'status', '--json']);
    expect(status.code).toBe(0);
    const shown = JSON.parse(status.stdout);
    expect(shown).toMatchObject({ running: true, url: announced.url, pid: announced.pid });
    expect(Object.keys(shown.counters).sort()).toEqual(
      [
        'failovers',
        'hedgesFired',
        'joined',
        'prefetched',
        'requests',
        'staleServed',
        'tamperedRefused',
      ].sort(),
    );

    const second = await guard(home, background());
    expect(second.code).toBe(2);
    expect(second.stderr).toContain('already runs');

    const stop = await guard(home, ['serve', 'stop', '--json']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(JSON.parse(stop.stdout)).toMatchObject({ stopped: true, pid: announced.pid });
    expect(alive(announced.pid)).toBe(false);
    expect(await refuses(announced.url)).toBe(true);

    const after = await guard(home, ['serve', 'status', '--json']);
    expect(after.code).toBe(1);
    expect(JSON.parse(after.stdout).running).toBe(false);
  });

  it('reads a record whose pid is gone as not running, and stop then has nothing to stop', async () => {
    const home = await freshHome();
    const dead = await run(process.execPath, ['-e', 'console.log(process.pid)']);
    const pid = Number(dead.stdout.trim());
    await writeFile(
      join(home, 'guard.json'),
      JSON.stringify({ pid, url: 'http://127.0.0.1:9', startedAt: new Date().toISOString(), version: 'x' }),
    );
    const status = await guard(home, ['serve', 'status', '--json']);
    expect(status.code).toBe(1);
    expect(JSON.parse(status.stdout)).toMatchObject({ running: false, pid });
    expect(JSON.parse(status.stdout).reason).toContain('gone');
    const stop = await guard(home, ['serve', 'stop']);
    expect(stop.code).toBe(1);
    expect(stop.stdout).toContain('no guard running');
  });

  it('stop with nothing recorded is exit code 1', async () => {
    const home = await freshHome();
    const stop = await guard(home, ['serve', 'stop']);
    expect(stop.code).toBe(1);
    expect(stop.stdout).toContain('no guard running');
    await expect(readFile(join(home, 'guard.json'))).rejects.toThrow();
  });
});

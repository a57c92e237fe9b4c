import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { validate } from '../src/config/load.js';
import { startGuard } from '../src/guardproxy/start.js';
import { askGuard } from '../src/guardproxy/status-client.js';
import { goWorld } from '../src/lab/go-world.js';
import { LAB_CANARY } from '../src/lab/modules.js';
import { type RunningLab, startLab } from '../src/lab/scenarios.js';
import { RUNTIME } from './helpers.js';

// Guard mode end to end with the real go 1.19 (GOENV in a temp dir) and the bundled runtime:
// apply writes http://<guard>|<mirrors> once, later runs leave it alone, restore puts the old
// value back, and go downloads with the guard down (refused -> the "|" tail) and running.

vi.setConfig({ testTimeout: 120_000 });
const MODULE = `${LAB_CANARY.module}@${LAB_CANARY.version}`;
type World = Awaited<ReturnType<typeof goWorld>>;

let lab: RunningLab;
let refused: string; // a loopback address where nothing listens
let foreign: http.Server; // an HTTP server that is not the guard
let foreignListen: string;
const url = (name: string) => lab.mirrors.find((m) => m.name === name)?.url as string;

/** A loopback port that was free a moment ago and is closed now: connecting is refused. */
async function closedPort(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `127.0.0.1:${port}`;
}

beforeAll(async () => {
  // Generous deadline: the machine is loaded, and a healthy mirror must not time out.
  lab = await startLab(
    {
      summary: 'two healthy mirrors for guard mode',
      addressUrls: true,
      mirrors: [
        { name: 'a', mode: { kind: 'ok' } },
        { name: 'b', mode: { kind: 'ok' } },
      ],
    },
    10_000,
  );
  refused = await closedPort();
  foreign = http.createServer((_request, response) => response.end('<html>hello</html>'));
  await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
  foreignListen = `127.0.0.1:${(foreign.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => foreign.close(resolve));
  await lab.stop();
});

/** The lab's config with a guard section, written into the world. */
async function config(world: World, guard: object, name = 'config.json'): Promise<string> {
  const path = join(world.dir, name);
  await writeFile(path, JSON.stringify({ ...lab.config, policy: { failAfter: 2, recoverAfter: 2 }, guard }));
  return path;
}

async function applyJson(world: World, configPath: string) {
  const result = await world.guard(['apply', '--config', configPath, '--json']);
  expect(result.exitCode, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

describe('guard mode with the guard down', () => {
  let world: World;
  beforeAll(async () => {
    world = await goWorld(lab, RUNTIME);
  });
  afterAll(() => world.cleanup());

  it('writes the guard first once, leaves it alone, refreshes the tail after failAfter runs, turns off, restores', async () => {
    const original = 'https://proxy.golang.org,direct';
    expect((await world.go(['env', '-w', `GOPROXY=${original}`])).exitCode).toBe(0);
    const envBefore = await readFile(world.envFile, 'utf8');
    const on = await config(world, { enabled: true, listen: refused });

    const first = await applyJson(world, on);
    const written = await world.goproxy();
    expect(written).toMatch(
      new RegExp(`^http://${refused}\\|https://127\\.0\\.0\\.1:\\d+\\|https://127\\.0\\.0\\.1:\\d+$`),
    );
    expect(new Set(written.split('|').slice(1))).toEqual(new Set([url('a'), url('b')]));
    expect(first.reasons.join('\n')).toContain('guard mode: GOPROXY points go at the guard proxy');

    // go gets "connection refused" from the guard and moves on through "|".
    const download = await world.go(['mod', 'download', '-json', MODULE]);
    expect(download.exitCode, download.stderr).toBe(0);
    expect(JSON.parse(download.stdout)).toMatchObject({
      Path: LAB_CANARY.module,
      Sum: expect.stringMatching(/^h1:/),
    });

    // The first mirror of the tail starts to fail: in plain mode it would drop to last at once.
    const [, firstInTail, secondInTail] = written.split('|') as [string, string, string];
    const failing = lab.mirrors.find((m) => m.url === firstInTail);
    failing?.setMode({ kind: 'status', status: 502 });
    try {
      const second = await applyJson(world, on);
      expect(second.changes).toEqual([]);
      expect(await world.goproxy()).toBe(written);
      expect(second.reasons.join('\n')).toContain('GOPROXY already points go at the guard proxy');

      // failAfter (2) failed runs in a row: the tail loses that mirror, the guard stays first.
      await applyJson(world, on);
      expect(await world.goproxy()).toBe(`http://${refused}|${secondInTail}`);
    } finally {
      failing?.setMode({ kind: 'ok' });
    }

    // Guard mode off: the next apply writes the plain list again.
    await applyJson(world, await config(world, { enabled: false, listen: refused }, 'off.json'));
    expect(await world.goproxy()).not.toContain(refused);
    expect((await world.goproxy()).split('|')).toContain(secondInTail);

    // restore puts GOPROXY back as it was before GoProxyGuard, byte for byte.
    const restore = await world.guard(['restore', '--json']);
    expect(restore.exitCode, restore.stderr).toBe(0);
    expect(await world.goproxy()).toBe(original);
    expect(await readFile(world.envFile, 'utf8')).toBe(envBefore);
  });

  it('restore from guard mode puts back a GOPROXY that was not set', async () => {
    const other = await goWorld(lab, RUNTIME);
    try {
      const defaultProxy = await other.goproxy();
      await applyJson(other, await config(other, { enabled: true, listen: refused }));
      expect(await other.goproxy()).toMatch(new RegExp(`^http://${refused}\\|`));
      expect((await other.guard(['restore'])).exitCode).toBe(0);
      expect(await other.goproxy()).toBe(defaultProxy);
      expect(await readFile(other.envFile, 'utf8')).not.toContain('GOPROXY=');
    } finally {
      await other.cleanup();
    }
  });

  it('status says guard mode is on and the guard is not running, and why', async () => {
    await world.go(['env', '-w', `GOPROXY=http://${refused}|${url('a')}`]);
    const on = await config(world, { enabled: true, listen: refused });
    const status = await world.guard(['status', '--config', on, '--json']);
    expect(status.exitCode, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).guard).toEqual({
      enabled: true,
      listen: refused,
      running: false,
      reason: `nothing listens on ${refused} (connection refused)`,
    });
    const text = await world.guard(['status', '--config', on]);
    expect(text.stdout).toContain(`guard proxy: guard mode on; not running at ${refused} (nothing listens`);
  });

  it('status does not ask when guard mode is off and GOPROXY names no guard', async () => {
    await world.go(['env', '-w', `GOPROXY=${url('a')}`]);
    const status = JSON.parse((await world.guard(['status', '--json'])).stdout);
    expect(status.guard).toMatchObject({
      enabled: false,
      running: false,
      reason: expect.stringMatching(/^not asked/),
    });
  });

  it('doctor: a guard that does not answer is skipped through "|"', async () => {
    await world.go(['env', '-w', `GOPROXY=http://${refused}|${url('a')}`]);
    const doctor = await world.guard(['doctor', '--offline', '--json']);
    const findings = JSON.parse(doctor.stdout).findings as { severity: string; title: string }[];
    expect(findings).toContainEqual(
      expect.objectContaining({
        severity: 'warning',
        title: `the guard proxy http://${refused} does not answer: go skips it through "|" and uses ${url('a')}`,
      }),
    );
  });

  it('doctor: a guard that does not answer with "," after it makes go fail, and says so with the fix', async () => {
    const comma = `http://${refused},${url('a')}`;
    await world.go(['env', '-w', `GOPROXY=${comma}`]);
    // What the finding claims: go stops at the refused first entry.
    const go = await world.go(['mod', 'download', '-json', `${LAB_CANARY.module}@v1.0.0`]);
    expect(go.exitCode).not.toBe(0);
    expect(go.stdout + go.stderr).toContain('connection refused');

    const doctor = await world.guard(['doctor', '--offline', '--json']);
    expect(doctor.exitCode).not.toBe(0);
    const finding = (
      JSON.parse(doctor.stdout).findings as { severity: string; title: string; fix: string }[]
    ).find((f) => f.title.includes('go will FAIL'));
    expect(finding).toMatchObject({
      severity: 'error',
      fix: expect.stringContaining(`http://${refused}|${url('a')}`),
    });
  });
});

describe('guard mode with the guard running', () => {
  let world: World;
  let guard: Awaited<ReturnType<typeof startGuard>>;
  let listen: string;
  beforeAll(async () => {
    world = await goWorld(lab, RUNTIME);
    const loaded = await validate({ ...lab.config, guard: { firstByteMs: 5000 } });
    guard = await startGuard(
      { ...loaded, source: 'test' },
      world.env,
      { host: '127.0.0.1', port: 0 },
      () => {},
    );
    listen = new URL(guard.url).host;
  });
  afterAll(async () => {
    await guard.close();
    await world.cleanup();
  });

  it('go downloads through the guard; status and doctor say it runs, with its counters', async () => {
    const on = await config(world, { enabled: true, listen });
    await applyJson(world, on);
    expect(await world.goproxy()).toMatch(new RegExp(`^http://${listen}\\|`));
    const download = await world.go(['mod', 'download', '-json', MODULE]);
    expect(download.exitCode, download.stderr).toBe(0);
    expect(guard.status().counters.requests).toBeGreaterThan(0); // it went through the guard

    const status = JSON.parse((await world.guard(['status', '--config', on, '--json'])).stdout);
    expect(status.guard).toMatchObject({
      enabled: true,
      listen,
      running: true,
      requests: expect.any(Number),
      hedges: expect.any(Number),
      failovers: expect.any(Number),
      tamperedRefused: 0,
      staleServed: 0,
    });
    expect(status.guard.requests).toBeGreaterThan(0);

    const doctor = JSON.parse((await world.guard(['doctor', '--offline', '--json'])).stdout);
    expect(doctor.findings).toContainEqual(
      expect.objectContaining({ severity: 'info', title: `the guard proxy http://${listen} answers` }),
    );
  });
});

describe('askGuard', () => {
  it('tells a refused port and a foreign HTTP server from a guard', async () => {
    expect(await askGuard(refused, 2000)).toEqual({
      running: false,
      reason: `nothing listens on ${refused} (connection refused)`,
    });
    expect(await askGuard(foreignListen, 2000)).toEqual({
      running: false,
      reason: `http://${foreignListen} answered, but not as the guard proxy does`,
    });
  });
});

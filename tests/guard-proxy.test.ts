import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { goWorld } from '../src/lab/go-world.js';
import type { MirrorMode } from '../src/lab/mirror.js';
import { LAB_CANARY, LAB_SUMDB } from '../src/lab/modules.js';
import { type RunningLab, startLab } from '../src/lab/scenarios.js';
import { serveGuard } from '../src/lab/serve-guard.js';
import { RUNTIME } from './helpers.js';

// The real go 1.19 through the real guard (the bundled runtime's `serve`) against lab mirrors
// that misbehave per request. GOPROXY is "<guard>|off" where the guard alone must cope, and
// "<guard>|<healthy mirror>" where go's own fallback is the point. Every go command that could
// stall is bounded by a kill timeout; assertions are on success or failure, never on time.

/** Short guard timings so a hanging mirror costs the tests little. */
const GUARD_TIMINGS = { firstByteMs: 1500, stallMs: 1500, hedgeMinMs: 50, hedgeMaxMs: 400 };
const GO_TIMEOUT = 45_000;
const both = `${LAB_CANARY.module}@v1.1.0`;
vi.setConfig({ testTimeout: 90_000 });

type World = Awaited<ReturnType<typeof goWorld>>;

interface Guard {
  url: string;
  process: ResultPromise;
  status(): Promise<{ counters: Record<string, number>; mirrors: { name: string; breaker: string }[] }>;
  stop(): Promise<void>;
}

/** Starts `goproxy-guard serve` on a free port with the lab's config (plus guard settings). */
async function startGuard(
  lab: RunningLab,
  world: World,
  options: { guard?: object; mirrors?: string[]; env?: Record<string, string> } = {},
): Promise<Guard> {
  const config = {
    ...lab.config,
    mirrors: (lab.config.mirrors as { name: string }[]).filter(
      (m) => !options.mirrors || options.mirrors.includes(m.name),
    ),
    guard: { ...GUARD_TIMINGS, ...options.guard },
  };
  const served = await serveGuard(RUNTIME, config, world.dir, { ...world.env, ...options.env });
  return {
    url: served.url,
    process: served.process,
    status: async () => (await fetch(`${served.url}/_guard/status`)).json() as never,
    stop: async () => expect(await served.stop()).toBe(0),
  };
}

/** A lab of mirrors on 127.0.0.1 (go cannot use the lab's DNS), the first ones misbehaving. */
function labOf(...modes: [string, MirrorMode][]) {
  return startLab({
    summary: 'guard proxy test',
    addressUrls: true,
    mirrors: modes.map(([name, mode]) => ({ name, mode })),
  });
}

const mirrorUrl = (lab: RunningLab, name: string) => lab.mirrors.find((m) => m.name === name)?.url as string;

describe('the guard proxy with the real go command, one fault per request', () => {
  let world: World;
  const labs: RunningLab[] = [];
  const guards: Guard[] = [];
  beforeAll(async () => {
    const lab = await labOf(['healthy', { kind: 'ok' }]);
    labs.push(lab);
    world = await goWorld(lab, RUNTIME);
  });
  afterAll(async () => {
    for (const guard of guards) guard.process.kill('SIGKILL');
    await Promise.all(labs.map((lab) => lab.stop()));
    await world.cleanup();
  });

  async function downloadThrough(modes: [string, MirrorMode][], modules = [both]) {
    const lab = await labOf(...modes);
    labs.push(lab);
    const guard = await startGuard(lab, world);
    guards.push(guard);
    const download = await world.go(
      ['mod', 'download', '-json', ...modules],
      { GOPROXY: `${guard.url}|off`, GOMODCACHE: join(world.dir, `modcache-${labs.length}`) },
      GO_TIMEOUT,
    );
    const status = await guard.status();
    await guard.stop();
    return { download, status };
  }

  it.each<[string, MirrorMode]>([
    ['a mirror that accepts and never answers', { kind: 'hang' }],
    ['a mirror that sends headers and half the body, then nothing', { kind: 'hang-mid-body' }],
    ['a 502 storm', { kind: 'status', status: 502 }],
    ["a captive portal's page", { kind: 'captive' }],
  ])('go succeeds through the guard when the first mirror is %s', async (_, mode) => {
    const { download, status } = await downloadThrough([
      ['faulty', mode],
      ['healthy', { kind: 'ok' }],
    ]);
    expect(download.exitCode, `${download.stdout}${download.stderr}`).toBe(0);
    expect(JSON.parse(download.stdout)).toMatchObject({ Path: LAB_CANARY.module, Version: 'v1.1.0' });
    expect((status.counters.failovers ?? 0) + (status.counters.hedgesFired ?? 0)).toBeGreaterThan(0);
  });

  it("go's parallel fetches of several versions succeed while the first mirror begins to hang halfway", async () => {
    const { download, status } = await downloadThrough(
      [
        ['flaky', { kind: 'hang-after', requests: 3 }],
        ['healthy', { kind: 'ok' }],
      ],
      [`${LAB_CANARY.module}@v1.0.0`, both],
    );
    expect(download.exitCode, `${download.stdout}${download.stderr}`).toBe(0);
    const versions = download.stdout
      .split(/\n(?=\{)/)
      .map((doc) => JSON.parse(doc).Version)
      .sort();
    expect(versions).toEqual(['v1.0.0', 'v1.1.0']);
    expect(status.counters.requests).toBeGreaterThanOrEqual(6);
  });

  it('go falls through "|" at once when every mirror of the guard is down', async () => {
    const lab = await labOf(['bad-gateway', { kind: 'status', status: 502 }], ['healthy', { kind: 'ok' }]);
    labs.push(lab);
    const guard = await startGuard(lab, world, { mirrors: ['bad-gateway'] });
    guards.push(guard);
    const download = await world.go(
      ['mod', 'download', '-json', both],
      {
        GOPROXY: `${guard.url}|${mirrorUrl(lab, 'healthy')}`,
        GOMODCACHE: join(world.dir, 'modcache-down'),
        SSL_CERT_FILE: lab.caFile, // each lab has its own root
      },
      GO_TIMEOUT,
    );
    expect(download.exitCode, `${download.stdout}${download.stderr}`).toBe(0);
    expect((await guard.status()).counters.failed).toBeGreaterThan(0);
    await guard.stop();
  });

  it('kill -9 of the guard during a download leaves go finishing through the "|" tail', async () => {
    const lab = await labOf(['hanging', { kind: 'hang' }], ['healthy', { kind: 'ok' }]);
    labs.push(lab);
    // The guard waits long on its only mirror, so go is surely waiting on the guard when it dies.
    const guard = await startGuard(lab, world, { mirrors: ['hanging'], guard: { firstByteMs: 60_000 } });
    guards.push(guard);
    const download = world.go(
      ['mod', 'download', '-json', both],
      {
        GOPROXY: `${guard.url}|${mirrorUrl(lab, 'healthy')}`,
        GOMODCACHE: join(world.dir, 'modcache-kill'),
        SSL_CERT_FILE: lab.caFile,
      },
      GO_TIMEOUT,
    );
    const hanging = lab.mirrors.find((m) => m.name === 'hanging');
    while ((hanging?.requests.length ?? 0) === 0) await new Promise((r) => setTimeout(r, 50));
    guard.process.kill('SIGKILL');
    const result = await download;
    expect(result.exitCode, `${result.stdout}${result.stderr}`).toBe(0);
  });
});

describe.each<['mod' | 'zip']>([['mod'], ['zip']])(
  'the guard proxy checks the .%s against the checksum database',
  (only) => {
    let lab: RunningLab;
    let world: World;
    beforeAll(async () => {
      lab = await labOf(['tampered', { kind: 'tampered', only }], ['honest', { kind: 'ok' }]);
      world = await goWorld(lab, RUNTIME);
    });
    afterAll(async () => {
      await lab.stop();
      await world.cleanup();
    });
    // go checks the lab's modules against the lab's database, asked through the GOPROXY entry.
    const checked = () => ({ GONOSUMDB: '', GOSUMDB: lab.sumdb.verifierKey });

    it('go gets the honest bytes through the guard where go straight to the mirror stops with a SECURITY ERROR', async () => {
      const straight = await world.go(
        ['mod', 'download', '-json', both],
        { ...checked(), GOPROXY: mirrorUrl(lab, 'tampered'), GOMODCACHE: join(world.dir, 'straight') },
        GO_TIMEOUT,
      );
      expect(straight.exitCode).not.toBe(0);
      expect(`${straight.stdout}${straight.stderr}`).toMatch(/SECURITY ERROR|checksum mismatch/);

      const guard = await startGuard(lab, world, { env: checked() });
      try {
        const download = await world.go(
          ['mod', 'download', '-json', both],
          { ...checked(), GOPROXY: `${guard.url}|off`, GOMODCACHE: join(world.dir, 'guarded') },
          GO_TIMEOUT,
        );
        expect(download.exitCode, `${download.stdout}${download.stderr}`).toBe(0);
        expect(JSON.parse(download.stdout).Sum).toBe(lab.sumdb.records[1]?.split(' ')[2]?.split('\n')[0]);
        const status = await guard.status();
        expect(status.counters.tamperedRefused).toBeGreaterThanOrEqual(1);
        expect(status.mirrors.find((m) => m.name === 'tampered')?.breaker).toBe('open');
        // go asked for the .info first: the go.mod came through the fetch ahead of go, checked as well.
        expect(status.counters.prefetched).toBeGreaterThanOrEqual(1);
      } finally {
        await guard.stop();
      }
    });
  },
);

describe('the guard proxy itself', () => {
  let lab: RunningLab;
  let world: World;
  beforeAll(async () => {
    lab = await labOf(['healthy', { kind: 'ok' }]);
    world = await goWorld(lab, RUNTIME);
  });
  afterAll(async () => {
    await lab.stop();
    await world.cleanup();
  });

  it('never asks a mirror for a private module (GOPRIVATE), and answers 404', async () => {
    const guard = await startGuard(lab, world, { env: { GOPRIVATE: 'lab.test/*' } });
    try {
      const response = await fetch(`${guard.url}/lab.test/canary/@v/list`);
      expect(response.status).toBe(404);
      expect(await response.text()).toMatch(/private/);
      expect(lab.mirrors[0]?.requests.filter((p) => p.startsWith('/lab.test/'))).toEqual([]);
      expect((await fetch(`${guard.url}/lab.test/public/@v/list`)).status).toBe(404);
    } finally {
      await guard.stop();
    }
  });

  it('refuses a request whose Host is not its own address (DNS rebinding), and paths go never asks', async () => {
    const guard = await startGuard(lab, world);
    try {
      const port = new URL(guard.url).port;
      const rebound = await rawGet(Number(port), '/lab.test/canary/@v/list', `attacker.example:${port}`);
      expect(rebound.status).toBe(403);
      expect((await fetch(`${guard.url}/lab.test/Canary/@v/list`)).status).toBe(404);
      expect((await fetch(`${guard.url}/lab.test/canary/@v/list`, { method: 'POST' })).status).toBe(405);
      const list = await fetch(`${guard.url}/lab.test/canary/@v/list`);
      expect(await list.text()).toBe('v1.0.0\nv1.1.0\n');
      const head = await fetch(`${guard.url}/lab.test/canary/@v/v1.1.0.zip`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(Number(head.headers.get('content-length'))).toBeGreaterThan(0);
      const status = await guard.status();
      expect(status.mirrors.map((m) => m.name)).toEqual(['healthy']);
      expect(status.counters.requests).toBeGreaterThanOrEqual(5);
      const supported = await fetch(`${guard.url}/sumdb/${LAB_SUMDB}/supported`);
      expect(supported.status).toBe(200);
    } finally {
      await guard.stop();
    }
  });

  it('serves a version list it has seen, flagged stale, only when every mirror fails', async () => {
    const guard = await startGuard(lab, world, { guard: { listFreshMs: 0 } });
    const healthy = lab.mirrors[0];
    try {
      const path = `${guard.url}/lab.test/canary/@v/list`;
      expect(await (await fetch(path)).text()).toBe('v1.0.0\nv1.1.0\n');
      healthy?.setMode({ kind: 'status', status: 502 });
      const stale = await fetch(path);
      expect(stale.status).toBe(200);
      expect(await stale.text()).toBe('v1.0.0\nv1.1.0\n');
      expect((await guard.status()).counters.staleServed).toBe(1);
      // never seen: no stale copy to fall back on
      expect((await fetch(`${guard.url}/lab.test/canary/@latest`)).status).toBe(502);
    } finally {
      healthy?.setMode({ kind: 'ok' });
      await guard.stop();
    }
  });

  it('reaches a mirror whose name the system resolver hijacks, through the trusted answer proven by TLS', async () => {
    const hijacked = await startLab({
      summary: 'a mirror whose name the system resolver answers with a bogon',
      mirrors: [{ name: 'hijacked', mode: { kind: 'ok' }, dns: 'bogon' }],
    });
    try {
      const guard = await startGuard(hijacked, world);
      try {
        const download = await world.go(
          ['mod', 'download', '-json', both],
          { GOPROXY: `${guard.url}|off`, GOMODCACHE: join(world.dir, 'modcache-hijacked') },
          GO_TIMEOUT,
        );
        expect(download.exitCode, `${download.stdout}${download.stderr}`).toBe(0);
        expect(hijacked.mirrors[0]?.requests).toContain('/lab.test/canary/@v/v1.1.0.zip');
      } finally {
        await guard.stop();
      }
    } finally {
      await hijacked.stop();
    }
  });

  it('answers 404 only when no mirror has the module, asking the next mirror after a 404', async () => {
    const twoLab = await labOf(['not-found', { kind: 'status', status: 404 }], ['healthy', { kind: 'ok' }]);
    const guard = await startGuard(twoLab, world);
    try {
      const list = await fetch(`${guard.url}/lab.test/canary/@v/list`);
      expect(list.status).toBe(200);
      expect(await list.text()).toBe('v1.0.0\nv1.1.0\n');
      const missing = await fetch(`${guard.url}/lab.test/missing/@v/list`);
      expect(missing.status).toBe(404);
      for (const mirror of twoLab.mirrors) expect(mirror.requests).toContain('/lab.test/missing/@v/list');
    } finally {
      await guard.stop();
      await twoLab.stop();
    }
  });

  it("does not count waiting for a free connection to a mirror against its first-byte deadline (go's bursts)", async () => {
    const slowLab = await labOf(['slow', { kind: 'slow', delayMs: 300 }]);
    const guard = await startGuard(slowLab, world, { guard: { perMirrorConcurrency: 1, firstByteMs: 1000 } });
    try {
      const paths = ['list', 'v1.0.0.info', 'v1.0.0.mod', 'v1.1.0.info', 'v1.1.0.mod'];
      const answers = await Promise.all(paths.map((p) => fetch(`${guard.url}/lab.test/canary/@v/${p}`)));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
      const slow = (await guard.status()).mirrors[0] as unknown as { counts: Record<string, number> };
      expect(slow.counts).toMatchObject({ ok: 5, timeout: 0 });
    } finally {
      await guard.stop();
      await slowLab.stop();
    }
  });

  it('says clearly that the port is in use, with exit code 2', async () => {
    const taken = http.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const result = await world.guard([
        'serve',
        '--config',
        lab.configPath,
        '--listen',
        `127.0.0.1:${port}`,
      ]);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain(`127.0.0.1:${port} is already in use`);
    } finally {
      taken.close();
    }
  });

  it('refuses to listen outside loopback, with exit code 2', async () => {
    const result = await world.guard(['serve', '--config', lab.configPath, '--listen', '0.0.0.0:8080']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('must be a loopback address');
  });
});

/** A GET with a Host header of our choosing (fetch does not allow setting it). */
function rawGet(port: number, path: string, host: string): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path, headers: { host } }, (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0 });
    });
    request.on('error', reject);
  });
}

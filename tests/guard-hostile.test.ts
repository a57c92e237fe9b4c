import { connect, createServer, type Socket } from 'node:net';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parseRequestPath } from '../src/guardproxy/request-path.js';
import type { MirrorMode } from '../src/lab/mirror.js';
import { LAB_CANARY, LAB_SUMDB, labModuleFiles } from '../src/lab/modules.js';
import { type RunningLab, startLab } from '../src/lab/scenarios.js';
import { type ServedGuard, serveGuard } from '../src/lab/serve-guard.js';
import { RUNTIME, tempDir } from './helpers.js';

// The guard (the bundled runtime's `serve`) against a hostile network and hostile requests: each
// case here was a defect found by trying it. Every request is bounded by a kill timeout (an
// AbortSignal); assertions are on what the guard answers and what reached the mirrors, never on time.

const GUARD_TIMINGS = { firstByteMs: 3000, stallMs: 1500, hedgeMinMs: 50, hedgeMaxMs: 400 };
const KILL_MS = 40_000;
vi.setConfig({ testTimeout: 90_000 });

const labs: RunningLab[] = [];
const guards: ServedGuard[] = [];
afterAll(async () => {
  for (const guard of guards) guard.process.kill('SIGKILL');
  await Promise.all(labs.map((lab) => lab.stop()));
});

async function guardOver(
  mirrors: { name: string; mode: MirrorMode; plain?: boolean }[],
  env: Record<string, string> = {},
  timings: object = GUARD_TIMINGS,
) {
  const lab = await startLab({ summary: 'hostile guard test', addressUrls: true, mirrors }, 10_000);
  labs.push(lab);
  const dir = await tempDir();
  const guard = await serveGuard(RUNTIME, { ...lab.config, guard: timings }, dir, {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    GOFLAGS: '',
    GOTOOLCHAIN: 'local',
    ...env,
  });
  guards.push(guard);
  return { lab, guard };
}

const get = (url: string) => fetch(url, { signal: AbortSignal.timeout(KILL_MS) });

/** Sends raw bytes to the guard and reads the answer until the guard closes or the kill bound. */
function raw(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(Number(port), hostname);
    let seen = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(seen);
    }, KILL_MS);
    socket.on('data', (chunk) => {
      seen += chunk.toString('latin1');
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(seen);
    });
    socket.on('error', reject);
    socket.write(request);
  });
}

describe('the guard against a hostile mirror', () => {
  it('abandons a body that drips one byte a second (the only mirror) instead of holding go for minutes', async () => {
    const { guard } = await guardOver([{ name: 'drip', mode: { kind: 'drip' } }]);
    const answer = await get(`${guard.url}/${LAB_CANARY.module}/@v/list`);
    expect(answer.status).toBe(502);
    expect(await answer.text()).toMatch(/drip: .*(stall|slow)/);
  });

  it('never connects where a plain-http mirror redirects to an ftp: URL', async () => {
    let tripped = 0;
    const tripwire = createServer((socket) => {
      tripped++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => tripwire.listen(0, '127.0.0.1', resolve));
    const port = (tripwire.address() as { port: number }).port;
    try {
      const { guard } = await guardOver([
        { name: 'to-ftp', mode: { kind: 'redirect-to', location: `ftp://127.0.0.1:${port}/x` }, plain: true },
        { name: 'to-file', mode: { kind: 'redirect-to', location: 'file:///etc/passwd' }, plain: true },
      ]);
      const answer = await get(`${guard.url}/${LAB_CANARY.module}/@v/list`);
      expect(answer.status).toBe(502);
      expect(await answer.text()).toMatch(
        /ftp: URL refused[\s\S]*file: URL refused|file: URL refused[\s\S]*ftp: URL refused/,
      );
      expect(tripped).toBe(0);
    } finally {
      tripwire.close();
    }
  });
});

describe('the guard under a burst', () => {
  it('makes one upstream fetch for requests of the same zip at once, and gives each the same correct bytes', async () => {
    // A slow mirror keeps the first fetch under way while the others arrive.
    const { lab, guard } = await guardOver(
      [{ name: 'slow', mode: { kind: 'slow', delayMs: 2500 } }],
      {},
      {
        ...GUARD_TIMINGS,
        firstByteMs: 20_000,
      },
    );
    const zip = `/${LAB_CANARY.module}/@v/${LAB_CANARY.version}.zip`;
    const bodies = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const answer = await get(`${guard.url}${zip}`);
        expect(answer.status).toBe(200);
        return Buffer.from(await answer.arrayBuffer());
      }),
    );
    const expected = Buffer.from(labModuleFiles().get(zip) as string | Buffer);
    for (const body of bodies) expect(body.equals(expected)).toBe(true);
    expect(lab.mirrors.find((m) => m.name === 'slow')?.requests.filter((p) => p === zip)).toHaveLength(1);
  });
});

describe('the guard against hostile requests', () => {
  it('answers 404 to a request target that is not a path, and asks no mirror', async () => {
    const { lab, guard } = await guardOver([{ name: 'healthy', mode: { kind: 'ok' } }]);
    const host = new URL(guard.url).host;
    const asked = () => lab.mirrors.flatMap((m) => m.requests).length;
    const before = asked();
    for (const target of [
      `x${LAB_CANARY.module}/@v/list`,
      `http://evil.example/${LAB_CANARY.module}/@v/list`,
    ]) {
      const answer = await raw(
        guard.url,
        `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      );
      expect(answer, target).toMatch(/^HTTP\/1\.1 (404|400)/);
    }
    expect(asked()).toBe(before);
  });

  it('never sends a private module path to a mirror through a checksum database lookup, escaped dots included', async () => {
    const { lab, guard } = await guardOver([{ name: 'healthy', mode: { kind: 'ok' } }], {
      GOPRIVATE: 'private.lab.test',
    });
    const host = new URL(guard.url).host;
    for (const path of [
      `/sumdb/${LAB_SUMDB}/lookup/private.lab.test/secret@v1.0.0`,
      `/sumdb/${LAB_SUMDB}/lookup/%2e%2e/lookup/private.lab.test/secret@v1.0.0`,
      `/sumdb/${LAB_SUMDB}/lookup/%2E%2E/%2e%2e/%2e%2e/private.lab.test/secret/@v/list@v1`,
      `/sumdb/${LAB_SUMDB}/lookup/x.test%2f..%2f..%2fprivate.lab.test/secret@v1.0.0`,
      `/private.lab.test/secret/@v/list`,
    ]) {
      // Sent as bytes: fetch() would resolve the escaped dots before the guard saw them.
      const answer = await raw(
        guard.url,
        `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      );
      expect(answer, path).toMatch(/^HTTP\/1\.1 404/);
    }
    const seen = lab.mirrors.filter((m) => m.name !== 'database').flatMap((m) => m.requests);
    expect(seen.filter((p) => p.includes('private'))).toEqual([]);
  });
});

describe('checksum database lookups, read as go writes them (pure)', () => {
  const parse = (path: string) => parseRequestPath(path, LAB_SUMDB);
  it.each([
    '/lookup/%2e%2e/lookup/private.lab.test/secret@v1.0.0',
    '/lookup/%2E%2E/%2e%2e/x.test/m@v1',
    '/lookup/x.test%2f..%2fy.test/m@v1.0.0',
    '/lookup/x.test/m@v1.0.0%2f..',
    '/lookup/x.test/M@v1.0.0',
    '/lookup/x.test/m\\..\\..\\y@v1.0.0',
  ])('refuses %s before any upstream sees it', (lookup) => {
    expect(parse(`/sumdb/${LAB_SUMDB}${lookup}`).kind).toBe('not-found');
  });
  it('still reads a lookup go sends, upper case escaped', () => {
    expect(parse(`/sumdb/${LAB_SUMDB}/lookup/github.com/!azure/go@v1.0.0-!r!c1`)).toMatchObject({
      kind: 'sumdb',
      immutable: true,
    });
  });
});

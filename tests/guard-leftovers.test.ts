import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig, validate } from '../src/config/load.js';
import { createIntegrityGate } from '../src/guardproxy/integrity-gate.js';
import { modulePrivacy } from '../src/guardproxy/module-privacy.js';
import { MAX_GO_CONNECTIONS, type RunningGuard } from '../src/guardproxy/server.js';
import { startGuard, treeHeadFile } from '../src/guardproxy/start.js';
import { loadTreeHead } from '../src/guardproxy/tree-head-file.js';
import { parseVerifierKey } from '../src/integrity/verifier-key.js';
import { goWorld } from '../src/lab/go-world.js';
import { LAB_CANARY, LAB_GO_MOD } from '../src/lab/modules.js';
import { type RunningLab, startLab } from '../src/lab/scenarios.js';
import { RUNTIME } from './helpers.js';

// What the guard proxy left undone (issue #17): HEAD without a body, a shared fetch cancelled
// when nobody waits for it, a cap on go's connections, the latest tree head kept across a
// restart. The guard runs in this process against a plain-http mirror of the test's own that
// logs every request it gets (method and path) and can hold a request unanswered.
vi.setConfig({ testTimeout: 60_000 });

type World = Awaited<ReturnType<typeof goWorld>>;
const ZIP = Buffer.concat([Buffer.from('PK\x03\x04'), randomBytes(2000)]);
const INFO = JSON.stringify({ Version: 'v1.0.0', Time: '2026-01-01T00:00:00Z' });
const HELD_MOD = 'module lab.test/held\n';
const PRE_MOD = 'module lab.test/pre\n';

interface LoggingMirror {
  url: string;
  log: string[];
  /** Requests held unanswered (paths under /lab.test/held/), with whether go's side hung up. */
  held: { path: string; response: http.ServerResponse; closed: boolean }[];
  close(): Promise<void>;
}

async function loggingMirror(): Promise<LoggingMirror> {
  const log: string[] = [];
  const held: LoggingMirror['held'] = [];
  const server = http.createServer((request, response) => {
    const path = request.url ?? '/';
    log.push(`${request.method} ${path}`);
    // Under /lab.test/slow-mod/ only the go.mod is held: the mirror answers the rest at once.
    if (
      path.startsWith('/lab.test/held/') ||
      (path.startsWith('/lab.test/slow-mod/') && path.endsWith('.mod'))
    ) {
      const entry = { path, response, closed: false };
      response.once('close', () => {
        entry.closed = true;
      });
      held.push(entry);
      return;
    }
    // A version list that grows by one version each time it is asked for.
    if (path === '/lab.test/growing/@v/list')
      return void response
        .writeHead(200, { 'content-type': 'text/plain' })
        .end(`v1.0.${log.filter((line) => line.endsWith(path)).length}\n`);
    if (path.endsWith('.zip'))
      return void response
        .writeHead(200, { 'content-type': 'application/zip', 'content-length': ZIP.length })
        .end(ZIP);
    if (path.endsWith('.info'))
      return void response.writeHead(200, { 'content-type': 'application/json' }).end(INFO);
    if (path.startsWith('/lab.test/pre/') && path.endsWith('.mod'))
      return void response.writeHead(200, { 'content-type': 'text/plain' }).end(PRE_MOD);
    response.writeHead(404).end('not found\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    log,
    held,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

let lab: RunningLab;
let w: World;
let mirror: LoggingMirror;
let guard: RunningGuard;

beforeAll(async () => {
  lab = await startLab(
    { summary: 'the lab database', addressUrls: true, mirrors: [{ name: 'lab', mode: { kind: 'ok' } }] },
    5000,
  );
  w = await goWorld(lab, RUNTIME);
  mirror = await loggingMirror();
  const configPath = join(w.dir, 'logging-mirror.json');
  await writeFile(
    configPath,
    JSON.stringify({
      ...lab.config,
      mirrors: [{ name: 'logging', url: mirror.url, allowInsecure: true }],
      // Generous: nothing here may end by a deadline; what ends a request is the test.
      guard: { firstByteMs: 60_000, stallMs: 60_000, hedgeMinMs: 30_000, hedgeMaxMs: 30_000 },
    }),
  );
  const env = { ...w.env, GOPROXYGUARD_HOME: await mkdtemp(join(w.dir, 'guard-')) };
  guard = await startGuard(await loadConfig(configPath, env), env, { host: '127.0.0.1', port: 0 }, () => {});
});
afterAll(async () => {
  await guard?.close();
  await mirror?.close();
  await lab?.stop();
  await w?.cleanup();
});

/** One request to the guard as go sends it, on a connection of its own; `signal` hangs up. */
function ask(
  method: 'GET' | 'HEAD',
  path: string,
  signal?: AbortSignal,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port: guard.port, path, method, agent: false, signal },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    request.on('error', reject);
    request.end();
  });
}

describe('the guard proxy: leftovers of issue #17', () => {
  it('answers HEAD on a cache miss from a HEAD to the mirror: no body fetched, nothing cached', async () => {
    const path = '/lab.test/head/@v/v1.0.0.zip';
    const entries = guard.status().cache.entries;
    const answer = await ask('HEAD', path);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-length']).toBe(String(ZIP.length));
    expect(answer.headers['content-type']).toBe('application/zip');
    expect(mirror.log.filter((line) => line.endsWith(path))).toEqual([`HEAD ${path}`]);
    expect(guard.status().cache.entries).toBe(entries);
    // A GET afterwards is a miss like any other, and gets the whole body.
    const got = await ask('GET', path);
    expect(got.body.equals(ZIP)).toBe(true);
    expect(mirror.log.filter((line) => line.endsWith(path))).toEqual([`HEAD ${path}`, `GET ${path}`]);
  });

  it('keeps a shared fetch while one go client still waits, and cancels it when every one has hung up', async () => {
    // Two clients for one answer: one upstream request, the second joins it. (A .mod: an .info
    // would also start a fetch of its go.mod ahead of go.)
    const one = new AbortController();
    const two = new AbortController();
    const first = ask('GET', '/lab.test/held/@v/v1.0.0.mod', one.signal).catch(() => undefined);
    await vi.waitFor(() => expect(mirror.held).toHaveLength(1));
    const joined = guard.status().counters.joined;
    const second = ask('GET', '/lab.test/held/@v/v1.0.0.mod', two.signal);
    await vi.waitFor(() => expect(guard.status().counters.joined).toBe(joined + 1));
    // The first hangs up: the second still waits, so the mirror's request is kept and answered.
    one.abort();
    await first;
    (mirror.held[0] as LoggingMirror['held'][number]).response
      .writeHead(200, { 'content-type': 'text/plain' })
      .end(HELD_MOD);
    expect((await second).body.toString()).toBe(HELD_MOD);
    expect(mirror.held).toHaveLength(1);

    // Now both hang up: the guard cancels its request to the mirror (it would wait 60 s else).
    const three = new AbortController();
    const four = new AbortController();
    const third = ask('GET', '/lab.test/held/@v/v2.0.0.mod', three.signal).catch(() => undefined);
    await vi.waitFor(() => expect(mirror.held).toHaveLength(2));
    const fourth = ask('GET', '/lab.test/held/@v/v2.0.0.mod', four.signal).catch(() => undefined);
    await vi.waitFor(() => expect(guard.status().counters.joined).toBe(joined + 2));
    three.abort();
    four.abort();
    await Promise.all([third, fourth]);
    await vi.waitFor(() => expect(mirror.held[1]?.closed).toBe(true), { timeout: 20_000 });
    // A later request for it starts afresh rather than joining the cancelled fetch.
    const five = new AbortController();
    const fifth = ask('GET', '/lab.test/held/@v/v2.0.0.mod', five.signal).catch(() => undefined);
    await vi.waitFor(() => expect(mirror.held).toHaveLength(3));
    five.abort();
    await fifth;
  });

  it("fetches a version's go.mod as go asks for its .info, and answers go's request for it from memory", async () => {
    const info = '/lab.test/pre/@v/v1.0.0.info';
    const mod = '/lab.test/pre/@v/v1.0.0.mod';
    const before = guard.status().counters;
    expect((await ask('GET', info)).body.toString()).toBe(INFO);
    await vi.waitFor(() => expect(mirror.log).toContain(`GET ${mod}`));
    await vi.waitFor(() => expect(guard.status().cache.heldInMemory.answers).toBeGreaterThan(0));
    const answer = await ask('GET', mod);
    expect(answer.status).toBe(200);
    expect(answer.body.toString()).toBe(PRE_MOD);
    expect(mirror.log.filter((line) => line.endsWith(mod))).toEqual([`GET ${mod}`]);
    const after = guard.status().counters;
    expect(after.prefetched).toBe(before.prefetched + 1);
    expect(after.cacheHits).toBe(before.cacheHits + 1);
    // Written to the cache once go is quiet, and still answered without the mirror.
    await vi.waitFor(() => expect(guard.status().cache.heldInMemory.answers).toBe(0));
    expect((await ask('GET', mod)).body.toString()).toBe(PRE_MOD);
    expect(mirror.log.filter((line) => line.endsWith(mod))).toHaveLength(1);
  });

  it("cancels the go.mod fetched ahead when go hangs up on its .info, unless go's own request for it waits", async () => {
    const heldFor = (path: string) => mirror.held.find((entry) => entry.path === path);
    // go gives up on an .info (Ctrl-C, or a go command cancelled): the go.mod fetched beside it
    // is wanted by nobody, and must not keep a mirror's slot for the whole deadline (60 s here).
    const gone = new AbortController();
    const info = ask('GET', '/lab.test/held/@v/v7.0.0.info', gone.signal).catch(() => undefined);
    await vi.waitFor(() => expect(heldFor('/lab.test/held/@v/v7.0.0.mod')).toBeDefined());
    gone.abort();
    await info;
    await vi.waitFor(() => expect(heldFor('/lab.test/held/@v/v7.0.0.info')?.closed).toBe(true), {
      timeout: 20_000,
    });
    await vi.waitFor(() => expect(heldFor('/lab.test/held/@v/v7.0.0.mod')?.closed).toBe(true), {
      timeout: 20_000,
    });

    // go asked for the go.mod too (it joined the fetch ahead): that fetch goes on for it.
    const infoGone = new AbortController();
    const info4 = ask('GET', '/lab.test/held/@v/v8.0.0.info', infoGone.signal).catch(() => undefined);
    await vi.waitFor(() => expect(heldFor('/lab.test/held/@v/v8.0.0.mod')).toBeDefined());
    const joined = guard.status().counters.joined;
    const mod = ask('GET', '/lab.test/held/@v/v8.0.0.mod');
    await vi.waitFor(() => expect(guard.status().counters.joined).toBe(joined + 1));
    infoGone.abort();
    await info4;
    await vi.waitFor(() => expect(heldFor('/lab.test/held/@v/v8.0.0.info')?.closed).toBe(true), {
      timeout: 20_000,
    });
    heldFor('/lab.test/held/@v/v8.0.0.mod')
      ?.response.writeHead(200, { 'content-type': 'text/plain' })
      .end(HELD_MOD);
    expect((await mod).body.toString()).toBe(HELD_MOD);
  });

  it('fetches no go.mod ahead for a HEAD, for a version query (not a canonical version), or one already held', async () => {
    const before = guard.status().counters.prefetched;
    await ask('HEAD', '/lab.test/pre/@v/v2.0.0.info');
    await ask('GET', '/lab.test/pre/@v/master.info');
    expect(guard.status().counters.prefetched).toBe(before);
    await ask('GET', '/lab.test/pre/@v/v3.0.0.info');
    await vi.waitFor(() => expect(mirror.log).toContain('GET /lab.test/pre/@v/v3.0.0.mod'));
    await ask('GET', '/lab.test/pre/@v/v3.0.0.info'); // its go.mod is held already
    expect(guard.status().counters.prefetched).toBe(before + 1);
    expect(mirror.log.filter((line) => /pre\/@v\/(v2\.0\.0|master)\.mod/.test(line))).toEqual([]);
    expect(mirror.log.filter((line) => line.endsWith('v3.0.0.mod'))).toHaveLength(1);
  });

  it(`takes at most ${MAX_GO_CONNECTIONS} connections from go at once, and the next one again when one ends`, async () => {
    const sockets: net.Socket[] = [];
    /** A keep-alive connection that has had its answer (so the guard surely counts it). */
    const open = () =>
      new Promise<{ socket: net.Socket; answered: boolean }>((resolve) => {
        const socket = net.connect(guard.port, '127.0.0.1');
        sockets.push(socket);
        let seen = '';
        socket.on('data', (chunk: Buffer) => {
          seen += chunk.toString();
          if (seen.includes('\r\n\r\n')) resolve({ socket, answered: true });
        });
        socket.on('close', () => resolve({ socket, answered: false }));
        socket.on('error', () => {});
        socket.write(`HEAD /_guard/status HTTP/1.1\r\nhost: 127.0.0.1:${guard.port}\r\n\r\n`);
      });
    try {
      for (let i = 0; i < MAX_GO_CONNECTIONS; i++) expect((await open()).answered).toBe(true);
      expect((await open()).answered).toBe(false);
      (sockets[0] as net.Socket).destroy();
      await vi.waitFor(async () => expect((await open()).answered).toBe(true));
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });
});

describe('the go.mod fetched ahead, with one request to the mirror at a time', () => {
  it('fetches no go.mod ahead for a module kept from mirrors (GONOPROXY), and one for a public module', async () => {
    const env = {
      ...w.env,
      GONOPROXY: 'lab.test/secret',
      GOPROXYGUARD_HOME: await mkdtemp(join(w.dir, 'guard-')),
    };
    const config = await loadConfig(join(w.dir, 'logging-mirror.json'), env);
    const kept = await startGuard(config, env, { host: '127.0.0.1', port: 0 }, () => {});
    try {
      expect((await fetch(`${kept.url}/lab.test/secret/@v/v1.0.0.info`)).status).toBe(404);
      // A public module's .info, after it: its go.mod is fetched ahead, the private one's never was.
      expect(await (await fetch(`${kept.url}/lab.test/pre/@v/v9.0.0.info`)).text()).toBe(INFO);
      await vi.waitFor(() => expect(mirror.log).toContain('GET /lab.test/pre/@v/v9.0.0.mod'));
      expect(kept.status().counters).toMatchObject({ privateRefused: 1, prefetched: 1 });
      expect(mirror.log.filter((line) => line.includes('secret'))).toEqual([]);
    } finally {
      await kept.close();
    }
  });

  it('serves a list held in memory only while it is fresh (guard.listFreshMs), else asks the mirror again', async () => {
    const list = '/lab.test/growing/@v/list';
    const asked = () => mirror.log.filter((line) => line.endsWith(list)).length;
    const base = JSON.parse(await readFile(join(w.dir, 'logging-mirror.json'), 'utf8'));
    for (const [listFreshMs, second] of [
      [60_000, 'first'],
      [0, 'asked again'],
    ] as const) {
      const home = await mkdtemp(join(w.dir, 'guard-'));
      const env = { ...w.env, GOPROXYGUARD_HOME: home };
      const path = join(home, 'config.json');
      await writeFile(path, JSON.stringify({ ...base, guard: { ...base.guard, listFreshMs } }));
      // Never quiet long enough to write: every answer stays held in memory.
      const held = await startGuard(
        await loadConfig(path, env),
        env,
        { host: '127.0.0.1', port: 0 },
        () => {},
        {
          writeWhenQuietMs: 600_000,
        },
      );
      try {
        const before = asked();
        const one = await (await fetch(`${held.url}${list}`)).text();
        expect(held.status().cache.heldInMemory.answers).toBe(1);
        const two = await (await fetch(`${held.url}${list}`)).text();
        if (second === 'first') {
          expect(two).toBe(one);
          expect(asked()).toBe(before + 1);
        } else {
          expect(two).not.toBe(one);
          expect(asked()).toBe(before + 2);
          expect(held.status().counters.staleServed).toBe(0);
        }
      } finally {
        await held.close();
      }
    }
  });

  it('waits behind the .info go asked for, never takes its place in the queue', async () => {
    const home = await mkdtemp(join(w.dir, 'guard-'));
    const env = { ...w.env, GOPROXYGUARD_HOME: home };
    const path = join(w.dir, 'one-at-a-time.json');
    const base = JSON.parse(await readFile(join(w.dir, 'logging-mirror.json'), 'utf8'));
    await writeFile(path, JSON.stringify({ ...base, guard: { ...base.guard, perMirrorConcurrency: 1 } }));
    const one = await startGuard(await loadConfig(path, env), env, { host: '127.0.0.1', port: 0 }, () => {});
    try {
      // The mirror holds this go.mod unanswered (a mirror that stalls on some paths): go's .info
      // is still answered, since the go.mod fetched ahead of go waits for the slot behind it.
      const info = await fetch(`${one.url}/lab.test/slow-mod/@v/v1.0.0.info`);
      expect(await info.text()).toBe(INFO);
      await vi.waitFor(() => expect(mirror.log).toContain('GET /lab.test/slow-mod/@v/v1.0.0.mod'));
    } finally {
      await one.close();
    }
  });
});

describe('answers held in memory, across a guard restart', () => {
  it('writes what it still holds as it closes, so the next start answers from its cache', async () => {
    const home = await mkdtemp(join(w.dir, 'guard-'));
    const env = { ...w.env, GOPROXYGUARD_HOME: home };
    const config = await loadConfig(join(w.dir, 'logging-mirror.json'), env);
    const listen = { host: '127.0.0.1', port: 0 };
    const path = '/lab.test/restart/@v/v1.0.0.info';
    const asked = () => mirror.log.filter((line) => line.endsWith(path)).length;
    // Never quiet enough to write on its own: only closing writes.
    const first = await startGuard(config, env, listen, () => {}, { writeWhenQuietMs: 600_000 });
    try {
      expect((await fetch(`${first.url}${path}`)).status).toBe(200);
      expect(first.status().cache).toMatchObject({ entries: 0, heldInMemory: { answers: 1 } });
    } finally {
      await first.close();
    }
    expect(asked()).toBe(1);
    const second = await startGuard(config, env, listen, () => {});
    try {
      expect(second.status().cache.entries).toBe(1);
      expect(await (await fetch(`${second.url}${path}`)).text()).toBe(INFO);
      expect(asked()).toBe(1);
    } finally {
      await second.close();
    }
  });
});

describe('the latest checksum database tree head, across a guard restart', () => {
  it('is kept in the state folder as the signed note, and read back only when the key verifies it', async () => {
    // A guard that checks the lab's modules against the lab's database.
    const home = await mkdtemp(join(w.dir, 'guard-'));
    const env = { ...w.env, GONOSUMDB: '', GOSUMDB: lab.sumdb.verifierKey, GOPROXYGUARD_HOME: home };
    const checking = await startGuard(
      await loadConfig(lab.configPath, env),
      env,
      { host: '127.0.0.1', port: 0 },
      () => {},
    );
    try {
      const mod = await fetch(`${checking.url}/${LAB_CANARY.module}/@v/${LAB_CANARY.version}.mod`);
      expect(await mod.text()).toBe(LAB_GO_MOD);
    } finally {
      await checking.close();
    }
    const key = parseVerifierKey(lab.sumdb.verifierKey);
    await vi.waitFor(async () => expect((await loadTreeHead(treeHeadFile(env), key))?.size).toBe(2));
    // Another database's key does not verify it: no head is taken from the file.
    const other = await startLab('integrity');
    try {
      expect(
        await loadTreeHead(treeHeadFile(env), parseVerifierKey(other.sumdb.verifierKey)),
      ).toBeUndefined();
    } finally {
      await other.stop();
    }
    await writeFile(treeHeadFile(env), 'go.sum database tree\n2\nAAAA\n');
    expect(await loadTreeHead(treeHeadFile(env), key)).toBeUndefined();
  });

  it('holds a restarted gate to the history it saw before: a database that forks from it is caught', async () => {
    const { config, extraCas } = await validate(lab.config);
    const privacy = modulePrivacy({ goprivate: '', gonoproxy: '' });
    const dir = await mkdtemp(join(w.dir, 'files-'));
    const file = join(dir, 'go.mod');
    await writeFile(file, LAB_GO_MOD);
    const target = { module: LAB_CANARY.module, version: LAB_CANARY.version, kind: 'mod' as const, file };
    // What the gate kept before the restart: a tree of the same size with another root.
    const knownHead = { size: 2, hash: randomBytes(32) };
    const gate = createIntegrityGate({ config, extraCas, privacy, knownHead });
    try {
      expect(gate.usage().treeSize).toBe(2);
      const result = await gate.check(target, new AbortController().signal);
      expect(result).toMatchObject({ outcome: 'unchecked', reason: expect.stringContaining('FORK') });
    } finally {
      gate.close();
    }
  });
});

import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { getEventListeners } from 'node:events';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { validate } from '../src/config/load.js';
import type { IntegrityResult } from '../src/guardproxy/contracts.js';
import { createIntegrityGate, type RunningIntegrityGate } from '../src/guardproxy/integrity-gate.js';
import { modulePrivacy } from '../src/guardproxy/module-privacy.js';
import { h1FromFileHashes, hashGoMod, hashZip } from '../src/integrity/h1.js';
import { leafHash, nodeHash, treeHashes } from '../src/integrity/tlog.js';
import { keyHash } from '../src/integrity/verifier-key.js';
import type { LabProxy } from '../src/lab/connect-proxy.js';
import {
  LAB_CANARY,
  LAB_GO_MOD,
  labModuleFileList,
  labModuleZip,
  labTamperedZip,
} from '../src/lab/modules.js';
import { type RunningLab, startLab } from '../src/lab/scenarios.js';
import type { LabDatabase } from '../src/lab/sumdb-server.js';
import { routeFromEnv } from '../src/probe/route.js';
import { tempDir } from './helpers.js';

const dir = await tempDir();
const { module, version } = LAB_CANARY;
const TAMPERED_MOD = `${LAB_GO_MOD}require evil.example/backdoor v1.0.0\n`;
const RECORDED_ZIP = h1FromFileHashes(
  labModuleFileList(version).map((f) => ({
    name: f.name,
    sha256Hex: createHash('sha256').update(f.content).digest('hex'),
  })),
);

const files = {
  mod: join(dir, 'honest.mod'),
  zip: join(dir, 'honest.zip'),
  tamperedMod: join(dir, 'tampered.mod'),
  tamperedZip: join(dir, 'tampered.zip'),
  notZip: join(dir, 'portal.zip'),
  oldZip: join(dir, 'v1.0.0.zip'),
};

let lab: RunningLab;
beforeAll(async () => {
  lab = await startLab('integrity');
  await writeFile(files.mod, LAB_GO_MOD);
  await writeFile(files.zip, labModuleZip(version));
  await writeFile(files.tamperedMod, TAMPERED_MOD);
  await writeFile(files.tamperedZip, labTamperedZip());
  await writeFile(files.notZip, '<html><body>Sign in to Guest WiFi</body></html>');
  await writeFile(files.oldZip, labModuleZip('v1.0.0'));
});
afterAll(() => lab.stop());

const gates: RunningIntegrityGate[] = [];
afterEach(() => {
  for (const gate of gates.splice(0)) gate.close();
  lab.sumdb.setMode('healthy');
});

/** A gate over the lab's config with some of it changed, closed after the test. */
async function gateFor(
  changes: {
    sumdbUrl?: string;
    mirrors?: { name: string; url: string }[];
    goprivate?: string;
    gonoproxy?: string;
    withoutKey?: boolean;
  } = {},
  attemptMs?: number,
): Promise<RunningIntegrityGate> {
  const { config, extraCas } = await validate(lab.config);
  // Plain-http stand-ins are set after validation (the schema wants https for the database).
  if (changes.sumdbUrl) config.sumdb.url = changes.sumdbUrl;
  if (changes.mirrors) config.mirrors = changes.mirrors;
  if (changes.withoutKey) config.sumdb.key = undefined;
  const privacy = modulePrivacy({ goprivate: changes.goprivate ?? '', gonoproxy: changes.gonoproxy ?? '' });
  const gate = createIntegrityGate({ config, extraCas, privacy, ...(attemptMs ? { attemptMs } : {}) });
  gates.push(gate);
  return gate;
}

const check = (gate: RunningIntegrityGate, kind: 'mod' | 'zip', file: string, v: string = version) =>
  gate.check({ module, version: v, kind, file }, new AbortController().signal);

/**
 * The lab's checksum database behind a plain-http server that counts what it is asked; `forge`
 * may answer a path itself (a lying database), and `silent` makes it accept and never answer.
 */
async function countingDatabase(
  database: LabDatabase,
  forge?: (path: string) => string | undefined,
): Promise<{ url: string; paths: string[]; close(): Promise<void> }> {
  const paths: string[] = [];
  const server = http.createServer((request, response) => {
    const path = request.url ?? '/';
    paths.push(path);
    const forged = forge?.(path);
    const answer = forged !== undefined ? { status: 200, body: forged } : database.answer(path);
    response.writeHead(answer?.status ?? 404).end(answer?.body ?? 'not found\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    paths,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A loopback port that accepts connections and counts them, and never answers. */
async function countingPort(): Promise<{ url: string; connections: () => number; close(): Promise<void> }> {
  let count = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    count++;
    sockets.add(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => count,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('the integrity gate', () => {
  it("verifies an honest .mod and .zip against the database's proven record", async () => {
    const gate = await gateFor();
    expect(await check(gate, 'mod', files.mod)).toEqual({ outcome: 'verified', h1: hashGoMod(LAB_GO_MOD) });
    expect(await check(gate, 'zip', files.zip)).toEqual({ outcome: 'verified', h1: RECORDED_ZIP });
    expect(gate.usage()).toMatchObject({ records: 1, treeSize: 2 });
  });

  it("says mismatch, with both hashes, for the tampered mirror's .mod and .zip", async () => {
    const gate = await gateFor();
    expect(await check(gate, 'mod', files.tamperedMod)).toEqual({
      outcome: 'mismatch',
      h1: hashGoMod(TAMPERED_MOD),
      expected: hashGoMod(LAB_GO_MOD),
    });
    const zip = await check(gate, 'zip', files.tamperedZip);
    expect(zip).toEqual({ outcome: 'mismatch', h1: expect.stringMatching(/^h1:/), expected: RECORDED_ZIP });
    expect((zip as { h1: string }).h1).not.toBe(RECORDED_ZIP);
  });

  it('checks a go.mod held in memory as it checks one on disk: honest verified, tampered a mismatch', async () => {
    const gate = await gateFor();
    const inMemory = (body: string) =>
      gate.check({ module, version, kind: 'mod', body: Buffer.from(body) }, new AbortController().signal);
    expect(await inMemory(LAB_GO_MOD)).toEqual({ outcome: 'verified', h1: hashGoMod(LAB_GO_MOD) });
    expect(await inMemory(TAMPERED_MOD)).toEqual({
      outcome: 'mismatch',
      h1: hashGoMod(TAMPERED_MOD),
      expected: hashGoMod(LAB_GO_MOD),
    });
  });

  it('calls a file that is not a zip at all a mismatch, and a missing file unchecked', async () => {
    const gate = await gateFor();
    expect(await check(gate, 'zip', files.notZip)).toEqual({
      outcome: 'mismatch',
      h1: expect.stringContaining('not a module zip'),
      expected: RECORDED_ZIP,
    });
    expect(await check(gate, 'zip', join(dir, 'missing.zip'))).toEqual({
      outcome: 'unchecked',
      reason: expect.stringContaining(`cannot read ${join(dir, 'missing.zip')}`),
    });
  });

  it("verifies through a mirror's proxy of the database when the database refuses connections", async () => {
    const gate = await gateFor({ sumdbUrl: 'https://127.0.0.1:1' });
    expect(await check(gate, 'zip', files.zip)).toEqual({ outcome: 'verified', h1: RECORDED_ZIP });
    expect(await check(gate, 'mod', files.tamperedMod)).toMatchObject({ outcome: 'mismatch' });
  });

  it('verifies through a mirror when the database hangs, within its deadline, and asks that mirror first after', async () => {
    const silent = await countingPort();
    try {
      const gate = await gateFor({ sumdbUrl: silent.url }, 300);
      expect(await check(gate, 'mod', files.mod)).toEqual({ outcome: 'verified', h1: hashGoMod(LAB_GO_MOD) });
      expect(silent.connections()).toBe(1); // the database was asked first
      // The mirror that answered is asked first from now on: the hanging database costs its deadline once.
      expect(await check(gate, 'zip', files.oldZip, 'v1.0.0')).toMatchObject({ outcome: 'verified' });
      expect(silent.connections()).toBe(1);
    } finally {
      await silent.close();
    }
  });

  it('reaches the database through the proxy go uses (HTTPS_PROXY), which resolves the name itself', async () => {
    const behind = await startLab({
      summary: 'a mirror and the database behind a corporate proxy',
      mirrors: [{ name: 'honest', mode: { kind: 'ok' } }],
      proxies: [{ name: 'corporate', mode: 'ok' }],
    });
    try {
      const proxy = behind.proxies[0] as LabProxy;
      const { config, extraCas } = await validate(behind.config);
      const route = routeFromEnv({ HTTPS_PROXY: proxy.url });
      const gate = createIntegrityGate({ config, extraCas, route, privacy: modulePrivacy({}) });
      gates.push(gate);
      expect(await check(gate, 'zip', files.zip)).toEqual({ outcome: 'verified', h1: RECORDED_ZIP });
      expect(proxy.requests).toEqual([expect.stringMatching(/^CONNECT database\.lab\.test:\d+$/)]);
    } finally {
      await behind.stop();
    }
  });

  it('is unchecked, naming every source, when the database and every mirror are down', async () => {
    const silent = await countingPort();
    try {
      const gate = await gateFor(
        {
          sumdbUrl: 'https://127.0.0.1:1',
          mirrors: [
            { name: 'refusing', url: 'https://127.0.0.1:2' },
            { name: 'hanging', url: silent.url },
          ],
        },
        300,
      );
      const result = await check(gate, 'zip', files.zip);
      expect(result.outcome).toBe('unchecked');
      const reason = (result as { reason: string }).reason;
      expect(reason).toContain('GET https://127.0.0.1:1/lookup/lab.test/canary@v1.1.0');
      expect(reason).toContain('GET https://127.0.0.1:2/sumdb/sum.lab.test/lookup/lab.test/canary@v1.1.0');
      expect(reason).toContain(`GET ${silent.url}/sumdb/sum.lab.test/lookup/lab.test/canary@v1.1.0`);
      expect(reason).toContain('(no answer within 300 ms)');
    } finally {
      await silent.close();
    }
  });

  it('makes no request at all for a private module', async () => {
    const database = await countingDatabase(lab.sumdb);
    const mirror = await countingPort();
    try {
      const gate = await gateFor(
        { sumdbUrl: database.url, mirrors: [{ name: 'm', url: mirror.url }], goprivate: 'lab.test' },
        300,
      );
      expect(await check(gate, 'zip', files.tamperedZip)).toEqual({
        outcome: 'unchecked',
        reason: 'lab.test/canary is private (GONOSUMDB/GOPRIVATE/GOSUMDB=off): not looked up',
      });
      expect(database.paths).toEqual([]);
      expect(mirror.connections()).toBe(0);
      // The same gate setup without GOPRIVATE does ask: the counters count.
      const open = await gateFor({ sumdbUrl: database.url, mirrors: [{ name: 'm', url: mirror.url }] }, 300);
      expect(await check(open, 'zip', files.zip)).toMatchObject({ outcome: 'verified' });
      expect(database.paths[0]).toBe('/lookup/lab.test/canary@v1.1.0');
    } finally {
      await Promise.all([database.close(), mirror.close()]);
    }
  });

  it("sends a private module's path nowhere: the lab mirrors' request logs and the database stay as they were", async () => {
    const database = await countingDatabase(lab.sumdb);
    try {
      // The database refuses nothing here: were the gate to ask, it would get an answer and go on to tiles.
      const gate = await gateFor({ sumdbUrl: database.url, goprivate: '*.test' });
      const before = lab.mirrors.map((m) => m.requests.length);
      for (const [kind, file] of [
        ['mod', files.tamperedMod],
        ['zip', files.tamperedZip],
      ] as const)
        expect(await check(gate, kind, file)).toMatchObject({ outcome: 'unchecked' });
      expect(lab.mirrors.map((m) => m.requests.length)).toEqual(before);
      expect(database.paths).toEqual([]);
    } finally {
      await database.close();
    }
  });

  it('asks only the database itself about a module kept from mirrors (GONOPROXY) but checked', async () => {
    const before = lab.mirrors.map((m) => m.requests.length);
    const down = await gateFor({ sumdbUrl: 'https://127.0.0.1:1', gonoproxy: 'lab.test' });
    const result = await check(down, 'zip', files.zip);
    expect(result.outcome).toBe('unchecked');
    expect((result as { reason: string }).reason).not.toContain('/sumdb/');
    expect(lab.mirrors.map((m) => m.requests.length)).toEqual(before);
    const up = await gateFor({ gonoproxy: 'lab.test' });
    expect(await check(up, 'zip', files.zip)).toEqual({ outcome: 'verified', h1: RECORDED_ZIP });
    expect(lab.mirrors.map((m) => m.requests.length)).toEqual(before);
  });

  it.each([
    ['lab.test/canary', 'v1.1.0?x=1'],
    ['lab.test/canary', 'v1.1.0#x'],
    ['lab.test/../canary', 'v1.1.0'],
    ['lab.test/canary\nx', 'v1.1.0'],
    ['lab.test/canary', '../v1.1.0'],
  ])('asks nothing for %j @ %j, which go never sends', async (badModule, badVersion) => {
    const database = await countingDatabase(lab.sumdb);
    try {
      const gate = await gateFor({ sumdbUrl: database.url, mirrors: [] });
      const result = await gate.check(
        { module: badModule, version: badVersion, kind: 'mod', file: files.mod },
        new AbortController().signal,
      );
      expect(result).toEqual({
        outcome: 'unchecked',
        reason: expect.stringContaining('not a module version go would ask for'),
      });
      expect(database.paths).toEqual([]);
    } finally {
      await database.close();
    }
  });

  it('makes no request without the database key: nothing could be proven', async () => {
    const database = await countingDatabase(lab.sumdb);
    try {
      const gate = await gateFor({ sumdbUrl: database.url, mirrors: [], withoutKey: true });
      expect(await check(gate, 'zip', files.zip)).toEqual({
        outcome: 'unchecked',
        reason: 'no verifier key for sum.lab.test in the config (sumdb.key): no record can be proven',
      });
      expect(database.paths).toEqual([]);
    } finally {
      await database.close();
    }
  });

  it('asks once per module version: the .mod and .zip checks share one lookup, later ones none', async () => {
    const database = await countingDatabase(lab.sumdb);
    try {
      const gate = await gateFor({ sumdbUrl: database.url });
      const results = await Promise.all([check(gate, 'mod', files.mod), check(gate, 'zip', files.zip)]);
      expect(results.map((r) => r.outcome)).toEqual(['verified', 'verified']);
      const lookups = database.paths.filter((p) => p.startsWith('/lookup/'));
      expect(lookups).toEqual(['/lookup/lab.test/canary@v1.1.0']);
      const asked = database.paths.length;
      expect(await check(gate, 'zip', files.tamperedZip)).toMatchObject({ outcome: 'mismatch' });
      expect(database.paths).toHaveLength(asked);
      // Another version of the same tree: its lookup, but no tile again (the tile is held).
      expect(await check(gate, 'zip', files.oldZip, 'v1.0.0')).toMatchObject({ outcome: 'verified' });
      expect(database.paths.slice(asked)).toEqual(['/lookup/lab.test/canary@v1.0.0']);
    } finally {
      await database.close();
    }
  });

  it('takes the database at its word when it has no record, without asking mirrors', async () => {
    const mirror = await countingPort();
    try {
      const gate = await gateFor({ mirrors: [{ name: 'm', url: mirror.url }] }, 300);
      expect(await check(gate, 'zip', files.zip, 'v9.9.9')).toEqual({
        outcome: 'unchecked',
        reason: expect.stringContaining('404 (no record of lab.test/canary@v9.9.9)'),
      });
      expect(mirror.connections()).toBe(0);
    } finally {
      await mirror.close();
    }
  });

  it.each([
    ['wrong-hash', 'is not in the signed tree of 2 records'],
    ['bad-signature', 'no signature by a known key (signed by: sum.lab.test)'],
  ] as const)('never verifies against a database that lies (%s)', async (mode, evidence) => {
    lab.sumdb.setMode(mode);
    const gate = await gateFor();
    const result = await check(gate, 'mod', files.tamperedMod);
    expect(result.outcome).toBe('unchecked');
    expect((result as { reason: string }).reason).toContain(evidence);
    // Every mirror proxies the same lying database: each was asked, none believed.
    expect((result as { reason: string }).reason.split('; ')).toHaveLength(1 + lab.mirrors.length);
  });

  it('refuses a record placed beyond the signed tree, which would leave the root unchanged', async () => {
    // A lying source: the genuine signed head, and a record for the tampered files "at" leaf 2 of 2.
    const latest = lab.sumdb.answer('/latest')?.body as string;
    const forgedRecord = `${module} ${version} ${h1FromFileHashes([{ name: 'x', sha256Hex: 'y' }])}\n${module} ${version}/go.mod ${hashGoMod(TAMPERED_MOD)}\n`;
    const liar = await countingDatabase(lab.sumdb, (path) =>
      path.startsWith('/lookup/') ? `2\n${forgedRecord}\n${latest}` : undefined,
    );
    try {
      const gate = await gateFor({ sumdbUrl: liar.url });
      const result = await check(gate, 'mod', files.tamperedMod);
      // The honest mirrors' proxies of the database then give the real record.
      expect(result).toEqual({
        outcome: 'mismatch',
        h1: hashGoMod(TAMPERED_MOD),
        expected: hashGoMod(LAB_GO_MOD),
      });
    } finally {
      await liar.close();
    }
  });

  it('reports a fork when the database shows another history than the one verified before', async () => {
    const gate = await gateFor();
    expect(await check(gate, 'mod', files.mod)).toMatchObject({ outcome: 'verified' });
    lab.sumdb.setMode('fork');
    const result = await check(gate, 'zip', files.oldZip, 'v1.0.0');
    expect(result.outcome).toBe('unchecked');
    expect((result as { reason: string }).reason).toMatch(/^FORK at https:\/\/.+: the tree of 2 records/);
  });

  it('sees a fork between two lookups that were under way at the same time', async () => {
    // v1.0.0's answer comes from the forked history and is held back until v1.1.0's (honest) is verified:
    // the held one was sent before any head was known, and must still be compared with it.
    lab.sumdb.setMode('fork');
    const forked = lab.sumdb.answer('/lookup/lab.test/canary@v1.0.0')?.body as string;
    lab.sumdb.setMode('healthy');
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const server = http.createServer((request, response) => {
      const path = request.url ?? '/';
      if (path === '/lookup/lab.test/canary@v1.0.0')
        return void released.then(() => response.writeHead(200).end(forked));
      const answer = lab.sumdb.answer(path);
      response.writeHead(answer?.status ?? 404).end(answer?.body ?? 'not found\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const gate = await gateFor({ sumdbUrl: url, mirrors: [] });
      const held = check(gate, 'zip', files.oldZip, 'v1.0.0');
      expect(await check(gate, 'mod', files.mod)).toMatchObject({ outcome: 'verified' });
      release();
      const result = await held;
      expect(result.outcome).toBe('unchecked');
      expect((result as { reason: string }).reason).toMatch(
        /^FORK at http:\/\/127\.0\.0\.1:\d+: the tree of 2 records/,
      );
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('leaves no listener on the request signal once a check is done', async () => {
    const gate = await gateFor();
    const controller = new AbortController();
    for (let i = 0; i < 20; i++) {
      const result = await gate.check(
        { module, version, kind: i % 2 ? 'zip' : 'mod', file: i % 2 ? files.zip : files.mod },
        controller.signal,
      );
      expect(result.outcome).toBe('verified');
    }
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('gives up waiting when the request is cancelled, and never throws', async () => {
    const silent = await countingPort();
    try {
      const gate = await gateFor({ sumdbUrl: silent.url, mirrors: [] }, 2000);
      const controller = new AbortController();
      const pending = gate.check({ module, version, kind: 'zip', file: files.zip }, controller.signal);
      controller.abort();
      const result: IntegrityResult = await pending;
      expect(result).toEqual({ outcome: 'unchecked', reason: 'the request was cancelled' });
    } finally {
      await silent.close();
    }
  });
});

/**
 * A checksum database whose tree grows (hundreds of records, so proofs span several tiles and two
 * tile levels), served over plain http on loopback; it can also rewrite its history (a fork) or
 * answer lookups with an older signed head, as a mirror's cached proxy may.
 */
type GrowingDatabase = Awaited<ReturnType<typeof growingDatabase>>;

async function growingDatabase(name: string) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const withAlg = Buffer.concat([
    Buffer.from([1]),
    publicKey.export({ format: 'der', type: 'spki' }).subarray(-32),
  ]);
  const hash = keyHash(name, withAlg);
  const verifierKey = `${name}+${hash.toString(16).padStart(8, '0')}+${withAlg.toString('base64')}`;
  const records: string[] = [];
  const record = (m: string, v: string, zip: string, mod: string) =>
    `${m} ${v} ${zip}\n${m} ${v}/go.mod ${mod}\n`;
  const filler = (i: number) =>
    record(`example.test/m${i}`, 'v1.0.0', `h1:${'A'.repeat(43)}=`, `h1:${'B'.repeat(43)}=`);
  const mth = (leaves: Buffer[]): Buffer => {
    if (leaves.length === 1) return leaves[0] as Buffer;
    const k = 2 ** Math.floor(Math.log2(leaves.length - 1));
    return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
  };
  let size = 0;
  let lookupSize: number | undefined; // answer lookups with the head of this older size
  const leaves = () => records.slice(0, size).map((r) => leafHash(r));
  const head = (n: number) => {
    const text = `go.sum database tree\n${n}\n${mth(leaves().slice(0, n)).toString('base64')}\n`;
    const signature = Buffer.concat([Buffer.alloc(4), sign(null, Buffer.from(text), privateKey)]);
    signature.writeUInt32BE(hash, 0);
    return `${text}\n— ${name} ${signature.toString('base64')}\n`;
  };
  const tile = (level: number, index: number, width: number): Buffer | undefined => {
    const all = leaves();
    const span = 256 ** level; // leaves under one hash of this level
    const hashes: Buffer[] = [];
    for (let i = index * 256; i < index * 256 + width; i++) {
      if ((i + 1) * span > all.length) return undefined;
      hashes.push(mth(all.slice(i * span, (i + 1) * span)));
    }
    return Buffer.concat(hashes);
  };
  const frozenTiles = new Map<string, Buffer>();
  const server = http.createServer((request, response) => {
    const path = request.url ?? '/';
    const send = (status: number, body: string | Buffer) => void response.writeHead(status).end(body);
    const lookup = /^\/lookup\/(.+)@(.+)$/.exec(path);
    if (lookup) {
      const id = records.findIndex((r, i) => i < size && r.startsWith(`${lookup[1]} ${lookup[2]} `));
      return id < 0
        ? send(404, 'not found\n')
        : send(200, `${id}\n${records[id]}\n${head(lookupSize ?? size)}`);
    }
    const held = frozenTiles.get(path);
    if (held) return send(200, held);
    const at = /^\/tile\/8\/(\d+)\/((?:x\d{3}\/)*\d{3})(?:\.p\/(\d+))?$/.exec(path);
    const data =
      at && tile(Number(at[1]), Number((at[2] as string).replace(/x|\//g, '')), Number(at[3] ?? 256));
    return data ? send(200, data) : send(404, 'no such tile\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    verifierKey,
    /** Adds records up to `total` (those given by index, fillers elsewhere) and publishes them. */
    grow(total: number, placed: Record<number, string> = {}) {
      for (let i = records.length; i < total; i++) records.push(placed[i] ?? filler(i));
      size = total;
    },
    /** Rewrites record i: every tree from now on has another history. */
    rewrite(i: number) {
      records[i] = filler(i + 100_000);
    },
    answerLookupsWithSize(n: number | undefined) {
      lookupSize = n;
    },
    /** Serves this tile path from now on as it is now (with `leaves` published), whatever is rewritten later. */
    freezeTile(path: string, leavesNow: number) {
      const saved = size;
      size = Math.max(size, leavesNow);
      while (records.length < size) records.push(filler(records.length));
      const at = /^\/tile\/8\/(\d+)\/(\d{3})$/.exec(path);
      const frozen = at && tile(Number(at[1]), Number(at[2]), 256);
      if (frozen) frozenTiles.set(path, frozen);
      size = saved;
    },
    record,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('a growing checksum database', () => {
  const canaryRecord = (db: GrowingDatabase) =>
    db.record(module, version, RECORDED_ZIP, hashGoMod(LAB_GO_MOD));
  const oldRecord = async (db: GrowingDatabase) =>
    db.record(module, 'v1.0.0', await hashZip(files.oldZip), hashGoMod(LAB_GO_MOD));
  const otherCheck = (gate: RunningIntegrityGate) =>
    gate.check(
      { module: 'lab.test/other', version: 'v1.0.0', kind: 'mod', file: files.mod },
      new AbortController().signal,
    );
  const otherRecord = (db: GrowingDatabase) =>
    db.record('lab.test/other', 'v1.0.0', `h1:${'C'.repeat(43)}=`, hashGoMod(LAB_GO_MOD));
  async function gateOver(db: GrowingDatabase) {
    const { config, extraCas } = await validate(lab.config);
    config.mirrors = [];
    config.sumdb = { ...config.sumdb, url: db.url, key: db.verifierKey };
    const gate = createIntegrityGate({ config, extraCas, privacy: modulePrivacy({}) });
    gates.push(gate);
    return gate;
  }

  it('proves records across tiles, accepts a tree that extends the last one, and catches one that rewrites it', async () => {
    const db = await growingDatabase('sum.lab.test');
    try {
      const gate = await gateOver(db);
      db.grow(300, { 270: canaryRecord(db) });
      expect(await check(gate, 'zip', files.zip)).toEqual({ outcome: 'verified', h1: RECORDED_ZIP });
      expect(gate.usage().treeSize).toBe(300);
      // The log grows: the new head is taken only because its first 300 records give the old root.
      db.grow(600, { 550: await oldRecord(db) });
      expect(await check(gate, 'zip', files.oldZip, 'v1.0.0')).toMatchObject({ outcome: 'verified' });
      expect(gate.usage().treeSize).toBe(600);
      // History rewritten, then grown: the new tree does not start with the 600 records verified.
      db.rewrite(10);
      db.grow(700, { 650: otherRecord(db) });
      const forked = await otherCheck(gate);
      expect(forked.outcome).toBe('unchecked');
      expect((forked as { reason: string }).reason).toMatch(
        /^FORK at http:\/\/127\.0\.0\.1:\d+: the tree of 600 records .* is not the start of the signed tree of 700 records$/,
      );
    } finally {
      await db.close();
    }
  });

  it('is not fooled by a tile that shows the old history to the old root and hides the rewrite from the new one', async () => {
    const db = await growingDatabase('sum.lab.test');
    try {
      const gate = await gateOver(db);
      db.grow(300, { 270: canaryRecord(db) });
      expect(await check(gate, 'zip', files.zip)).toMatchObject({ outcome: 'verified' });
      // The key holder rewrites record 280 and signs a tree of 600 over it, but serves the leaf tile
      // holding 256..511 as it was: the proof of record 550 never reads that tile, and the first 300
      // leaves read from it still give the old root. Only a consistency proof sees the lie.
      db.freezeTile('/tile/8/0/001', 512);
      db.rewrite(280);
      db.grow(600, { 550: await oldRecord(db) });
      const result = await check(gate, 'zip', files.oldZip, 'v1.0.0');
      expect(result.outcome).toBe('unchecked');
      expect((result as { reason: string }).reason).toContain('FORK');
    } finally {
      await db.close();
    }
  });

  it('accepts a lookup that comes with an older head than the latest, when that head is a prefix of it', async () => {
    const db = await growingDatabase('sum.lab.test');
    try {
      const gate = await gateOver(db);
      db.grow(600, { 270: canaryRecord(db), 550: await oldRecord(db) });
      expect(await check(gate, 'zip', files.oldZip, 'v1.0.0')).toMatchObject({ outcome: 'verified' });
      db.answerLookupsWithSize(300); // as a mirror's cache of the database might
      expect(await check(gate, 'zip', files.zip)).toEqual({ outcome: 'verified', h1: RECORDED_ZIP });
      expect(gate.usage().treeSize).toBe(600);
      // An older head of another history is a fork all the same.
      db.grow(700, { 650: otherRecord(db) });
      db.rewrite(5);
      db.answerLookupsWithSize(690);
      const forked = await otherCheck(gate);
      expect((forked as { reason: string }).reason).toContain('FORK');
    } finally {
      await db.close();
    }
  });
});

/** A one-file zip whose entry is deflated, with the uncompressed size it claims (not always the truth). */
function deflatedZip(name: string, content: Buffer, declaredSize: number): Buffer {
  const data = deflateRawSync(content);
  const fileName = Buffer.from(name);
  const header = (signature: number, size: number) => {
    const b = Buffer.alloc(size);
    b.writeUInt32LE(signature, 0);
    return b;
  };
  // The central header repeats the local one's fields two bytes further on.
  const withFields = (b: Buffer, shift: number) => {
    b.writeUInt16LE(8, 8 + shift); // deflated
    b.writeUInt32LE(crc32(content), 14 + shift);
    b.writeUInt32LE(data.length, 18 + shift);
    b.writeUInt32LE(declaredSize, 22 + shift);
    b.writeUInt16LE(fileName.length, 26 + shift);
    return b;
  };
  const local = withFields(header(0x04034b50, 30), 0);
  const central = withFields(header(0x02014b50, 46), 2);
  const end = header(0x06054b50, 22);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(46 + fileName.length, 12);
  end.writeUInt32LE(30 + fileName.length + data.length, 16);
  return Buffer.concat([local, fileName, data, central, fileName, end]);
}

describe('hashing a hostile zip stays bounded, as go bounds it', () => {
  const name = `${module}@${version}/canary.go`;

  it('hashes an honest deflated zip', async () => {
    const content = Buffer.from('package canary\n');
    const file = join(dir, 'deflated.zip');
    await writeFile(file, deflatedZip(name, content, content.length));
    expect(await hashZip(file)).toBe(
      h1FromFileHashes([{ name, sha256Hex: createHash('sha256').update(content).digest('hex') }]),
    );
  });

  it('refuses an entry that inflates to more than it declares (a zip bomb), and the gate calls it a mismatch', async () => {
    const file = join(dir, 'bomb.zip');
    await writeFile(file, deflatedZip(name, Buffer.alloc(8 << 20), 100));
    await expect(hashZip(file)).rejects.toThrow(`${name} inflates to more than its declared 100 bytes`);
    const gate = await gateFor();
    expect(await check(gate, 'zip', file)).toEqual({
      outcome: 'mismatch',
      h1: expect.stringContaining('inflates to more than its declared 100 bytes'),
      expected: RECORDED_ZIP,
    });
  });

  it('refuses contents that declare more than 500 MB in all, before inflating anything', async () => {
    const file = join(dir, 'too-large.zip');
    await writeFile(file, deflatedZip(name, Buffer.from('x'), 600 << 20));
    await expect(hashZip(file)).rejects.toThrow('total uncompressed size of module contents too large');
  });

  it('refuses a central directory that lies beyond the end of the file', async () => {
    const zip = deflatedZip(name, Buffer.from('x'), 1);
    zip.writeUInt32LE(0xfffffff0, zip.length - 22 + 12); // the directory "size"
    const file = join(dir, 'lying-directory.zip');
    await writeFile(file, zip);
    await expect(hashZip(file)).rejects.toThrow('the central directory lies beyond the end of the file');
  });

  it('stops when the request is cancelled', async () => {
    const file = join(dir, 'large.zip');
    await writeFile(file, deflatedZip(name, Buffer.alloc(64 << 20), 64 << 20));
    await expect(hashZip(file, AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('tree proofs', () => {
  it('refuse a leaf outside the tree instead of returning the untouched root', async () => {
    const leaves = ['a\n', 'b\n'].map((r) => leafHash(r));
    const tree = treeHashes(2, async () => Buffer.concat(leaves));
    await expect(tree.rootWithLeaf(2, 'forged\n')).rejects.toThrow(
      'record 2 is beyond the signed tree of 2 records',
    );
    await expect(tree.rootWithLeaf(-1, 'forged\n')).rejects.toThrow('beyond the signed tree');
    expect((await tree.rootWithLeaf(1, 'b\n')).equals(await tree.root())).toBe(true);
  });
});

import { createHash } from 'node:crypto';
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
import { leafHash, treeHashes } from '../src/integrity/tlog.js';
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

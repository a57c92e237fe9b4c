import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { h1FromFileHashes, hashGoMod, hashZip } from '../src/integrity/h1.js';
import { verifyNote } from '../src/integrity/note.js';
import { leafHash, tilePath, treeHashes } from '../src/integrity/tlog.js';
import { parseLookup, parseTreeHead } from '../src/integrity/tree.js';
import { parseVerifierKey, SUM_GOLANG_ORG_KEY } from '../src/integrity/verifier-key.js';
import { goWorld } from '../src/lab/go-world.js';
import { LAB_CANARY, LAB_GO_MOD, labModuleZip, labTamperedZip } from '../src/lab/modules.js';
import { type RunningLab, startLab } from '../src/lab/scenarios.js';
import { createLabDatabase } from '../src/lab/sumdb-server.js';
import { RUNTIME } from './helpers.js';

// From Go's own tests (golang.org/x/mod/sumdb/note, note_test.go): a key and a note it signed.
const GO_TEST_KEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const GO_TEST_TEXT =
  "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_TEST_NOTE = `${GO_TEST_TEXT}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

describe('verifier keys', () => {
  it("parses go's built-in key for sum.golang.org (its base64 part contains +)", () => {
    const key = parseVerifierKey(SUM_GOLANG_ORG_KEY);
    expect(key).toMatchObject({ name: 'sum.golang.org', hash: 0x033de0ae });
  });

  it.each([
    ['sum.golang.org', 'is not <name>+<hash>+<key>'],
    [
      'sum.golang.org+033de0af+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8',
      'has a hash that does not match its key',
    ],
    [
      'sum.golang.org+033DE0AE+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8',
      'must be 8 lower-case hex digits',
    ],
    ['sum.golang.org+033de0ae+Ac4zctda0e5e!', 'is not base64'],
    ['sum.golang.org+033de0ae+AAAA', 'is not an Ed25519 key'],
  ])('rejects %s', (text, message) => {
    expect(() => parseVerifierKey(text)).toThrow(message);
  });
});

describe('signed notes', () => {
  const key = parseVerifierKey(GO_TEST_KEY);

  it("verifies Go's own test note", () => {
    expect(verifyNote(GO_TEST_NOTE, [key])).toEqual({
      text: GO_TEST_TEXT,
      verifiedBy: ['PeterNeumann'],
      unknown: [],
    });
  });

  it.each([
    ['a changed text', GO_TEST_NOTE.replace('answer', 'Answer'), 'invalid signature by PeterNeumann'],
    ['no blank line', GO_TEST_NOTE.replace('\n\n—', '\n—'), 'malformed note'],
    [
      'a bad signature line',
      GO_TEST_NOTE.replace('— PeterNeumann', '-- PeterNeumann'),
      'malformed note: bad signature line',
    ],
    [
      'a control character',
      GO_TEST_NOTE.replace('problem,', 'problem,\r'),
      'malformed note: control characters',
    ],
    [
      'an unknown key',
      GO_TEST_NOTE.replace('PeterNeumann x08', 'Somebody x08'),
      'no signature by a known key (signed by: Somebody)',
    ],
  ])('rejects %s', (_what, note, message) => {
    expect(() => verifyNote(note, [key])).toThrow(message);
  });

  it('rejects bytes that are not UTF-8', () => {
    const bytes = Buffer.concat([
      Buffer.from(GO_TEST_NOTE.slice(0, 10)),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(GO_TEST_NOTE.slice(10)),
    ]);
    expect(() => verifyNote(bytes, [key])).toThrow('malformed note: not valid UTF-8');
  });
});

describe('tiles and proofs', () => {
  it('encodes tile paths as go does', () => {
    expect(tilePath(0, 5, 256)).toBe('tile/8/0/005');
    expect(tilePath(0, 1234067, 256)).toBe('tile/8/0/x001/x234/067');
    expect(tilePath(1, 1000, 7)).toBe('tile/8/1/x001/000.p/7');
    expect(tilePath('data', 0, 2)).toBe('tile/8/data/000.p/2');
  });

  // A tree of 600 records read through tiles of 256 hashes: level-0 tiles 0, 1 and 2.p/88, and
  // level-1 tile 000.p/2 (the two complete 256-leaf subtrees).
  const records = Array.from({ length: 600 }, (_, i) => `record ${i}\n`);
  const leaves = records.map((r) => leafHash(r));
  const mth = (list: Buffer[]): Buffer => {
    if (list.length === 1) return list[0] as Buffer;
    const k = 2 ** Math.floor(Math.log2(list.length - 1));
    return createHash('sha256')
      .update(Buffer.from([1]))
      .update(mth(list.slice(0, k)))
      .update(mth(list.slice(k)))
      .digest();
  };
  const tiles = new Map<string, Buffer>([
    ['tile/8/0/000', Buffer.concat(leaves.slice(0, 256))],
    ['tile/8/0/001', Buffer.concat(leaves.slice(256, 512))],
    ['tile/8/0/002.p/88', Buffer.concat(leaves.slice(512))],
    ['tile/8/1/000.p/2', Buffer.concat([mth(leaves.slice(0, 256)), mth(leaves.slice(256, 512))])],
  ]);
  const read = async (path: string) => {
    const tile = tiles.get(path);
    if (!tile) throw new Error(`no tile ${path}`);
    return tile;
  };

  it('computes the root of the tree from its tiles', async () => {
    expect((await treeHashes(600, read).root()).equals(mth(leaves))).toBe(true);
  });

  it('proves a record is in the tree, and refuses a record that is not', async () => {
    const tree = treeHashes(600, read);
    expect((await tree.rootWithLeaf(300, 'record 300\n')).equals(mth(leaves))).toBe(true);
    expect((await tree.rootWithLeaf(300, 'record 301\n')).equals(mth(leaves))).toBe(false);
  });

  it('checks that an earlier tree is a prefix of the new one (fork detection)', async () => {
    const tree = treeHashes(600, read);
    expect((await tree.root(300)).equals(mth(leaves.slice(0, 300)))).toBe(true);
    const forked = [...leaves.slice(0, 299), leafHash('another history\n')];
    expect((await tree.root(300)).equals(mth(forked))).toBe(false);
  });
});

describe('h1 hashes, against the real go command', () => {
  let lab: RunningLab;
  let dir: string;
  let goSums: { Sum: string; GoModSum: string };
  beforeAll(async () => {
    lab = await startLab({
      summary: 'one mirror',
      addressUrls: true,
      mirrors: [{ name: 'ok', mode: { kind: 'ok' } }],
    });
    dir = await mkdtemp(join(tmpdir(), 'gpg-h1-'));
    const world = await goWorld(lab, RUNTIME);
    const run = await world.go(['mod', 'download', '-json', `${LAB_CANARY.module}@${LAB_CANARY.version}`], {
      GOPROXY: lab.mirrors[0]?.url as string,
    });
    goSums = JSON.parse(run.stdout);
    await world.cleanup();
  });
  afterAll(async () => {
    await lab.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('hashZip gives the h1 go reports for the zip', async () => {
    const zip = join(dir, 'canary.zip');
    await writeFile(zip, labModuleZip(LAB_CANARY.version));
    expect(await hashZip(zip)).toBe(goSums.Sum);
  });

  it('hashGoMod gives the h1 go reports for the go.mod', () => {
    expect(hashGoMod(LAB_GO_MOD)).toBe(goSums.GoModSum);
  });

  it('a changed file changes the zip hash', async () => {
    const zip = join(dir, 'tampered.zip');
    await writeFile(zip, labTamperedZip());
    expect(await hashZip(zip)).not.toBe(goSums.Sum);
  });

  it('sorts names in byte order, as go does', () => {
    const files = [
      { name: 'm@v/b.go', sha256Hex: '00' },
      { name: 'm@v/B.go', sha256Hex: '11' },
    ];
    const expected = createHash('sha256').update('11  m@v/B.go\n00  m@v/b.go\n').digest('base64');
    expect(h1FromFileHashes(files)).toBe(`h1:${expected}`);
  });
});

describe("the lab's checksum database", () => {
  it('signs heads and lookups that verify with its key, and serves the tiles that prove them', async () => {
    const db = createLabDatabase();
    const key = parseVerifierKey(db.verifierKey);
    const head = parseTreeHead(verifyNote(db.answer('/latest')?.body as string, [key]).text);
    const lookup = parseLookup(
      db.answer(`/lookup/${LAB_CANARY.module}@${LAB_CANARY.version}`)?.body as string,
    );
    const tree = treeHashes(head.size, async (path) => db.answer(`/${path}`)?.body as Buffer);
    expect((await tree.rootWithLeaf(lookup.id, lookup.text)).equals(head.hash)).toBe(true);
  });
});

describe('the real go command trusts the lab database (GOSUMDB names it with its key)', () => {
  it('downloads from the honest mirror, and refuses the tampered one with a SECURITY ERROR', async () => {
    const lab = await startLab({
      summary: 'honest and tampered',
      addressUrls: true,
      mirrors: [
        { name: 'honest', mode: { kind: 'ok' } },
        { name: 'tampered', mode: { kind: 'tampered' } },
      ],
    });
    try {
      const sumdb = lab.config.sumdb as { key: string; url: string };
      // go verifies the signed tree head, the record and its inclusion from the tiles itself.
      const env = { GONOSUMDB: '', GOSUMDB: `${sumdb.key} ${sumdb.url}` };
      const [honest, tampered] = lab.mirrors.map((m) => m.url) as [string, string];
      const good = await goWorld(lab, RUNTIME);
      const ok = await good.go(['mod', 'download', '-json', `${LAB_CANARY.module}@${LAB_CANARY.version}`], {
        ...env,
        GOPROXY: honest,
      });
      await good.cleanup();
      expect(ok.exitCode, ok.stdout).toBe(0);
      expect(JSON.parse(ok.stdout).GoModSum).toBe(hashGoMod(LAB_GO_MOD));
      const bad = await goWorld(lab, RUNTIME);
      const refused = await bad.go(
        ['mod', 'download', '-json', `${LAB_CANARY.module}@${LAB_CANARY.version}`],
        { ...env, GOPROXY: tampered },
      );
      await bad.cleanup();
      expect(refused.exitCode).toBe(1);
      const error = JSON.parse(refused.stdout).Error as string;
      expect(error).toContain('verifying go.mod: checksum mismatch');
      expect(error).toContain(
        `downloaded: ${hashGoMod(`${LAB_GO_MOD}require evil.example/backdoor v1.0.0\n`)}`,
      );
      expect(error).toContain('SECURITY ERROR');
    } finally {
      await lab.stop();
    }
  });
});

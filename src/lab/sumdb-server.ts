import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { h1FromFileHashes, hashGoMod } from '../integrity/h1.js';
import { leafHash, nodeHash, tilePath } from '../integrity/tlog.js';
import { keyHash } from '../integrity/verifier-key.js';
import { escapeModulePath } from '../probe/module-path.js';
import { LAB_CANARY, LAB_GO_MOD, LAB_SUMDB, labModuleFileList } from './modules.js';

/** How the lab's checksum database behaves; every lie is one a real attack would tell. */
export type DatabaseMode = 'healthy' | 'wrong-hash' | 'bad-signature' | 'fork';

export interface LabDatabase {
  /** The verifier key go and GoProxyGuard use: name+hash+base64(0x01 || key). */
  verifierKey: string;
  /** Answers a database path (/latest, /lookup/..., /tile/...), or undefined for other paths. */
  answer(path: string): { status: number; body: string | Buffer } | undefined;
  setMode(mode: DatabaseMode): void;
  /** The records as go.sum lines, for tests. */
  records: string[];
}

function signer(name: string, key: KeyObject, hash: number) {
  return (text: string) => {
    const signature = Buffer.concat([Buffer.alloc(4), sign(null, Buffer.from(text), key)]);
    signature.writeUInt32BE(hash, 0);
    return `${text}\n— ${name} ${signature.toString('base64')}\n`;
  };
}

function newKey(name: string) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const withAlg = Buffer.concat([Buffer.from([1]), raw]);
  const hash = keyHash(name, withAlg);
  return {
    text: `${name}+${hash.toString(16).padStart(8, '0')}+${withAlg.toString('base64')}`,
    sign: signer(name, privateKey, hash),
  };
}

/** The RFC 6962 root of a list of leaf hashes. */
function root(leaves: Buffer[]): Buffer {
  if (leaves.length === 1) return leaves[0] as Buffer;
  const k = 2 ** Math.floor(Math.log2(leaves.length - 1));
  return nodeHash(root(leaves.slice(0, k)), root(leaves.slice(k)));
}

/**
 * A checksum database for the lab's module, made at start: a fresh Ed25519 key (nothing
 * committed), one record per version with the true h1 hashes, hash tiles, signed tree heads.
 * Fewer than 256 records, so one partial tile at level 0 holds every leaf hash.
 */
export function createLabDatabase(
  /** Modules recorded after the canary's versions (the large module of verify's tests). */
  extra: { module: string; version: string; zip: string; mod: string }[] = [],
): LabDatabase {
  let mode: DatabaseMode = 'healthy';
  const key = newKey(LAB_SUMDB);
  const impostor = newKey(LAB_SUMDB); // same name, another key: a forged signature
  const versions = ['v1.0.0', LAB_CANARY.version];
  const canaryRecords = versions.map((version) => {
    const zip = h1FromFileHashes(
      labModuleFileList(version).map((f) => ({
        name: f.name,
        sha256Hex: createHash('sha256').update(f.content).digest('hex'),
      })),
    );
    return { module: LAB_CANARY.module, version, zip, mod: hashGoMod(LAB_GO_MOD) };
  });
  const recorded = [...canaryRecords, ...extra];
  const records = recorded.map(
    (r) => `${r.module} ${r.version} ${r.zip}\n${r.module} ${r.version}/go.mod ${r.mod}\n`,
  );
  // The forked tree: same size, but its first record says something else.
  const forked = [records[0]?.replace(/h1:[^\n]+/, `h1:${'F'.repeat(43)}=`) as string, ...records.slice(1)];
  const treeOf = (list: string[]) => {
    const leaves = list.map((r) => leafHash(r));
    return { leaves, head: `go.sum database tree\n${list.length}\n${root(leaves).toString('base64')}\n` };
  };
  const honest = treeOf(records);
  const fork = treeOf(forked);
  const current = () => (mode === 'fork' ? fork : honest);
  const signedHead = () =>
    mode === 'bad-signature' ? impostor.sign(current().head) : key.sign(current().head);
  const lookups = recorded.map((r) => `/${escapeModulePath(r.module)}@${r.version}`);
  return {
    verifierKey: key.text,
    records,
    setMode: (next) => {
      mode = next;
    },
    answer(path) {
      if (path === '/latest') return { status: 200, body: signedHead() };
      if (path.startsWith('/lookup/')) {
        const wanted = path.slice('/lookup'.length);
        const id = lookups.indexOf(wanted);
        if (id < 0) return { status: 404, body: 'not found\n' };
        let record = (mode === 'fork' ? forked : records)[id] as string;
        if (mode === 'wrong-hash') record = record.replace(/h1:[^\n]+\n$/, `h1:${'W'.repeat(43)}=\n`); // not the record in the tree
        return { status: 200, body: `${id}\n${record}\n${signedHead()}` };
      }
      const leaves = current().leaves;
      if (path === `/${tilePath(0, 0, leaves.length)}`) return { status: 200, body: Buffer.concat(leaves) };
      if (path.startsWith('/tile/')) return { status: 404, body: 'no such tile\n' };
      return undefined;
    },
  };
}

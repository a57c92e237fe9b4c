import { verifyNote } from '../integrity/note.js';
import { treeHashes } from '../integrity/tlog.js';
import { parseLookup, parseTreeHead, recordHashes, type TreeHead } from '../integrity/tree.js';
import type { VerifierKey } from '../integrity/verifier-key.js';
import { escapeModulePath } from '../probe/module-path.js';

/** A module version's go.sum hashes, from a lookup record proven to be in a signed tree. */
export interface ProvenRecord {
  zip?: string;
  mod?: string;
  id: number;
  treeSize: number;
  /** Where it was read: the database itself or a mirror's proxy of it. */
  from: string;
}

export type RecordAnswer =
  | { kind: 'proven'; record: ProvenRecord; head: TreeHead }
  /** The source answered 404/410: it has no record of this module version. */
  | { kind: 'absent'; reason: string }
  /** Unreachable, an error status, a malformed answer, or a record that is not what it claims. */
  | { kind: 'failed'; reason: string }
  /** The signed tree does not extend the one verified before: the database shows different histories. */
  | { kind: 'forked'; reason: string };

/** GETs a URL with a size limit (the probes' fetcher: verified DNS, TLS, the proxy go uses). */
export type Get = (
  url: string,
  maxBytes: number,
) => Promise<{ status: number; bytes: Buffer; truncated: boolean }>;

/** The latest tree head verified, shared by every lookup so that all of them see one history. */
export interface KnownHeads {
  latest(): TreeHead | undefined;
  /** Called at once, with no wait, after the head was checked against latest(); `note` is the signed note it came in. */
  accept(head: TreeHead, note: string): void;
}

/** Tiles already proven useful, shared between lookups; the same tile path holds the same hashes. */
export interface TileStore {
  get(path: string): Buffer | undefined;
  set(path: string, tile: Buffer): void;
  delete(path: string): void;
}

const LOOKUP_LIMIT = 64 * 1024;
const TILE_LIMIT = 256 * 32;

/**
 * Reads module@version's record from a checksum database (or a mirror's proxy of it) and proves
 * it as go's sumdb client does: the tree head that comes with the lookup is signed by the
 * database's key, the record is a leaf of that tree (hashed up to the signed root from tiles), and
 * that tree and the latest one verified before are one history. /latest is not asked for: the
 * lookup carries its own signed head, so one request and the tiles not yet held suffice.
 */
export async function proveRecord(
  base: string,
  target: { module: string; version: string },
  key: VerifierKey,
  heads: KnownHeads,
  get: Get,
  tiles: TileStore,
): Promise<RecordAnswer> {
  const name = `${target.module}@${target.version}`;
  const lookupUrl = `${base}/lookup/${escapeModulePath(target.module)}@${escapeModulePath(target.version)}`;
  const usedFromStore = new Set<string>();
  const fetched = new Map<string, Buffer>();
  let useStore = true;
  const readTile = async (path: string) => {
    const held = useStore ? tiles.get(path) : undefined;
    if (held) {
      usedFromStore.add(path);
      return held;
    }
    const tile = await get(`${base}/${path}`, TILE_LIMIT);
    if (tile.status !== 200) throw new Error(`GET ${base}/${path}: ${tile.status}`);
    fetched.set(path, tile.bytes);
    return tile.bytes;
  };
  let lookup: Awaited<ReturnType<Get>>;
  try {
    lookup = await get(lookupUrl, LOOKUP_LIMIT);
  } catch (error) {
    return { kind: 'failed', reason: `GET ${lookupUrl}: ${messageOf(error)}` };
  }
  if (lookup.status === 404 || lookup.status === 410)
    return { kind: 'absent', reason: `GET ${lookupUrl}: ${lookup.status} (no record of ${name})` };
  if (lookup.status !== 200) return { kind: 'failed', reason: `GET ${lookupUrl}: ${lookup.status}` };
  if (lookup.truncated)
    return { kind: 'failed', reason: `GET ${lookupUrl}: larger than ${LOOKUP_LIMIT} bytes` };
  try {
    const record = parseLookup(lookup.bytes.toString('utf8'));
    const head = parseTreeHead(verifyNote(record.note, [key]).text);
    let tree = treeHashes(head.size, readTile);
    let proven = (await tree.rootWithLeaf(record.id, record.text)).equals(head.hash);
    if (!proven && usedFromStore.size > 0) {
      // Tiles held from an earlier proof disagree with this tree (only a rewritten log does that):
      // read afresh from this source, so the answer is judged on its own tiles (and a fork named).
      forget();
      useStore = false;
      tree = treeHashes(head.size, readTile);
      proven = (await tree.rootWithLeaf(record.id, record.text)).equals(head.hash);
    }
    if (!proven)
      return lie(`the record ${record.id} for ${name} is not in the signed tree of ${head.size} records`);
    const hashes = recordHashes(record.text, target.module, target.version);
    if (!hashes.zip && !hashes.mod) return lie(`the record ${record.id} does not name ${name}`);
    // Checked again if another lookup moved the latest head meanwhile: no two answers escape the check.
    let checked: TreeHead | undefined;
    let known = heads.latest();
    while (known && known !== checked) {
      const fork = await forkBetween(known, head, tree, readTile);
      if (fork) {
        forget();
        return { kind: 'forked', reason: `FORK at ${base}: ${fork}` };
      }
      checked = known;
      known = heads.latest();
    }
    heads.accept(head, record.note);
    for (const [path, tile] of fetched) tiles.set(path, tile);
    return { kind: 'proven', record: { ...hashes, id: record.id, treeSize: head.size, from: base }, head };
  } catch (error) {
    forget();
    return { kind: 'failed', reason: `${base}: ${messageOf(error)}` };
  }

  function lie(why: string): RecordAnswer {
    forget();
    return { kind: 'failed', reason: `${base} lies: ${why}` };
  }
  /** Tiles held before may be what spoiled the proof: the next lookup reads them afresh. */
  function forget() {
    for (const path of usedFromStore) tiles.delete(path);
  }
}

/**
 * Why two signed trees are not one history, or undefined when the smaller is a prefix of the
 * larger (a consistency check over the larger tree's tiles), as go's sumdb client checks.
 */
async function forkBetween(
  known: TreeHead,
  head: TreeHead,
  tree: ReturnType<typeof treeHashes>,
  readTile: (path: string) => Promise<Buffer>,
): Promise<string | undefined> {
  const [small, large, largeTree] =
    head.size >= known.size ? [known, head, tree] : [head, known, treeHashes(known.size, readTile)];
  if (await largeTree.hasPrefix(small.size, small.hash, large.hash)) return undefined;
  return `the tree of ${small.size} records (root ${small.hash.toString('base64')}) is not the start of the signed tree of ${large.size} records`;
}

function messageOf(error: unknown): string {
  const failure = error as { phase?: string; code?: string; message?: string };
  const phase = failure.phase ? `${failure.phase}: ` : '';
  return `${phase}${failure.message ?? String(error)}`;
}

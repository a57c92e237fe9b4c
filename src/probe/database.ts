import { verifyNote } from '../integrity/note.js';
import { treeHashes } from '../integrity/tlog.js';
import { parseLookup, parseTreeHead, recordHashes, type TreeHead } from '../integrity/tree.js';
import { parseVerifierKey } from '../integrity/verifier-key.js';
import type { ProbeContext } from './context.js';
import { createFetcher } from './fetcher.js';
import { escapeModulePath } from './module-path.js';
import type { MirrorObservation } from './types.js';

export interface DatabaseHealth {
  name: string;
  url: string;
  /** The database answered with a well-formed (and, with a key, correctly signed) tree head. */
  healthy: boolean;
  evidence: string;
  /** The latest tree head, verified with sumdb.key; absent when it could not be verified. */
  treeHead: { size: number; hash: string } | null;
  /** The canary's go.sum hashes, from a lookup record proven to be in the signed tree. */
  record: { zip?: string; mod?: string; id: number; treeSize: number } | null;
  /** The new tree is not an extension of the last one verified: the log was forked. */
  forked: boolean;
}

const TREE_HEAD = /^go\.sum database tree\n\d+\n[A-Za-z0-9+/=]+\n\n— \S+ \S+\n/;
const TILE_LIMIT = 256 * 32;

/**
 * Asks the checksum database itself (sumdb.url) for its latest signed tree head and verifies it:
 * the signature with sumdb.key, consistency with the last head verified (a fork otherwise), then
 * the canary's lookup record, proven to be in the signed tree from the database's tiles.
 */
export async function probeDatabase(
  sumdb: { name: string; url: string; key?: string | undefined },
  context: ProbeContext,
  previous?: { size: number; hash: string },
  /** The module version whose record is looked up and proven; the canary by default. */
  target: { module: string; version: string } = context.canary,
): Promise<DatabaseHealth> {
  const observation: MirrorObservation = { phases: {}, dns: [], exchanges: [] };
  const fetcher = createFetcher(context, observation);
  const base = sumdb.url;
  const result = {
    name: sumdb.name,
    url: base,
    healthy: false,
    evidence: '',
    treeHead: null,
    record: null,
    forked: false,
  };
  const done = (extra: Partial<DatabaseHealth>): DatabaseHealth => ({ ...result, ...extra });
  try {
    const latest = await fetcher.get(`${base}/latest`, 'database', 16 * 1024);
    if (latest.status !== 200) return done({ evidence: `GET ${base}/latest: ${latest.status}` });
    if (!TREE_HEAD.test(latest.body))
      return done({ evidence: `GET ${base}/latest: 200 but the body is not a signed tree head` });
    if (!sumdb.key) {
      return done({
        healthy: true,
        evidence: `GET ${base}/latest: 200, a signed tree head (not verified: no sumdb.key)`,
      });
    }
    const key = parseVerifierKey(sumdb.key);
    let head: TreeHead;
    try {
      head = parseTreeHead(verifyNote(latest.bytes, [key]).text);
    } catch (error) {
      return done({ evidence: `${base}/latest: ${(error as Error).message}` });
    }
    const treeHead = { size: head.size, hash: head.hash.toString('base64') };
    const readTile = async (path: string) => {
      const tile = await fetcher.get(`${base}/${path}`, 'database', TILE_LIMIT);
      if (tile.status !== 200) throw new Error(`GET ${base}/${path}: ${tile.status}`);
      return tile.bytes;
    };
    const tree = treeHashes(head.size, readTile);
    if (previous && previous.size <= head.size) {
      // A consistency check, not the root of the first records alone: one tile could show the old
      // history to the old root and hide the rewrite from the new one (tlog.ts hasPrefix).
      if (!(await tree.hasPrefix(previous.size, Buffer.from(previous.hash, 'base64'), head.hash))) {
        return done({
          treeHead,
          forked: true,
          evidence: `FORK: the tree of ${head.size} records does not contain the tree of ${previous.size} verified before (root ${previous.hash}): this database shows different histories to different clients`,
        });
      }
    }
    const canary = target;
    const lookupUrl = `${base}/lookup/${escapeModulePath(canary.module)}@${canary.version}`;
    const lookup = await fetcher.get(lookupUrl, 'database', 64 * 1024);
    if (lookup.status !== 200) {
      return done({
        healthy: true,
        treeHead,
        evidence: `tree head verified (${head.size} records); lookup ${lookupUrl}: ${lookup.status}`,
      });
    }
    const record = parseLookup(lookup.body);
    const recordHead = parseTreeHead(verifyNote(record.note, [key]).text);
    const recordTree = recordHead.size === head.size ? tree : treeHashes(recordHead.size, readTile);
    const proven = (await recordTree.rootWithLeaf(record.id, record.text)).equals(recordHead.hash);
    if (!proven) {
      return done({
        treeHead,
        evidence: `the lookup record ${record.id} for ${canary.module}@${canary.version} is not in the signed tree of ${recordHead.size} records: the database (or whoever answers for it) lies`,
      });
    }
    return done({
      healthy: true,
      treeHead,
      record: {
        ...recordHashes(record.text, canary.module, canary.version),
        id: record.id,
        treeSize: recordHead.size,
      },
      evidence: `tree head verified with ${key.name}'s key (${head.size} records); the record ${record.id} of ${canary.module}@${canary.version} is proven in it`,
    });
  } catch (error) {
    const failure = error as { phase?: string; code?: string; timedOut?: boolean; message?: string };
    const dnsVerdict = observation.dns.find((d) => d.assessment.verdict);
    if (dnsVerdict) return done({ evidence: dnsVerdict.assessment.evidence[0] ?? 'dns' });
    if (failure.timedOut)
      return done({
        evidence: `no answer within the ${context.deadlineMs} ms deadline during ${failure.phase}`,
      });
    return done({
      evidence: `${failure.phase ?? 'integrity'}: ${failure.code ?? ''} ${failure.message ?? ''}`.trim(),
    });
  } finally {
    fetcher.close();
  }
}

import { verifyNote } from '../integrity/note.js';
import { treeHashes } from '../integrity/tlog.js';
import { parseLookup, parseTreeHead, recordHashes, type TreeHead } from '../integrity/tree.js';
import { parseVerifierKey } from '../integrity/verifier-key.js';
import type { ProbeContext } from './context.js';
import { createFetcher } from './fetcher.js';
import { escapeModulePath } from './module-path.js';
import type { DatabaseHealth, DatabaseObservation, MirrorObservation } from './types.js';
import { judgeDatabase } from './verdict.js';

// The result types live with the others in types.ts; guard and commands import them from here.
export type { DatabaseHealth } from './types.js';

const TREE_HEAD = /^go\.sum database tree\n\d+\n[A-Za-z0-9+/=]+\n\n\u2014 \S+ \S+\n/;
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
  const started = performance.now();
  const observation: MirrorObservation = { phases: {}, dns: [], exchanges: [] };
  const fetcher = createFetcher(context, observation);
  const base = sumdb.url;
  let treeHead: DatabaseHealth['treeHead'] = null;
  let record: DatabaseHealth['record'] = null;
  const judged = (seen: DatabaseObservation): DatabaseHealth =>
    judgeDatabase({
      name: sumdb.name,
      url: base,
      observation: seen,
      treeHead,
      record,
      latencyMs: performance.now() - started,
      deadlineMs: context.deadlineMs,
    });
  try {
    const latest = await fetcher.get(`${base}/latest`, 'database', 16 * 1024);
    if (latest.status !== 200)
      return judged({ seen: 'status', url: `${base}/latest`, status: latest.status });
    if (!TREE_HEAD.test(latest.body)) return judged({ seen: 'not-a-tree-head', url: `${base}/latest` });
    if (!sumdb.key) return judged({ seen: 'unverified-head', url: `${base}/latest` });
    const key = parseVerifierKey(sumdb.key);
    let head: TreeHead;
    try {
      head = parseTreeHead(verifyNote(latest.bytes, [key]).text);
    } catch (error) {
      return judged({ seen: 'bad-signature', url: `${base}/latest`, message: (error as Error).message });
    }
    treeHead = { size: head.size, hash: head.hash.toString('base64') };
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
        return judged({ seen: 'fork', size: head.size, previous });
      }
    }
    const lookupUrl = `${base}/lookup/${escapeModulePath(target.module)}@${target.version}`;
    const lookup = await fetcher.get(lookupUrl, 'database', 64 * 1024);
    if (lookup.status !== 200) {
      return judged({ seen: 'no-lookup', size: head.size, url: lookupUrl, status: lookup.status });
    }
    const parsed = parseLookup(lookup.body);
    const recordHead = parseTreeHead(verifyNote(parsed.note, [key]).text);
    const recordTree = recordHead.size === head.size ? tree : treeHashes(recordHead.size, readTile);
    const proven = (await recordTree.rootWithLeaf(parsed.id, parsed.text)).equals(recordHead.hash);
    if (!proven) return judged({ seen: 'not-proven', id: parsed.id, target, size: recordHead.size });
    record = {
      ...recordHashes(parsed.text, target.module, target.version),
      id: parsed.id,
      treeSize: recordHead.size,
    };
    return judged({ seen: 'proven', keyName: key.name, size: head.size, id: parsed.id, target });
  } catch (error) {
    const failure = error as { phase?: string; code?: string; timedOut?: boolean; message?: string };
    const dns = observation.dns.find((d) => d.assessment.verdict)?.assessment;
    return judged({
      seen: 'failure',
      phase: failure.phase ?? 'integrity',
      code: failure.code ?? '',
      message: failure.message ?? '',
      timedOut: failure.timedOut === true,
      ...(dns ? { dns } : {}),
    });
  } finally {
    fetcher.close();
  }
}

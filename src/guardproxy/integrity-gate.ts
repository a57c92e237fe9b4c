import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Config } from '../config/schema.js';
import { h1FromFileHashes, hashGoMod, hashZip } from '../integrity/h1.js';
import type { TreeHead } from '../integrity/tree.js';
import { parseVerifierKey, type VerifierKey } from '../integrity/verifier-key.js';
import { createFetcher } from '../probe/fetcher.js';
import type { ProxyRoute } from '../probe/route.js';
import { createRunContext, type RunContext } from '../probe/run-context.js';
import type { CheckedFile, IntegrityGate, IntegrityResult, ModulePrivacy } from './contracts.js';
import {
  type Get,
  type KnownHeads,
  type ProvenRecord,
  proveRecord,
  type RecordAnswer,
} from './integrity-record.js';

export interface IntegrityGateOptions {
  config: Config;
  extraCas: string[];
  route?: ProxyRoute;
  privacy: ModulePrivacy;
  /** How long one source (the database, or one mirror's proxy of it) may take for a lookup and its tiles. */
  attemptMs?: number;
  /** The latest tree head verified before (by an earlier guard: loadTreeHead), the history to keep to. */
  knownHead?: TreeHead;
  /** Told each signed tree head newer than every one before (to keep it for the next start). */
  onNewHead?(note: string): void;
  /** The trust store and DoH pool to use (the guard's one, shared with its upstream client); made here if absent. */
  runContext?: RunContext;
}

export interface RunningIntegrityGate extends IntegrityGate {
  /** Records and tiles held, and the size of the latest tree verified, for /_guard/status. */
  usage(): { records: number; tiles: number; treeSize: number | null };
  /** Closes the DoH connections; checks after this are 'unchecked'. */
  close(): void;
}

const SAFE_MODULE = /^[A-Za-z0-9._~+-]+(\/[A-Za-z0-9._~+-]+)*$/;
const SAFE_VERSION = /^v[A-Za-z0-9._+-]+$/;

/** Proven records kept per module@version (a few hundred bytes each): a long-running guard asks once. */
const MAX_RECORDS = 4096;
/** Hash tiles kept (8 KiB each at most): the upper levels are shared by every proof of one tree. */
const MAX_TILES = 256;

/**
 * The integrity gate: before the guard serves a .mod or .zip, its h1 is compared with the
 * checksum database's record for that module version, proven as go proves it. The record comes
 * from the database itself, or, when the database does not answer, through each mirror's proxy
 * of it (/sumdb/<name>/...: the record is signed, so a proxy cannot change it unseen). Private
 * modules (GONOSUMDB, GOPRIVATE, GOSUMDB=off) are never looked up. Network trouble is never an
 * exception, only 'unchecked' with the reason: go still checks what it gets.
 */
export function createIntegrityGate(options: IntegrityGateOptions): RunningIntegrityGate {
  const { config, extraCas, route, privacy } = options;
  const sumdb = config.sumdb;
  const key = sumdb.key ? parseVerifierKey(sumdb.key) : undefined;
  const attemptMs = options.attemptMs ?? Math.max(config.deadlineMs, config.guard.firstByteMs);
  // One trust store and DoH pool for the gate's life (a trust store costs tens of ms to build). The
  // run context's own deadline is not used (each attempt has its own), so it may pass at once.
  const shared = options.runContext ?? createRunContext(config, extraCas, 0, config.canary, route);
  const sources = [sumdb.url, ...config.mirrors.map((mirror) => `${mirror.url}/sumdb/${sumdb.name}`)];
  const records = lru<ProvenRecord>(MAX_RECORDS);
  const tiles = lru<Buffer>(MAX_TILES);
  const inFlight = new Map<string, Promise<ProvenRecord | string>>();
  let latest: TreeHead | undefined = options.knownHead;
  let lastGood = sumdb.url;
  const heads: KnownHeads = {
    latest: () => latest,
    accept(head, note) {
      if (latest && head.size <= latest.size) return;
      latest = head;
      options.onNewHead?.(note);
    },
  };
  let closed = false;

  /** One source asked, bounded by its own deadline; never throws. */
  async function ask(
    base: string,
    target: { module: string; version: string },
    key: VerifierKey,
  ): Promise<RecordAnswer> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), attemptMs);
    const context = {
      ...shared.context,
      signal: deadline.signal,
      deadlineMs: attemptMs,
      dnsCache: new Map(),
    };
    const fetcher = createFetcher(context, { phases: {}, dns: [], exchanges: [] });
    const get: Get = async (url, maxBytes) => {
      const exchange = await fetcher.get(url, 'database', maxBytes);
      // The probes' fetcher keeps each exchange for its report; the gate needs none of them.
      return { status: exchange.status, bytes: exchange.bytes, truncated: exchange.truncated };
    };
    try {
      const answer = await proveRecord(base, target, key, heads, get, tiles);
      if (deadline.signal.aborted && answer.kind === 'failed')
        return { kind: 'failed', reason: `${answer.reason} (no answer within ${attemptMs} ms)` };
      return answer;
    } finally {
      clearTimeout(timer);
      fetcher.close();
    }
  }

  /**
   * The proven record, or why there is none: the database first, then each mirror's proxy of it;
   * the source that last proved a record is asked first, so a database that hangs costs its
   * deadline once, not on every new module version.
   */
  async function recordOf(
    target: { module: string; version: string },
    key: VerifierKey,
  ): Promise<ProvenRecord | string> {
    const reasons: string[] = [];
    // A path kept from mirrors (GONOPROXY) is not sent to their proxies of the database either.
    const order = privacy.neverUpstream(target.module)
      ? [sumdb.url]
      : [lastGood, ...sources.filter((base) => base !== lastGood)];
    for (const base of order) {
      if (closed) break;
      const answer = await ask(base, target, key);
      if (answer.kind === 'proven') {
        lastGood = base;
        records.set(`${target.module}@${target.version}`, answer.record);
        return answer.record;
      }
      reasons.push(answer.reason);
      // The database's own "no such record" is final; a fork is the database's lie, not a mirror's.
      if ((answer.kind === 'absent' && base === sumdb.url) || answer.kind === 'forked') break;
    }
    return reasons.join('; ') || 'the gate is closed';
  }

  /** One lookup per module@version at a time, shared by the .mod and .zip checks that wait for it. */
  function sharedRecord(
    target: { module: string; version: string },
    key: VerifierKey,
  ): Promise<ProvenRecord | string> {
    const id = `${target.module}@${target.version}`;
    const held = records.get(id);
    if (held) return Promise.resolve(held);
    let pending = inFlight.get(id);
    if (!pending) {
      pending = recordOf(target, key).finally(() => inFlight.delete(id));
      inFlight.set(id, pending);
    }
    return pending;
  }

  return {
    async check(target, signal): Promise<IntegrityResult> {
      const { module, version, kind } = target;
      const file = 'file' in target ? target.file : 'the go.mod held in memory';
      if (privacy.notChecked(module))
        return {
          outcome: 'unchecked',
          reason: `${module} is private (GONOSUMDB/GOPRIVATE/GOSUMDB=off): not looked up`,
        };
      if (closed) return { outcome: 'unchecked', reason: 'the integrity gate is closed' };
      // Only characters go's module paths and versions may hold go into a lookup URL.
      if (!SAFE_MODULE.test(module) || module.split('/').includes('..') || !SAFE_VERSION.test(version))
        return {
          outcome: 'unchecked',
          reason: `not a module version go would ask for: ${JSON.stringify(`${module}@${version}`)}`,
        };
      if (!key)
        return {
          outcome: 'unchecked',
          reason: `no verifier key for ${sumdb.name} in the config (sumdb.key): no record can be proven`,
        };
      // The file is hashed while the record is fetched; neither waits for the other.
      const settled = await untilAborted(
        signal,
        Promise.allSettled([hashOf(target, signal), sharedRecord({ module, version }, key)]),
      );
      if (!settled || signal.aborted) return { outcome: 'unchecked', reason: 'the request was cancelled' };
      const [hashed, recorded] = settled;
      // sharedRecord never rejects: a failure is its reason.
      const record = recorded.status === 'fulfilled' ? recorded.value : String(recorded.reason);
      const expected = typeof record === 'string' ? undefined : record[kind];
      if (hashed.status === 'rejected') {
        const failure = hashed.reason as NodeJS.ErrnoException;
        // The file itself cannot be read here: nothing is known about the mirror from that.
        if (failure.code && /^E[A-Z]+$/.test(failure.code))
          return { outcome: 'unchecked', reason: `cannot read ${file}: ${failure.message}` };
        // Not a module zip at all (or one go would refuse): certainly not the bytes the database records.
        if (expected) return { outcome: 'mismatch', h1: `not a module zip (${failure.message})`, expected };
        return { outcome: 'unchecked', reason: `${file} is not a module zip: ${failure.message}` };
      }
      if (typeof record === 'string') return { outcome: 'unchecked', reason: record };
      if (!expected)
        return {
          outcome: 'unchecked',
          reason: `the record of ${module}@${version} (from ${record.from}) has no ${kind === 'mod' ? 'go.mod ' : ''}hash`,
        };
      const h1 = hashed.value;
      return h1 === expected ? { outcome: 'verified', h1 } : { outcome: 'mismatch', h1, expected };
    },
    usage: () => ({ records: records.size(), tiles: tiles.size(), treeSize: latest?.size ?? null }),
    close() {
      closed = true;
      if (!options.runContext) shared.close(); // a context it was given is its owner's to close
    },
  };
}

/** The work's result, or undefined as soon as the signal fires; the listener goes when it is done. */
function untilAborted<T>(signal: AbortSignal, work: Promise<T>): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  let onAbort = () => {};
  const aborted = new Promise<undefined>((resolve) => {
    onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([work, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}

/** The h1 of a go.mod alone (from memory, or streamed from disk) or of every file of a module zip; stops when the request does. */
async function hashOf(target: CheckedFile, signal: AbortSignal): Promise<string> {
  if ('body' in target) return hashGoMod(target.body);
  const { kind, file } = target;
  if (kind === 'zip') return hashZip(file, signal);
  const sha = createHash('sha256');
  for await (const chunk of createReadStream(file, { signal })) sha.update(chunk as Buffer);
  return h1FromFileHashes([{ name: 'go.mod', sha256Hex: sha.digest('hex') }]);
}

interface Lru<T> {
  get(key: string): T | undefined;
  set(key: string, value: T): void;
  delete(key: string): void;
  size(): number;
}

/** A map that forgets its least recently used entries beyond `max`. */
function lru<T>(max: number): Lru<T> {
  const map = new Map<string, T>();
  return {
    get(key) {
      const value = map.get(key);
      if (value !== undefined) {
        map.delete(key);
        map.set(key, value);
      }
      return value;
    },
    set(key, value) {
      map.delete(key);
      map.set(key, value);
      for (const oldest of map.keys()) {
        if (map.size <= max) break;
        map.delete(oldest);
      }
    },
    delete: (key) => void map.delete(key),
    size: () => map.size,
  };
}

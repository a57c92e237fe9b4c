import { X509Certificate } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { createSecureContext, rootCertificates } from 'node:tls';
import type { Config } from '../config/schema.js';
import type { ProbeContext } from './context.js';
import { type DatabaseHealth, probeDatabase } from './database.js';
import { createDohClient } from './doh.js';
import { probeMirror } from './goproxy.js';
import { type ProxyHealth, probeProxy } from './proxy.js';
import type { MirrorHealth, MirrorObservation } from './types.js';
import { judgeMirror } from './verdict.js';

export interface HealthReport {
  deadlineMs: number;
  elapsedMs: number;
  canary: { module: string; version: string };
  mirrors: MirrorHealth[];
  proxies: ProxyHealth[];
  /** The checksum database at its own URL (sumdb.url). */
  database: DatabaseHealth;
}

export interface ProbeProgress {
  done: number;
  total: number;
  mirror: MirrorHealth;
}

/**
 * Probes every mirror at once under one deadline: the run takes as long as the slowest probe
 * and never longer than the deadline, however many mirrors hang.
 */
export async function probeMirrors(
  config: Config,
  extraCas: string[],
  onProgress: (progress: ProbeProgress) => void = () => {},
  /** The last tree head verified (from the state), to detect a forked log. */
  previousHead?: { size: number; hash: string },
): Promise<HealthReport> {
  const started = performance.now();
  // A referenced timer (AbortSignal.timeout's is not) so the deadline fires even when nothing
  // else keeps the event loop busy.
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), config.deadlineMs);
  setMaxListeners(0, deadline.signal); // every socket of every probe listens to this one signal
  const trustedCas = [...rootCertificates, ...extraCas];
  const secureContext = createSecureContext({ ca: trustedCas });
  const doh = createDohClient(secureContext);
  const context: ProbeContext = {
    signal: deadline.signal,
    deadlineMs: config.deadlineMs,
    ...(config.dns.systemResolver ? { systemResolver: config.dns.systemResolver } : {}),
    trustedResolvers: config.dns.trusted,
    doh,
    dnsCache: new Map(),
    secureContext,
    extraCaFingerprints: new Set(extraCas.flatMap(fingerprints)),
    canary: config.canary,
    sumdb: config.sumdb,
  };
  let done = 0;
  // Probes, the database and the proxies run at once; verdicts need the database's record
  // (tampered), so mirrors are judged when everything has answered.
  const probing = Promise.all(
    config.mirrors.map(async (mirror) => {
      const mirrorStarted = performance.now();
      const observation = await probeMirror(mirror.url, context);
      const judged = { mirror, observation, latencyMs: performance.now() - mirrorStarted };
      onProgress({ done: ++done, total: config.mirrors.length, mirror: judge(judged, null) });
      return judged;
    }),
  );
  const judge = (
    {
      mirror,
      observation,
      latencyMs,
    }: { mirror: Config['mirrors'][number]; observation: MirrorObservation; latencyMs: number },
    record: DatabaseHealth['record'],
  ) =>
    judgeMirror({
      name: mirror.name,
      url: mirror.url,
      observation,
      latencyMs,
      canary: config.canary,
      deadlineMs: config.deadlineMs,
      integrity: record?.mod
        ? { modHash: record.mod, database: config.sumdb.name, treeSize: record.treeSize }
        : undefined,
    });
  // Each proxy tunnels to the first https mirror, concurrently with the mirror probes.
  const target = new URL(
    config.mirrors.find((m) => m.url.startsWith('https:'))?.url ?? (config.mirrors[0]?.url as string),
  );
  const proxying = Promise.all(config.proxies.candidates.map((proxy) => probeProxy(proxy, target, context)));
  const database = probeDatabase(config.sumdb, context, previousHead);
  const [observed, proxies, databaseHealth] = await Promise.all([probing, proxying, database]).finally(() => {
    clearTimeout(timer);
    doh.close().catch(() => {});
  });
  const mirrors = observed.map((judged) => judge(judged, databaseHealth.record));
  return {
    deadlineMs: config.deadlineMs,
    elapsedMs: Math.round(performance.now() - started),
    canary: config.canary,
    mirrors,
    proxies,
    database: databaseHealth,
  };
}

/** Node reports fingerprint256 as colon-separated upper-case hex; so do we. */
function fingerprints(pem: string): string[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => new X509Certificate(block).fingerprint256);
}

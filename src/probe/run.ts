import type { Config } from '../config/schema.js';
import { type DatabaseHealth, probeDatabase } from './database.js';
import { probeMirror } from './goproxy.js';
import { MAX_PROXY_TARGETS, type ProxyHealth, probeProxyThroughAny } from './proxy.js';
import type { ProxyRoute } from './route.js';
import { createRunContext } from './run-context.js';
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
  /** The proxy go would use: mirrors and the database are reached through it, as go would. */
  route?: ProxyRoute,
): Promise<HealthReport> {
  const started = performance.now();
  const { context, close } = createRunContext(config, extraCas, config.deadlineMs, config.canary, route);
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
  // Each proxy tunnels to a few https mirrors at once, concurrently with the mirror probes; one
  // proven tunnel makes it healthy (a mirror that is down says nothing about the proxy).
  const https = config.mirrors.filter((m) => m.url.startsWith('https:'));
  const targets = (https.length > 0 ? https : config.mirrors.slice(0, 1))
    .slice(0, MAX_PROXY_TARGETS)
    .map((m) => new URL(m.url));
  const proxying = Promise.all(
    config.proxies.candidates.map((proxy) => probeProxyThroughAny(proxy, targets, context)),
  );
  const database = probeDatabase(config.sumdb, context, previousHead);
  const [observed, proxies, databaseHealth] = await Promise.all([probing, proxying, database]).finally(close);
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

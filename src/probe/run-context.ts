import { X509Certificate } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { createSecureContext, rootCertificates } from 'node:tls';
import type { Config } from '../config/schema.js';
import type { ProbeContext } from './context.js';
import { createDohClient } from './doh.js';
import type { ProxyRoute } from './route.js';

/** A run's shared context and how to end it: one deadline, one trust store, one DoH pool. */
export interface RunContext {
  context: ProbeContext;
  /** Stops the deadline timer and closes the DoH connections. */
  close(): void;
}

/**
 * Builds what every probe of one run shares. The deadline uses a referenced timer
 * (AbortSignal.timeout's is not), so it fires even when nothing else keeps the event loop busy.
 */
export function createRunContext(
  config: Config,
  extraCas: string[],
  deadlineMs: number,
  canary: { module: string; version: string } = config.canary,
  route?: ProxyRoute,
): RunContext {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), deadlineMs);
  setMaxListeners(0, deadline.signal); // every socket of every probe listens to this one signal
  const secureContext = createSecureContext({ ca: [...rootCertificates, ...extraCas] });
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
    canary,
    sumdb: config.sumdb,
    ...(route ? { route } : {}),
  };
  return {
    context,
    close: () => {
      clearTimeout(timer);
      doh.close().catch(() => {});
    },
  };
}

/** Node reports fingerprint256 as colon-separated upper-case hex; so do we. */
function fingerprints(pem: string): string[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => new X509Certificate(block).fingerprint256);
}

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
    extraCaFingerprints: new Map(extraCas.flatMap(anchors)),
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

// An extra root says where it is trusted from in a line above its PEM (PEM allows text there).
const TRUSTED_THROUGH = /^Trusted-Through: (.+)\n/;

/** A root the probes trust beyond Node's own, labelled with where it comes from. */
export function trustedThrough(source: string, pem: string): string {
  return `Trusted-Through: ${source}\n${pem}`;
}

/**
 * Each certificate's fingerprint (colon-separated upper-case hex, as Node reports
 * fingerprint256) and where it is trusted from: tls.extraCaFiles unless labelled.
 */
function anchors(pem: string): [string, string][] {
  const source = TRUSTED_THROUGH.exec(pem)?.[1] ?? 'tls.extraCaFiles';
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => [new X509Certificate(block).fingerprint256, source]);
}

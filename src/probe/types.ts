import type { DnsAssessment } from './dns-verdict.js';

/** The closed set of verdicts. Every result carries evidence that explains its verdict. */
export const VERDICTS = [
  'healthy',
  'degraded',
  'dns-failed',
  'dns-hijacked',
  'tls-invalid',
  'http-error',
  'bad-response',
  'captive-portal',
  'timeout',
  'unreachable',
  'auth-required',
  'tampered',
] as const;
export type Verdict = (typeof VERDICTS)[number];

export type Phase = 'dns' | 'connect' | 'tls' | 'ttfb' | 'transfer';

/** Milliseconds spent in each phase that ran; a phase that never started is absent. */
export type PhaseTimings = Partial<Record<Phase, number>>;

export interface TlsDetails {
  /** Subjects from the leaf up, e.g. "CN=goproxy.cn". */
  chain: string[];
  /** The earliest notAfter in the chain (ISO 8601): the day this mirror's TLS breaks. */
  earliestExpiry: string | null;
  /**
   * Set when the chain is anchored by a root Node does not trust itself (a corporate inspection
   * CA?): its subject, and where it is trusted from (tls.extraCaFiles, the Windows store).
   */
  anchoredByExtraCa?: string;
  anchorTrustedThrough?: string;
}

/** One HTTP exchange of the GOPROXY or checksum-database protocol. */
export interface Exchange {
  step: 'list' | 'info' | 'mod' | 'sumdb-supported' | 'sumdb-lookup' | 'database';
  url: string;
  status: number;
  contentType: string;
  body: string;
  /** The body's exact bytes (hashes are taken over these, never over decoded text). */
  bytes: Buffer;
  truncated: boolean;
  location?: string;
  /** Redirects followed to get here, in order. */
  redirects: string[];
}

/** What a probe saw, before any judgement. The verdict is computed from this in verdict.ts. */
export interface MirrorObservation {
  phases: PhaseTimings;
  /** The address the first connection was pinned to, e.g. 127.0.0.1:8443. */
  address?: string;
  /** The proxy the mirror was reached through, scheme://host:port, no credentials. */
  via?: string;
  /** The DNS judgement of every host contacted (the mirror's, then any redirect host's). */
  dns: { host: string; assessment: DnsAssessment }[];
  tls?: TlsDetails;
  /** Set when a step failed; `phase` says where, `code` is the system or TLS error code. */
  failure?: {
    phase: Phase;
    code: string;
    message: string;
    timedOut: boolean;
    host: string;
    tls?: TlsDetails;
  };
  exchanges: Exchange[];
}

export type SumdbStatus = 'proxied' | 'not-proxied' | 'broken' | 'not-checked';

export interface MirrorHealth {
  name: string;
  url: string;
  verdict: Verdict;
  healthy: boolean;
  /** Time from the start of the probe to the end of the last body, or null when it never got there. */
  latencyMs: number | null;
  address: string | null;
  phases: PhaseTimings;
  tls: TlsDetails | null;
  /** Whether the mirror proxies the checksum database (GOSUMDB through the mirror). */
  sumdb: SumdbStatus;
  evidence: string[];
}

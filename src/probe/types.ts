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
  /** Bytes streamed to a file instead of kept in `bytes` (fetcher.download). */
  saved?: number;
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

/**
 * What every probe returns, for a mirror, a proxy or the checksum database: one of the closed
 * set of verdicts, judged from an observation in verdict.ts, and the evidence for it.
 */
export interface ProbeResult {
  name: string;
  url: string;
  verdict: Verdict;
  healthy: boolean;
  /** Time from the start of the probe to its last answer, or null when it never got there. */
  latencyMs: number | null;
  /** Why: cmd/go-style lines naming the URL, the step and what was seen, the reason first. */
  evidence: string[];
}

export interface MirrorHealth extends ProbeResult {
  address: string | null;
  phases: PhaseTimings;
  tls: TlsDetails | null;
  /** Whether the mirror proxies the checksum database (GOSUMDB through the mirror). */
  sumdb: SumdbStatus;
}

export interface ProxyHealth extends ProbeResult {
  /** The mirror the tunnel was opened to, host:port. */
  target: string;
}

/** What a proxy probe saw, before any judgement (judged by judgeProxy in verdict.ts). */
export interface ProxyObservation {
  /** The proxy's host:port and host name, as its URL gives them. */
  proxy: string;
  proxyHost: string;
  /** The mirror asked for through it: host:port, host name, origin. */
  target: string;
  targetHost: string;
  targetOrigin: string;
  /** A plain-http mirror is asked for in absolute form (GET), as go does; https with CONNECT. */
  plain: boolean;
  /** The proxy's address:port, once its name resolved. */
  address?: string;
  /** The head of the proxy's answer to CONNECT or GET. */
  answer?: string;
  /** TLS with the mirror's name was verified inside the tunnel. */
  tunnelVerified?: boolean;
  /** Where it failed: resolving the proxy, connecting to it, the request to it, TLS in the tunnel. */
  failure?: {
    stage: 'dns' | 'connect' | 'request' | 'tls';
    code: string;
    message: string;
    timedOut: boolean;
  };
}

/**
 * The checksum database at its own URL. Its evidence is one line, as the JSON has always shown it
 * (the other results list theirs).
 */
export interface DatabaseHealth extends Omit<ProbeResult, 'evidence'> {
  /** healthy: answered with a well-formed (and, with a key, correctly signed) tree head. */
  evidence: string;
  /** The latest tree head, verified with sumdb.key; absent when it could not be verified. */
  treeHead: { size: number; hash: string } | null;
  /** The canary's go.sum hashes, from a lookup record proven to be in the signed tree. */
  record: { zip?: string; mod?: string; id: number; treeSize: number } | null;
  /** The new tree is not an extension of the last one verified: the log was forked. */
  forked: boolean;
}

/** What the checksum-database probe saw, before any judgement (judged by judgeDatabase). */
export type DatabaseObservation =
  | { seen: 'status'; url: string; status: number }
  | { seen: 'not-a-tree-head'; url: string }
  /** A tree head, not verified: no sumdb.key to verify it with. */
  | { seen: 'unverified-head'; url: string }
  | { seen: 'bad-signature'; url: string; message: string }
  /** The new tree does not contain the one verified before. */
  | { seen: 'fork'; size: number; previous: { size: number; hash: string } }
  /** The head verified, but the lookup of the module version was not answered. */
  | { seen: 'no-lookup'; size: number; url: string; status: number }
  | { seen: 'not-proven'; id: number; target: { module: string; version: string }; size: number }
  | { seen: 'proven'; keyName: string; size: number; id: number; target: { module: string; version: string } }
  | {
      seen: 'failure';
      phase: string;
      code: string;
      message: string;
      timedOut: boolean;
      /** The DNS judgement, when the database's name was what failed. */
      dns?: DnsAssessment;
    };

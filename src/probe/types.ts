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
  'tampered',
] as const;
export type Verdict = (typeof VERDICTS)[number];

export type Phase = 'dns' | 'connect' | 'tls' | 'ttfb' | 'transfer';

/** Milliseconds spent in each phase that ran; a phase that never started is absent. */
export type PhaseTimings = Partial<Record<Phase, number>>;

/** What a probe saw, before any judgement. The verdict is computed from this in verdict.ts. */
export interface MirrorObservation {
  phases: PhaseTimings;
  /** The address the connection was pinned to, e.g. 127.0.0.1:8443. */
  address?: string;
  /** Set when a phase failed; `phase` says where, `code` is the system or TLS error code. */
  failure?: { phase: Phase; code: string; message: string; timedOut: boolean };
  response?: {
    url: string;
    status: number;
    contentType: string;
    body: string;
    truncated: boolean;
    location?: string;
  };
}

export interface MirrorHealth {
  name: string;
  url: string;
  verdict: Verdict;
  healthy: boolean;
  /** Time from the start of the probe to the end of the body, or null when it never got there. */
  latencyMs: number | null;
  address: string | null;
  phases: PhaseTimings;
  evidence: string[];
}

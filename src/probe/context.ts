import type { SecureContext } from 'node:tls';

/** What every probe in one run shares: the single deadline and how to resolve and trust. */
export interface ProbeContext {
  /** Aborted when the run's deadline passes; every socket and lookup listens to it. */
  signal: AbortSignal;
  deadlineMs: number;
  /** "host:port" of a DNS server used instead of the operating system's resolver. */
  systemResolver?: string;
  /** Trusts Node's root store plus tls.extraCaFiles; built once per run, shared by every probe. */
  secureContext: SecureContext;
  canary: { module: string; version: string };
}

/** Rejects with an AbortError as soon as the signal fires; for work that cannot be cancelled. */
export function whenAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () =>
      reject(Object.assign(new Error('deadline reached'), { code: 'ETIMEDOUT', timedOut: true }));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}

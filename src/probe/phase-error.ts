import type { Phase, TlsDetails } from './types.js';

/** A probe step that failed: in which phase, with which code, talking to which host. */
export class PhaseError extends Error {
  /** The chain that was offered, when a TLS check failed. */
  tls?: TlsDetails;
  /**
   * Set when the step was the proxy tunnel (the proxy itself was reached): its answer head when
   * it gave one, so a proxy probe can quote it and its Proxy-Authenticate challenge.
   */
  tunnel?: { answer?: string };
  constructor(
    readonly phase: Phase,
    readonly code: string,
    message: string,
    readonly timedOut = false,
    /** The host the failing step talked to (a redirect can lead to another one). */
    readonly host = '',
  ) {
    super(message);
  }
}

import { PhaseError } from './phase-error.js';
import type { Phase } from './types.js';

/**
 * The one error a probe step fails with when the run's deadline passes, whatever it was doing:
 * the verdict (timeout) reads `timedOut`, the evidence names the phase and the host.
 */
export function deadlineReached(phase: Phase, host: string): PhaseError {
  return new PhaseError(phase, 'ETIMEDOUT', 'deadline reached', true, host);
}

/** Rejects with deadlineReached as soon as the signal fires; for work that cannot be cancelled. */
export function whenAborted(signal: AbortSignal, phase: Phase, host: string): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () => reject(deadlineReached(phase, host));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}

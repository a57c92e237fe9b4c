// Kept apart from context.ts so the resolvers can use it without importing the context (no cycle).

/** Rejects with an AbortError as soon as the signal fires; for work that cannot be cancelled. */
export function whenAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () =>
      reject(Object.assign(new Error('deadline reached'), { code: 'ETIMEDOUT', timedOut: true }));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}

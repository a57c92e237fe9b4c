/**
 * Why a program could not be started that passes within moments: its file busy (an antivirus
 * scanning a freshly written go.exe on Windows; ETXTBSY on Linux while something still holds it
 * open for writing), no process to be had just now (EAGAIN), or a Windows error node has no name
 * for (UNKNOWN: seen from Wine's process server under load, "spawn UNKNOWN").
 */
const PASSING = new Set(['UNKNOWN', 'EBUSY', 'ETXTBSY', 'EAGAIN']);

/** The waits before each new try; a program that still cannot start after them is reported. */
const WAITS_MS = [100, 500];

/** An execa result or error for a program that never started, for one of the passing reasons. */
function notStarted(outcome: unknown): boolean {
  const run = outcome as { exitCode?: number; timedOut?: boolean; code?: string } | undefined;
  return run?.exitCode === undefined && !run?.timedOut && PASSING.has(run?.code ?? '');
}

/**
 * Runs one execa run (rejecting or not), and again after a short wait when the program could not
 * be started for a passing reason: nothing ran, so nothing is done twice.
 */
export async function startRetrying<T>(start: () => Promise<T>): Promise<T> {
  for (const wait of WAITS_MS) {
    try {
      const outcome = await start();
      if (!notStarted(outcome)) return outcome;
    } catch (error) {
      if (!notStarted(error)) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
  return start();
}

import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { ProbeContext } from './context.js';
import type { DnsObservation } from './dns-observation.js';
import { resolveHost } from './resolve.js';

// Its own file so context.ts can name it without importing this one (no cycle).
export type { DnsObservation };

/**
 * Resolves a host with the system resolver and every trusted resolver at once, plus a random
 * name below it. Results are shared by every mirror on the same host within one run.
 */
export function observeDns(host: string, context: ProbeContext): Promise<DnsObservation> {
  let pending = context.dnsCache.get(host);
  if (!pending) {
    pending = lookUp(host, context);
    context.dnsCache.set(host, pending);
  }
  return pending;
}

async function lookUp(host: string, context: ProbeContext): Promise<DnsObservation> {
  const started = performance.now();
  const literal = host.replace(/^\[|\]$/g, '');
  if (isIP(literal)) return { host, ms: 0, system: { addresses: [literal] }, trusted: [] };
  const { signal } = context;
  const system = resolveHost(host, signal, context.systemResolver).then(
    (addresses) => ({ addresses }),
    (error: NodeJS.ErrnoException & { timedOut?: boolean }) => ({
      error: {
        code: error.code ?? 'ERROR',
        message: error.message,
        timedOut: error.timedOut === true || signal.aborted,
      },
    }),
  );
  const trusted = Promise.all(context.trustedResolvers.map((url) => context.doh.resolve(url, host, signal)));
  const probeName = `gpg-${randomBytes(6).toString('hex')}.${host}`;
  const nonexistent =
    context.trustedResolvers.length === 0
      ? undefined
      : Promise.all([
          resolveHost(probeName, signal, context.systemResolver).catch(() => [] as string[]),
          Promise.all(context.trustedResolvers.map((url) => context.doh.resolve(url, probeName, signal))),
        ]).then(([systemAddresses, answers]) => ({
          name: probeName,
          systemAddresses,
          trustedSaysMissing: answers.some((a) => a.status === 'nxdomain'),
        }));
  const observation: DnsObservation = { host, ms: 0, system: await system, trusted: await trusted };
  // The system answer decides the phase time; the side checks only wait while time is left.
  observation.ms = Math.round(performance.now() - started);
  const extra = await nonexistent;
  if (extra) observation.nonexistent = extra;
  return observation;
}

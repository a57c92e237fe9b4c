// What hosts pinning needs to know about each mirror's name, gathered the way the probes do it:
// the system's DNS answer judged against the trusted resolvers, and which addresses prove the
// name over TLS. The decision itself is policy/pin-hosts.ts.
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import type { MirrorConfig } from '../config/schema.js';
import { type NameProof, systemAnswerOf } from '../policy/pin-hosts.js';
import { openConnection } from '../probe/connect.js';
import type { ProbeContext } from '../probe/context.js';
import { observeDns } from '../probe/dns.js';
import { assessDns } from '../probe/dns-verdict.js';
import { proxyFor } from '../probe/route.js';

/**
 * The DNS server the system asks, as "host:port", so a name is resolved without the hosts
 * file (which would answer a pinned name with the pin). c-ares reads the system's servers.
 */
export function systemDnsServer(): string | undefined {
  const server = new dns.Resolver().getServers()[0];
  if (!server) return undefined;
  return isIP(server) === 6 ? `[${server}]:53` : isIP(server) === 4 ? `${server}:53` : server;
}

/** The addresses among `candidates` that complete a TLS handshake proving `host`. */
export async function provenAddresses(
  host: string,
  port: number,
  candidates: readonly string[],
  context: ProbeContext,
): Promise<{ proven: string[]; evidence: string[] }> {
  const tried = await Promise.all(
    [...new Set(candidates)].map(async (address) => {
      try {
        const opened = await openConnection({
          address,
          port,
          host,
          secure: true,
          secureContext: context.secureContext,
          extraCaFingerprints: context.extraCaFingerprints,
          signal: context.signal,
        });
        opened.socket.destroy();
        return {
          address,
          ok: true,
          said: `${address} proved ${host} over TLS (${opened.tls?.chain[0] ?? 'verified'})`,
        };
      } catch (error) {
        const { phase = 'connect', message } = error as { phase?: string; message: string };
        return { address, ok: false, said: `${address} does not prove ${host}: ${phase} ${message}` };
      }
    }),
  );
  return { proven: tried.filter((t) => t.ok).map((t) => t.address), evidence: tried.map((t) => t.said) };
}

/**
 * One NameProof per https mirror host. `context` should resolve with the DNS server itself
 * (dns.systemResolver, else systemDnsServer()), never the hosts file; a mirror reached through
 * a proxy, or named by an address, has nothing to pin and answers "unknown".
 */
export async function gatherNameProofs(
  mirrors: readonly MirrorConfig[],
  pinned: Record<string, string[]>,
  context: ProbeContext,
): Promise<NameProof[]> {
  const byHost = new Map<string, URL>();
  for (const mirror of mirrors) {
    const url = new URL(mirror.url);
    const host = url.hostname.toLowerCase();
    if (!byHost.has(host)) byHost.set(host, url);
  }
  return Promise.all(
    [...byHost].map(async ([host, url]): Promise<NameProof> => {
      if (url.protocol !== 'https:' || isIP(host.replace(/^\[|\]$/g, '')) || proxyFor(context.route, url))
        return { host, system: 'unknown', proven: [], evidence: [] };
      const port = Number(url.port) || 443;
      const observation = await observeDns(host, context);
      const assessment = assessDns(observation, context.deadlineMs);
      const trusted = observation.trusted.flatMap((t) => (t.status === 'answered' ? t.addresses : []));
      const system = 'addresses' in observation.system ? observation.system.addresses : [];
      // A disjoint system answer is settled as the probe settles it: by a handshake on it.
      const onSystem = assessment.disjoint ? await provenAddresses(host, port, system, context) : undefined;
      const { proven, evidence } = await provenAddresses(
        host,
        port,
        [...trusted, ...(pinned[host] ?? [])],
        context,
      );
      return {
        host,
        system: systemAnswerOf(assessment, onSystem && onSystem.proven.length > 0),
        proven,
        evidence: [
          ...assessment.evidence,
          ...(onSystem?.evidence ?? []),
          ...evidence.filter((e) => e.includes(' proved ')),
        ],
      };
    }),
  );
}

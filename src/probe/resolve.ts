import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import { deadlineReached, whenAborted } from './deadline.js';

/**
 * Resolves a host name to addresses, with the OS resolver or with the DNS server named by
 * dns.systemResolver ("host:port"). IP literals resolve to themselves without a lookup.
 */
export async function resolveHost(host: string, signal: AbortSignal, server?: string): Promise<string[]> {
  const literal = host.replace(/^\[|\]$/g, '');
  if (isIP(literal)) return [literal];
  if (!server) {
    // getaddrinfo cannot be cancelled; racing it against the deadline keeps the run bounded.
    const found = await Promise.race([
      dns.lookup(host, { all: true, order: 'verbatim' }),
      whenAborted(signal, 'dns', host),
    ]);
    return found.map((entry) => entry.address);
  }
  const resolver = new dns.Resolver({ timeout: 2000, tries: 2 });
  resolver.setServers([server]);
  const cancel = () => resolver.cancel();
  signal.addEventListener('abort', cancel, { once: true });
  try {
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
    const addresses = [
      ...(v4.status === 'fulfilled' ? v4.value : []),
      ...(v6.status === 'fulfilled' ? v6.value : []),
    ];
    if (addresses.length > 0) return addresses;
    if (signal.aborted) throw deadlineReached('dns', host);
    throw v4.status === 'rejected' ? v4.reason : new Error(`no address for ${host}`);
  } finally {
    signal.removeEventListener('abort', cancel);
  }
}

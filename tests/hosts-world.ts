import { readFileSync } from 'node:fs';
import { readHostsBlock } from '../src/hosts/block.js';
import { type DnsBehaviour, type LabDnsServer, startDnsServer } from '../src/lab/dns-server.js';

// The lab's system resolver as Windows' DNS client behaves: a name in the hosts file's
// GoProxyGuard block is answered from there, every other one by the (hijacked) DNS server
// behind it. So "a name that resolves through the hosts file" can be probed on loopback.

/** As a Windows hosts file often is: a BOM, CRLF, comments and odd spacing, no final line break. */
export const ORIGINAL = Buffer.concat([
  Buffer.from([0xef, 0xbb, 0xbf]),
  Buffer.from(
    '# Copyright (c) 1993-2009 Microsoft Corp.\r\n#\r\n\t# localhost name resolution\r\n  127.0.0.1   localhost  \r\n::1\tlocalhost',
  ),
]);

/** Answers from the hosts file's block first (read on every query), else from `upstream`. */
class HostsFirst extends Map<string, DnsBehaviour> {
  constructor(
    private readonly hostsFile: string,
    private readonly upstream: Map<string, DnsBehaviour>,
  ) {
    super();
  }
  override get(name: string): DnsBehaviour | undefined {
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.hostsFile);
    } catch {
      bytes = Buffer.alloc(0);
    }
    const pinned = readHostsBlock(bytes).entries.find((e) => e.name === name);
    return pinned ? { kind: 'answer', addresses: pinned.addresses } : this.upstream.get(name);
  }
}

/**
 * Two resolvers on one upstream zone (the test changes it to "fix" the system answer): the
 * desktop's view through the hosts file, and the DNS server itself, which pinning asks so that
 * its own pins do not hide whether the system answer is healthy again.
 */
export async function hostsWorldResolvers(
  hostsFile: string,
  upstream: Map<string, DnsBehaviour>,
): Promise<{ throughHosts: LabDnsServer; server: LabDnsServer; close: () => Promise<void> }> {
  const throughHosts = await startDnsServer({
    names: new HostsFirst(hostsFile, upstream),
    otherwise: { kind: 'nxdomain' },
  });
  const server = await startDnsServer({ names: upstream, otherwise: { kind: 'nxdomain' } });
  return {
    throughHosts,
    server,
    close: async () => void (await Promise.all([throughHosts.close(), server.close()])),
  };
}

import { BlockList, isIPv4 } from 'node:net';

// Addresses a public name should never resolve to: private, loopback, link-local, CGNAT,
// documentation, benchmarking, multicast and reserved ranges (the "bogons").
const BOGONS = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  BOGONS.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['2001:db8::', 32],
  ['ff00::', 8],
] as const) {
  BOGONS.addSubnet(net, prefix, 'ipv6');
}

/** The bogon range an address falls in, described for evidence; undefined for a public address. */
export function bogonKind(address: string): string | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const ip = mapped ?? address;
  const family = isIPv4(ip) ? 'ipv4' : 'ipv6';
  if (!BOGONS.check(ip, family)) return undefined;
  if (/^127\.|^::1$/.test(ip)) return 'loopback';
  if (/^(10\.|172\.(1[6-9]|2\d|3[01])\.|192\.168\.)|^f[cd]/i.test(ip)) return 'private';
  if (/^0\.|^::$/.test(ip)) return 'unspecified';
  return 'reserved';
}

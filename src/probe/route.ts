import net from 'node:net';
import type { ProxyRoute } from '../config/proxy-route.js';

export type { ProxyRoute };

const pick = (env: NodeJS.ProcessEnv, name: string) => env[name] || env[name.toLowerCase()] || undefined;

/** The route go would take in this environment, or undefined when no proxy variable is set. */
export function routeFromEnv(env: NodeJS.ProcessEnv): ProxyRoute | undefined {
  const parse = (value: string | undefined) => {
    if (!value) return undefined;
    try {
      // go reads a bare "host:port" as http://host:port
      return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
    } catch {
      return undefined;
    }
  };
  const https = parse(pick(env, 'HTTPS_PROXY'));
  const http = parse(pick(env, 'HTTP_PROXY'));
  if (!https && !http) return undefined;
  const noProxy = (pick(env, 'NO_PROXY') ?? '')
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter(Boolean);
  return { ...(https ? { https } : {}), ...(http ? { http } : {}), noProxy };
}

/**
 * The proxy go would use for this URL, or undefined for a direct connection: the proxy in
 * HTTPS_PROXY / HTTP_PROXY (either case), unless NO_PROXY covers the host, following
 * golang.org/x/net/http/httpproxy (which go's module fetch uses): localhost and loopback addresses are never proxied; NO_PROXY "*" turns proxies off; an
 * entry matches the host itself and, as "example.com" or ".example.com", every name under it;
 * IP addresses and CIDR ranges match addresses; "host:port" matches that port only.
 */
export function proxyFor(route: ProxyRoute | undefined, url: URL): URL | undefined {
  if (!route) return undefined;
  const proxy = url.protocol === 'https:' ? route.https : url.protocol === 'http:' ? route.http : undefined;
  if (!proxy) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  if (host === 'localhost' || isLoopback(host)) return undefined;
  return route.noProxy.some((entry) => bypasses(entry, host, port)) ? undefined : proxy;
}

function bypasses(entry: string, host: string, port: string): boolean {
  if (entry === '*') return true;
  if (entry.includes('/')) return net.isIP(host) !== 0 && inCidr(host, entry);
  let name = entry;
  const hostPort = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(entry);
  if (hostPort) {
    if (hostPort[2] !== port) return false;
    name = hostPort[1] as string;
  }
  name = name.replace(/^\[|\]$/g, '');
  if (net.isIP(name)) return name === host;
  const suffix = name.replace(/^\*?\./, '');
  return host === suffix || host.endsWith(`.${suffix}`);
}

function isLoopback(host: string): boolean {
  if (net.isIPv4(host)) return host.startsWith('127.');
  return host === '::1';
}

function inCidr(address: string, cidr: string): boolean {
  const [base = '', bitsText = ''] = cidr.split('/');
  const bits = Number(bitsText);
  const list = new net.BlockList();
  const family = net.isIPv6(base) ? 'ipv6' : 'ipv4';
  if (!net.isIP(base) || !Number.isInteger(bits)) return false;
  try {
    list.addSubnet(base, bits, family);
    return list.check(address, net.isIPv6(address) ? 'ipv6' : 'ipv4');
  } catch {
    return false;
  }
}

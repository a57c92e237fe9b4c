// Built-in defaults. These public hosts are contacted only when a user runs GoProxyGuard without
// a config; tests never do, except the one that runs inside a loopback-only network namespace.
export const DEFAULT_MIRRORS = [
  { name: 'goproxy.cn', url: 'https://goproxy.cn' },
  { name: 'aliyun', url: 'https://mirrors.aliyun.com/goproxy' },
  { name: 'goproxy.io', url: 'https://goproxy.io' },
  { name: 'proxy.golang.org', url: 'https://proxy.golang.org' },
] as const;

/** A small, long-lived module every public mirror serves. */
export const DEFAULT_CANARY = { module: 'golang.org/x/text', version: 'v0.14.0' } as const;

export const DEFAULT_DEADLINE_MS = 5000;
export const MIN_DEADLINE_MS = 100;
export const MAX_DEADLINE_MS = 120_000;

/**
 * DoH resolvers compared with the system resolver. IP-literal URLs, so that a hijacked system
 * resolver cannot also misdirect the check itself (AliDNS for users in China, Cloudflare).
 */
export const DEFAULT_TRUSTED_RESOLVERS = [
  'https://223.5.5.5/dns-query',
  'https://1.1.1.1/dns-query',
] as const;

export const DEFAULT_SUMDB_NAME = 'sum.golang.org';

/**
 * Where the guard proxy listens unless guard.listen or --listen says otherwise. Loopback only;
 * 47193 is below Windows' dynamic port range (49152-65535), so no outgoing connection of the
 * desktop is handed it, and no common developer tool claims it.
 */
export const DEFAULT_GUARD_LISTEN = '127.0.0.1:47193';

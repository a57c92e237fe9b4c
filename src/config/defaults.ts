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

/** Exit codes shared by every command; the PowerShell module and scheduled task rely on them. */
export const EXIT = {
  /** Done, and at least one mirror is healthy. */
  ok: 0,
  /** Done, but nothing is healthy. */
  unhealthy: 1,
  /** Bad input (argv or config); nothing was changed. */
  badInput: 2,
  /** A bug or an environment problem GoProxyGuard did not expect (or a change that did not verify). */
  internal: 3,
  /** Another GoProxyGuard run holds the lock; nothing was changed. */
  locked: 4,
} as const;

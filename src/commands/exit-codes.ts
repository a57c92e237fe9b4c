/** Exit codes shared by every command; the PowerShell module and scheduled task rely on them. */
export const EXIT = {
  /** Done, and at least one mirror is healthy. */
  ok: 0,
  /** Done, but nothing is healthy. */
  unhealthy: 1,
  /**
   * What the user must change; nothing was changed. Bad input (argv, config, a backup taken under
   * another GOENV) or the machine (a read-only, full or unwritable state folder, a missing tool).
   */
  badInput: 2,
  /** A tool that failed, a change that did not verify (put back), or a bug ("internal error"). */
  internal: 3,
  /** Another GoProxyGuard run holds the lock; nothing was changed. */
  locked: 4,
} as const;

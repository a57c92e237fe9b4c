// Guard mode's GOPROXY rule: go is pointed at the guard proxy once, and the value is left alone.
// Pure: the current value and this run's plain list come in, the value to write goes out.

/** The GOPROXY entry that points go at a guard listening on `listen` ("127.0.0.1:47193"). */
export function guardUrl(listen: string): string {
  return `http://${listen}`;
}

/**
 * The guard entry of a GOPROXY value: its first entry when that is a plain http URL on a
 * loopback address (the guard never listens anywhere else), with the separator after it.
 * `separator` is undefined when the guard is the only entry.
 */
export function guardEntryOf(goproxy: string): { url: string; separator: ',' | '|' | undefined } | undefined {
  const match = /^(http:\/\/(?:127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\]|localhost):\d{1,5})\/?([,|]|$)/.exec(
    goproxy,
  );
  if (!match?.[1]) return undefined;
  return { url: match[1], separator: (match[2] || undefined) as ',' | '|' | undefined };
}

/** The entries after the guard ("the tail"), or every entry when the value has no guard in front. */
function tailOf(goproxy: string): string[] {
  const entries = goproxy.split(/[,|]/).filter((e) => e !== '');
  return guardEntryOf(goproxy) ? entries.slice(1) : entries;
}

/** A GOPROXY value with a guard in front reduced to the entries after it (joined with "|"). */
export function withoutGuard(goproxy: string): string {
  return guardEntryOf(goproxy) ? tailOf(goproxy).join('|') || goproxy : goproxy;
}

export interface GuardModeInput {
  listen: string;
  /** The GOPROXY go uses now. */
  current: string;
  /** This run's plain list (health-ordered usable mirrors, then direct when allowed); empty when none works. */
  entries: string[];
  /** The value to fall back on for the tail when no mirror works now (the last good, or the current value). */
  fallback: string;
}

/**
 * What guard mode writes, and why. The rule ("set once, never switched"):
 * - GOPROXY without our guard in front (first run in guard mode, another listen address, a `,`
 *   after the guard): write http://<listen>|<usable mirrors, health-ordered>.
 * - Our guard already in front with `|`: leave the value alone when mirror health only changes
 *   the order (the guard orders mirrors per request; the tail is only go's way around a guard
 *   that is down). Rewrite the tail only when its members change: a mirror taken out after
 *   policy.failAfter failed runs (go would stall on it, with no timeout, exactly when the guard
 *   is down) or put back after policy.recoverAfter healthy runs. When no mirror works now, the
 *   tail is kept as it is.
 */
export function guardGoproxy(input: GuardModeInput): { goproxy: string; reason: string } {
  const url = guardUrl(input.listen);
  const written = guardEntryOf(input.current);
  const tail = input.entries.length ? input.entries : tailOf(input.fallback);
  const fresh = [url, ...tail].join('|');
  if (!written || written.url !== url) {
    return {
      goproxy: fresh,
      reason: `guard mode: GOPROXY points go at the guard proxy ${url}; the mirrors after "|" are go's way around it when it is down`,
    };
  }
  if (written.separator !== '|') {
    return {
      goproxy: fresh,
      reason: `guard mode: GOPROXY has ${written.separator ? `"${written.separator}"` : 'nothing'} after the guard ${url}; rewritten with "|" so go moves on at once when the guard is down`,
    };
  }
  const now = tailOf(input.current);
  const same = now.length === tail.length && now.every((entry) => tail.includes(entry));
  if (!input.entries.length || same) {
    return {
      goproxy: input.current,
      reason: `guard mode: GOPROXY already points go at the guard proxy ${url}; left alone (the guard orders the mirrors per request)`,
    };
  }
  const gone = now.filter((e) => !tail.includes(e));
  const added = tail.filter((e) => !now.includes(e));
  const what = [
    ...(gone.length ? [`${gone.join(', ')} out`] : []),
    ...(added.length ? [`${added.join(', ')} in`] : []),
  ].join(', ');
  return {
    goproxy: fresh,
    reason: `guard mode: the fallback after the guard ${url} changed members (${what}); tail rewritten, the guard stays first`,
  };
}

/**
 * The guard address status and doctor ask: the one GOPROXY names first (that is where go goes),
 * else guard.listen when guard mode is on; undefined when neither points at a guard, so those
 * commands open no connection at all.
 */
export function guardToAsk(goproxy: string, guard: { enabled: boolean; listen: string }): string | undefined {
  const entry = guardEntryOf(goproxy);
  if (entry) return entry.url.slice('http://'.length);
  return guard.enabled ? guard.listen : undefined;
}

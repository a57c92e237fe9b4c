/**
 * Checks a GOPROXY value the way go parses it at use (cmd/go proxyList), but stricter: go
 * accepts `go env -w GOPROXY=ftp://x` or `a,,b` and fails only when downloading, so GoProxyGuard
 * refuses before writing. Returns the problem, or undefined when go will use the value as meant.
 */
export function goproxyProblem(value: string): string | undefined {
  if (value.trim() === '') return 'is empty; go would fall back to its default';
  if (/\s/.test(value))
    return `contains white space (${JSON.stringify(value)}); separate entries with "," or "|" only`;
  const entries = value.split(/[,|]/);
  for (const [index, entry] of entries.entries()) {
    const where = `entry ${index + 1} of ${JSON.stringify(value)}`;
    if (entry === '') return `${where} is empty (two separators in a row, or one at an end)`;
    if (entry === 'direct' || entry === 'off') {
      if (index < entries.length - 1)
        return `${where} is "${entry}", which ends the list: the entries after it are never used`;
      continue;
    }
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      return `${where} (${entry}) is not a URL with a scheme such as https://`;
    }
    if (!['https:', 'http:', 'file:'].includes(url.protocol)) {
      return `${where} (${entry}) has the scheme ${url.protocol.slice(0, -1)}, which go does not support (https, http or file)`;
    }
  }
  return undefined;
}

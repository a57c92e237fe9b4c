/**
 * Warnings about private module paths that would reach public mirrors. go sends a module to the
 * GOPROXY list unless it matches GONOPROXY, and GONOPROXY defaults to GOPRIVATE; an explicit
 * GONOPROXY that does not cover a GOPRIVATE pattern leaks those paths to every mirror.
 */
export function privateModuleWarnings(settings: {
  GOPRIVATE: string;
  GONOPROXY: string;
  GONOSUMDB: string;
}): string[] {
  const split = (list: string) =>
    list
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
  const privatePatterns = split(settings.GOPRIVATE);
  const noProxy = split(settings.GONOPROXY);
  const warnings: string[] = [];
  if (privatePatterns.length === 0 || noProxy.length === 0) return warnings;
  const uncovered = privatePatterns.filter((pattern) => !noProxy.some((p) => covers(p, pattern)));
  if (uncovered.length > 0) {
    warnings.push(
      `GONOPROXY (${settings.GONOPROXY}) does not cover GOPRIVATE ${uncovered.join(', ')}: go will ask the public mirrors for those private paths; add them to GONOPROXY or unset GONOPROXY`,
    );
  }
  return warnings;
}

/** Whether glob pattern `outer` matches every path `inner` matches (same or a path prefix). */
function covers(outer: string, inner: string): boolean {
  if (outer === 'none') return false;
  if (outer === inner) return true;
  const prefix = outer.split('/');
  const path = inner.split('/');
  return prefix.length <= path.length && prefix.every((part, i) => globMatch(part, path[i] ?? ''));
}

function globMatch(pattern: string, text: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]')}$`,
  );
  return regex.test(text);
}

/**
 * Words the runtime's camelCase JSON writes as one lower-case word but whose owners write in
 * two (Go's environment variables, Windows' proxy APIs, DNS). Capitalising the first letter
 * alone would give Goproxy and Gosumdb; PowerShell users expect GoProxy and GoSumDb. The
 * module converts every property name it emits with this list (the psm1 gets a copy), and the
 * format views' column names go through the same list.
 */
export const COMPOUND_WORDS: Record<string, string> = {
  goproxy: 'GoProxy',
  gosumdb: 'GoSumDb',
  goprivate: 'GoPrivate',
  gonoproxy: 'GoNoProxy',
  gonosumdb: 'GoNoSumDb',
  goflags: 'GoFlags',
  goenv: 'GoEnv',
  gomodcache: 'GoModCache',
  sumdb: 'SumDb',
  wininet: 'WinInet',
  winhttp: 'WinHttp',
  nxdomain: 'NxDomain',
  textfile: 'TextFile',
};

/** The PowerShell name of a JSON property: goproxySource -> GoProxySource, latencyMs -> LatencyMs. */
export function powerShellPropertyName(name: string): string {
  return name
    .split(/(?<=[a-z0-9])(?=[A-Z])/)
    .map((word) => compound.get(word.toLowerCase()) ?? word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

const compound = new Map(Object.entries(COMPOUND_WORDS));

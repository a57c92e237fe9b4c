/**
 * What go asked the guard for, read from the request path. Module paths and versions arrive
 * case-encoded ("!" + lower case for each upper-case letter) and are checked as cmd/go checks
 * them (golang.org/x/mod/module UnescapePath + CheckPath, UnescapeVersion), so a path go would
 * never send is refused before any mirror sees it. Pure.
 */
export type GuardRequest =
  | {
      kind: 'module';
      /** The module path as go names it (unescaped), for GOPRIVATE/GONOSUMDB matching. */
      module: string;
      file: 'list' | 'latest' | 'info' | 'mod' | 'zip';
      /** Unescaped version, for .info/.mod/.zip. */
      version?: string;
      /** The path exactly as go sent it (escaped), forwarded to mirrors as it is. */
      upstreamPath: string;
    }
  | {
      kind: 'sumdb';
      /** The database's own path after /sumdb/<name>: /supported, /latest, /lookup/..., /tile/... */
      databasePath: string;
      /** Tiles and lookups of a version never change; the latest tree head does. */
      immutable: boolean;
    }
  | { kind: 'status' }
  | { kind: 'not-found'; why: string };

export const STATUS_PATH = '/_guard/status';

export function parseRequestPath(rawPath: string, sumdbName: string): GuardRequest {
  const path = rawPath.split('?')[0] ?? '';
  if (path === STATUS_PATH) return { kind: 'status' };
  const sumdbPrefix = `/sumdb/${sumdbName}/`;
  if (path.startsWith('/sumdb/')) {
    if (!path.startsWith(sumdbPrefix))
      return notFound(`no checksum database other than ${sumdbName} is served`);
    const databasePath = path.slice(sumdbPrefix.length - 1);
    if (databasePath === '/supported' || databasePath === '/latest')
      return { kind: 'sumdb', databasePath, immutable: false };
    const lookup = /^\/lookup\/(.+)@([^@/]+)$/.exec(databasePath);
    if (lookup) {
      // <escaped module>@<escaped version>, checked like a module request: an escaped dot or
      // slash (%2e%2e) would be resolved on the way out and reach another path, a private one too.
      const module = moduleFrom(lookup[1] as string);
      if (typeof module !== 'string') return module;
      const version = unescapeGoPath(lookup[2] as string);
      if (version === undefined || !versionOk(version)) return notFound(`invalid version: ${lookup[2]}`);
      return { kind: 'sumdb', databasePath, immutable: true };
    }
    // tile/H/L/NNN[.p/W] or tile/H/data/NNN[.p/W] (golang.org/x/mod/sumdb/tlog ParseTilePath)
    if (/^\/tile\/\d+\/(\d+|data)(\/x\d{3})*\/\d{3}(\.p\/\d+)?$/.test(databasePath))
      return { kind: 'sumdb', databasePath, immutable: true };
    return notFound(`not a checksum database path: ${databasePath}`);
  }
  if (path.endsWith('/@latest')) {
    const module = moduleFrom(path.slice(1, -'/@latest'.length));
    return typeof module === 'string'
      ? { kind: 'module', module, file: 'latest', upstreamPath: path }
      : module;
  }
  const at = path.lastIndexOf('/@v/');
  if (at <= 0) return notFound('not a GOPROXY path (/<module>/@v/... or /<module>/@latest)');
  const module = moduleFrom(path.slice(1, at));
  if (typeof module !== 'string') return module;
  const rest = path.slice(at + '/@v/'.length);
  if (rest === 'list') return { kind: 'module', module, file: 'list', upstreamPath: path };
  const match = /^(.+)\.(info|mod|zip)$/.exec(rest);
  if (!match) return notFound(`not a GOPROXY file: @v/${rest}`);
  const version = unescapeGoPath(match[1] as string);
  if (version === undefined || !versionOk(version)) return notFound(`invalid version: ${match[1]}`);
  return { kind: 'module', module, file: match[2] as 'info' | 'mod' | 'zip', version, upstreamPath: path };
}

const notFound = (why: string): GuardRequest => ({ kind: 'not-found', why });

function moduleFrom(escaped: string): string | GuardRequest {
  const module = unescapeGoPath(escaped);
  if (module === undefined) return notFound(`invalid escaped module path: ${escaped}`);
  const problem = modulePathProblem(module);
  return problem ? notFound(`malformed module path "${module}": ${problem}`) : module;
}

/** module.unescapeString: "!x" is "X"; a bare upper-case letter or a dangling "!" is invalid. */
export function unescapeGoPath(escaped: string): string | undefined {
  let out = '';
  for (let i = 0; i < escaped.length; i++) {
    const c = escaped[i] as string;
    if (c >= 'A' && c <= 'Z') return undefined;
    if (c === '!') {
      const next = escaped[i + 1];
      if (next === undefined || next < 'a' || next > 'z') return undefined;
      out += next.toUpperCase();
      i++;
    } else out += c;
  }
  return out;
}

/** module.CheckPath, without the rules only import paths need. */
export function modulePathProblem(path: string): string | undefined {
  const elements = path.split('/');
  const first = elements[0] ?? '';
  if (!first.includes('.')) return 'missing dot in first path element';
  if (first.startsWith('-')) return 'leading dash in first path element';
  if (!/^[a-z0-9.-]+$/.test(first)) return 'invalid char in first path element';
  for (const element of elements) {
    if (element === '') return 'empty path element';
    if (!/^[A-Za-z0-9._~-]+$/.test(element)) return `invalid char in path element "${element}"`;
    if (element.startsWith('.') || element.endsWith('.')) return `leading or trailing dot in "${element}"`;
  }
  return undefined;
}

/** A version as go would request it: printable, no path separators, not "." or "..". */
function versionOk(version: string): boolean {
  return /^[A-Za-z0-9._+~-]+$/.test(version) && version !== '.' && version !== '..';
}

import type { ModulePrivacy } from './contracts.js';

/** go's own settings that keep modules away from mirrors and the checksum database (go env). */
export interface GoPrivacySettings {
  goprivate?: string | undefined;
  gonoproxy?: string | undefined;
  gonosumdb?: string | undefined;
  gosumdb?: string | undefined;
}

/**
 * Which modules go keeps to itself, decided exactly as cmd/go does: GONOPROXY and GONOSUMDB
 * default to GOPRIVATE when unset or empty (cmd/go/internal/cfg envOr), each is a list of glob
 * patterns matched against path prefixes (module.MatchPrefixPatterns), and GOSUMDB=off turns the
 * checksum database off for every module (modfetch useSumDB). Pure.
 */
export function modulePrivacy(settings: GoPrivacySettings): ModulePrivacy {
  const goprivate = settings.goprivate ?? '';
  const gonoproxy = settings.gonoproxy || goprivate;
  const gonosumdb = settings.gonosumdb || goprivate;
  const sumdbOff = settings.gosumdb === 'off';
  return {
    neverUpstream: (modulePath) => matchPrefixPatterns(gonoproxy, modulePath),
    notChecked: (modulePath) => sumdbOff || matchPrefixPatterns(gonosumdb, modulePath),
  };
}

/**
 * golang.org/x/mod/module MatchPrefixPatterns: whether any comma-separated glob matches a leading
 * prefix of target with as many path elements as the glob has (so "rsc.io" covers
 * "rsc.io/quote/v3"). Empty patterns are skipped; a malformed one matches nothing.
 */
export function matchPrefixPatterns(globs: string, target: string): boolean {
  for (const raw of globs.split(',')) {
    const glob = raw.endsWith('/') ? raw.slice(0, -1) : raw;
    if (glob === '') continue;
    // A glob with N slashes is matched against target cut just before its N+1th slash.
    let n = glob.split('/').length - 1;
    let prefix = target;
    for (let i = 0; i < target.length; i++) {
      if (target[i] !== '/') continue;
      if (n === 0) {
        prefix = target.slice(0, i);
        break;
      }
      n--;
    }
    if (n > 0) continue; // not enough elements in target
    if (pathMatch(glob, prefix)) return true;
  }
  return false;
}

class BadPattern extends Error {}

/**
 * Go's path.Match (go 1.19 src/path/match.go), ported term for term: "*" any run of non-"/"
 * characters, "?" one non-"/" character, "[...]" a class ("^" negates, "a-z" ranges), "\\"
 * escapes. Works on code points, as Go works on runes. A malformed pattern matches nothing.
 */
export function pathMatch(pattern: string, name: string): boolean {
  try {
    return match([...pattern], [...name]);
  } catch (error) {
    if (error instanceof BadPattern) return false;
    throw error;
  }
}

type Chars = string[];

function match(patternIn: Chars, nameIn: Chars): boolean {
  let pattern = patternIn;
  let name = nameIn;
  outer: while (pattern.length > 0) {
    const scanned = scanChunk(pattern);
    const { star, chunk } = scanned;
    pattern = scanned.rest;
    if (star && chunk.length === 0) return !name.includes('/'); // a trailing * takes the rest
    const here = matchChunk(chunk, name);
    // The last chunk must use up the name; otherwise the star may still find a later match.
    if (here && (here.length === 0 || pattern.length > 0)) {
      name = here;
      continue;
    }
    if (star) {
      for (let i = 0; i < name.length && name[i] !== '/'; i++) {
        const later = matchChunk(chunk, name.slice(i + 1));
        if (later) {
          if (pattern.length === 0 && later.length > 0) continue;
          name = later;
          continue outer;
        }
      }
    }
    // Before saying no, make sure the rest of the pattern is well formed (as Go does).
    while (pattern.length > 0) {
      const next = scanChunk(pattern);
      pattern = next.rest;
      matchChunk(next.chunk, []);
    }
    return false;
  }
  return name.length === 0;
}

function scanChunk(patternIn: Chars): { star: boolean; chunk: Chars; rest: Chars } {
  let pattern = patternIn;
  let star = false;
  while (pattern.length > 0 && pattern[0] === '*') {
    pattern = pattern.slice(1);
    star = true;
  }
  let inRange = false;
  let i = 0;
  scan: for (; i < pattern.length; i++) {
    switch (pattern[i]) {
      case '\\':
        if (i + 1 < pattern.length) i++;
        break;
      case '[':
        inRange = true;
        break;
      case ']':
        inRange = false;
        break;
      case '*':
        if (!inRange) break scan;
        break;
    }
  }
  return { star, chunk: pattern.slice(0, i), rest: pattern.slice(i) };
}

/** Matches a chunk (no stars) at the start of s: what is left of s, or undefined. Throws BadPattern. */
function matchChunk(chunkIn: Chars, sIn: Chars): Chars | undefined {
  let chunk = chunkIn;
  let s = sIn;
  // After a failure the chunk is still read to the end, to report a malformed pattern.
  let failed = false;
  while (chunk.length > 0) {
    if (!failed && s.length === 0) failed = true;
    const head = chunk[0];
    if (head === '[') {
      let char = '';
      if (!failed) {
        char = s[0] as string;
        s = s.slice(1);
      }
      chunk = chunk.slice(1);
      let negated = false;
      if (chunk[0] === '^') {
        negated = true;
        chunk = chunk.slice(1);
      }
      let matched = false;
      let ranges = 0;
      for (;;) {
        if (chunk[0] === ']' && ranges > 0) {
          chunk = chunk.slice(1);
          break;
        }
        const low = escaped(chunk);
        chunk = low.rest;
        let high = low;
        if (chunk[0] === '-') {
          high = escaped(chunk.slice(1));
          chunk = high.rest;
        }
        const code = char.codePointAt(0) ?? -1;
        if (low.code <= code && code <= high.code) matched = true;
        ranges++;
      }
      if (matched === negated) failed = true;
    } else if (head === '?') {
      if (!failed) {
        if (s[0] === '/') failed = true;
        s = s.slice(1);
      }
      chunk = chunk.slice(1);
    } else {
      if (head === '\\') {
        chunk = chunk.slice(1);
        if (chunk.length === 0) throw new BadPattern();
      }
      if (!failed) {
        if (chunk[0] !== s[0]) failed = true;
        s = s.slice(1);
      }
      chunk = chunk.slice(1);
    }
  }
  return failed ? undefined : s;
}

/** A possibly escaped character of a class; the class must go on after it. */
function escaped(chunkIn: Chars): { code: number; rest: Chars } {
  let chunk = chunkIn;
  if (chunk.length === 0 || chunk[0] === '-' || chunk[0] === ']') throw new BadPattern();
  if (chunk[0] === '\\') {
    chunk = chunk.slice(1);
    if (chunk.length === 0) throw new BadPattern();
  }
  const rest = chunk.slice(1);
  if (rest.length === 0) throw new BadPattern();
  return { code: (chunk[0] as string).codePointAt(0) as number, rest };
}

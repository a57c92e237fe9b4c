/**
 * Whether a mirror's 200 answer is what go asked for, judged as the probes judge the canary's
 * (src/probe/verdict.ts): a captive portal's HTML is a failure, a list is a version list, .info
 * is JSON naming a Version, .mod is a go.mod, .zip a zip. Pure: takes the received bytes (the
 * whole body for small files, the first bytes of a zip).
 */
export type AnswerKind = 'list' | 'latest' | 'info' | 'mod' | 'zip' | 'sumdb-text' | 'sumdb-tile';

/** Size caps: what go itself accepts (go.mod 16 MB, zip 500 MB), and generous ones for the rest. */
export const ANSWER_LIMITS: Record<AnswerKind, number> = {
  list: 4 * 1024 * 1024,
  latest: 64 * 1024,
  info: 64 * 1024,
  mod: 16 * 1024 * 1024,
  zip: 500 * 1024 * 1024,
  'sumdb-text': 64 * 1024,
  'sumdb-tile': 64 * 1024,
};

// go reads the first field of each line of a list (cmd/go/internal/modfetch/proxy.go).
const VERSION_FIELD = /^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

/** Why the answer is not usable, or undefined when go can use it. */
export function answerProblem(kind: AnswerKind, contentType: string, body: Buffer): string | undefined {
  if (/text\/html/i.test(contentType)) return `an HTML page (${contentType}), not ${WHAT[kind]}`;
  if (kind === 'sumdb-tile') return undefined; // binary hashes: any byte may come first
  if (kind === 'zip') {
    const magic = body.subarray(0, 4).toString('latin1');
    return magic === 'PK\x03\x04' || magic === 'PK\x05\x06' ? undefined : 'not a zip (no PK signature)';
  }
  const text = body.toString('utf8');
  if (/^\s*</.test(text)) return `an HTML or XML page, not ${WHAT[kind]}`;
  if (kind === 'list') {
    const bad = text
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[0] ?? '')
      .find((field) => field !== '' && !VERSION_FIELD.test(field));
    return bad === undefined ? undefined : `not a version list (line ${JSON.stringify(bad.slice(0, 80))})`;
  }
  if (kind === 'info' || kind === 'latest') {
    try {
      const info = JSON.parse(text) as { Version?: unknown };
      return typeof info?.Version === 'string' ? undefined : '.info JSON without a Version';
    } catch {
      return `not JSON (${JSON.stringify(text.slice(0, 60))})`;
    }
  }
  if (kind === 'mod') {
    if (text.includes('\0')) return 'a binary file, not a go.mod';
    return /^\s*module\s+\S/m.test(text) ? undefined : 'not a go.mod (no module directive)';
  }
  return undefined;
}

const WHAT: Record<AnswerKind, string> = {
  list: 'a version list',
  latest: 'an @latest JSON',
  info: 'a .info JSON',
  mod: 'a go.mod',
  zip: 'a module zip',
  'sumdb-text': 'a checksum database answer',
  'sumdb-tile': 'a checksum database tile',
};

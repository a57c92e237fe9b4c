import type { Finding } from './findings.js';
import { cappedLines, fileChunks, MAX_LINE_BYTES, stdinChunks } from './log-lines.js';
import { shown, withoutControls } from './shown.js';

/**
 * What go's error lines mean, as data: each rule a pattern, the layer, the cause, the fix.
 * Each is tested against a line the real go 1.19 printed against the lab (tests/doctor.test.ts),
 * except where `source` names the documentation or the Go source file it was typed from (a wording
 * the lab cannot make go print).
 */
export const RULES: {
  id: string;
  pattern: RegExp;
  layer: string;
  cause: string;
  fix: string;
  source?: string;
}[] = [
  {
    id: 'dns',
    pattern:
      /dial tcp: lookup (\S+?)(?: on \S+)?: (no such host|.*network is unreachable|.*server misbehaving)/,
    layer: 'dns',
    cause: 'the mirror name does not resolve',
    fix: 'goproxy-guard health, then goproxy-guard apply',
  },
  {
    id: 'refused',
    pattern: /dial tcp (\S+): connect: connection refused/,
    layer: 'connect',
    cause: 'nothing listens at the mirror address',
    fix: 'goproxy-guard apply',
  },
  {
    id: 'connect-timeout',
    pattern: /dial tcp (\S+): i\/o timeout/,
    layer: 'connect',
    cause: 'the connection to the mirror timed out (blocked or dropped)',
    fix: 'goproxy-guard apply',
    source: 'typed from documentation: net.Dialer timeout message (pkg.go.dev/net)',
  },
  {
    id: 'tls-unknown-authority',
    pattern: /x509: certificate signed by unknown authority/,
    layer: 'tls',
    cause:
      'a certificate from a root this machine does not trust: TLS inspection by a corporate proxy, or a broken chain',
    fix: 'goproxy-guard health shows the chain; trust the corporate root (tls.extraCaFiles, and the system store for go)',
  },
  {
    id: 'tls-expired',
    pattern: /x509: certificate has expired or is not yet valid/,
    layer: 'tls',
    cause: "the mirror's certificate has expired (or the clock is wrong)",
    fix: 'goproxy-guard apply (it leaves out the mirror); check the system clock',
  },
  {
    id: 'tls-name',
    pattern: /x509: certificate is valid for (.+), not (\S+)/,
    layer: 'tls',
    cause:
      'the certificate is for another name: DNS sends you to the wrong server, or the mirror is misconfigured',
    fix: 'goproxy-guard health (it checks DNS against DoH)',
  },
  // Captured live (GOPROXY by address, a leaf naming only a host; then a leaf without SANs);
  // wording from go 1.19 src/crypto/x509/verify.go, HostnameError.Error, as the three rules here.
  {
    id: 'tls-ip-san',
    pattern: /x509: cannot validate certificate for (\S+) because it doesn't contain any IP SANs/,
    layer: 'tls',
    cause: 'the mirror is named by its IP address, and its certificate names no IP address (only host names)',
    fix: 'use the mirror host name in GOPROXY, not its address: goproxy-guard apply',
  },
  {
    id: 'tls-no-names',
    pattern: /x509: certificate is not valid for any names, but wanted to match (\S+)/,
    layer: 'tls',
    cause:
      'the certificate names no host go accepts: no subject alternative names (go ignores the Common Name since 1.15)',
    fix: 'goproxy-guard health shows the chain; tell whoever runs the mirror or proxy',
  },
  {
    id: 'tls-legacy-cn',
    pattern: /x509: certificate relies on legacy Common Name field, use SANs instead/,
    layer: 'tls',
    cause:
      'the certificate names its host only in the Common Name, which go ignores since 1.15 (an old inspection proxy or internal CA?)',
    fix: 'have the certificate reissued with subject alternative names; goproxy-guard health shows the chain',
    // The lab's leaf without SANs names a lab host go cannot resolve, so go says tls-no-names.
    source: 'go 1.19 src/crypto/x509/verify.go, HostnameError.Error',
  },
  {
    id: 'tls-key-usage',
    pattern: /x509: certificate specifies an incompatible key usage/,
    layer: 'tls',
    cause: 'the certificate is not for TLS servers (its extended key usage lacks serverAuth)',
    fix: 'goproxy-guard health shows the chain; tell whoever runs the mirror or proxy',
    // Captured live (lab leaf with clientAuth only); wording from go 1.19 src/crypto/x509/verify.go.
  },
  {
    id: 'tls-bad-chain',
    pattern:
      /x509: (certificate is not authorized to sign other certificates|a root or intermediate certificate is not authorized|too many intermediates for path length constraint|issuer name does not match subject|issuer has name constraints|invalid signature: parent certificate cannot sign)/,
    layer: 'tls',
    cause:
      'the chain is malformed: a certificate in it may not sign what it signed (a misconfigured mirror or inspection proxy)',
    fix: 'goproxy-guard health shows the chain; tell whoever runs the mirror or proxy',
    source:
      'go 1.19 src/crypto/x509/verify.go, CertificateInvalidError.Error and ConstraintViolationError.Error',
  },
  {
    id: 'tls-system-roots',
    pattern: /x509: failed to load system roots and no roots provided/,
    layer: 'tls',
    cause: 'go could not read the trust store (SSL_CERT_FILE or SSL_CERT_DIR names something unreadable)',
    fix: 'unset or fix SSL_CERT_FILE / SSL_CERT_DIR',
    // go 1.19 on Linux falls back to "unknown authority" for an unreadable SSL_CERT_FILE, so the
    // lab cannot make it print this one.
    source: 'go 1.19 src/crypto/x509/verify.go, SystemRootsError.Error',
  },
  // Captured live (https:// to a plain-http mirror); wording from go 1.19 src/net/http/client.go.
  {
    id: 'http-to-https',
    pattern: /http: server gave HTTP response to HTTPS client/,
    layer: 'tls',
    cause: 'GOPROXY says https, but the mirror speaks plain http',
    fix: 'check the mirror URL scheme; goproxy-guard health (allowInsecure for an intranet http mirror)',
  },
  {
    id: 'mirror-5xx',
    pattern: /reading (https?:\/\/\S+): (50[0-9] [A-Za-z ]+)/,
    layer: 'mirror',
    cause: 'the mirror answered with a server error',
    fix: 'goproxy-guard apply (a "|" list moves on after errors)',
  },
  {
    id: 'gone',
    pattern: /reading (https?:\/\/\S+): 410 Gone/,
    layer: 'mirror',
    cause: 'this mirror does not have the module or version (go then tries the next "," or "|" entry)',
    fix: 'check the module path and version; goproxy-guard verify MODULE@VERSION',
  },
  {
    id: 'not-found',
    pattern: /reading (https?:\/\/\S+): 404 Not Found/,
    layer: 'mirror',
    cause: 'this mirror does not have the module or version',
    fix: 'check the module path and version',
  },
  {
    id: 'checksum-mismatch',
    pattern: /verifying (\S+): checksum mismatch/,
    layer: 'integrity',
    cause:
      'the downloaded content differs from the checksum database: a tampered mirror, or a stale entry in go.sum or the module cache',
    fix: 'goproxy-guard verify MODULE@VERSION; then go clean -modcache',
  },
  {
    id: 'security-error',
    pattern: /SECURITY ERROR/,
    layer: 'integrity',
    cause: 'go refused a download that does not match the checksum database',
    fix: 'goproxy-guard verify MODULE@VERSION, and stop using the mirror it names',
  },
  {
    id: 'missing-go-sum',
    pattern: /missing go\.sum entry for module providing package (\S+)/,
    layer: 'project',
    cause: 'go.sum lacks an entry the build needs',
    fix: 'go mod tidy',
    source: 'typed from documentation: cmd/go module errors (go.dev/ref/mod)',
  },
  {
    id: 'unknown-revision',
    pattern: /unknown revision (\S+)/,
    layer: 'project',
    cause: 'the version or commit does not exist in that module',
    fix: 'check the version: go list -m -versions MODULE',
    source: 'typed from documentation: printed for direct (VCS) fetches, go.dev/ref/mod',
  },
  {
    id: 'invalid-version',
    pattern: /invalid version: (.+)/,
    layer: 'project',
    cause: 'the version is not valid for that module',
    fix: 'check the version: go list -m -versions MODULE',
  },
  {
    id: 'proxyconnect',
    pattern: /proxyconnect tcp: (.+)/,
    layer: 'proxy',
    cause: 'the HTTP(S)_PROXY go uses failed',
    fix: 'goproxy-guard health (proxies.candidates) and fix HTTPS_PROXY',
    source: 'typed from documentation: net/http proxy errors (pkg.go.dev/net/http)',
  },
];

type Rule = (typeof RULES)[number];

/**
 * When no rule names the exact wording, the layer is still known from go's own prefixes: every
 * crypto/x509 and crypto/tls error starts with "x509: " or "tls: ", every failed name lookup
 * with "lookup HOST", every failed connection with "dial tcp", and every HTTP answer go refuses
 * names its status. Order matters: "dial tcp: lookup ..." is DNS, not the connection.
 */
export const FAMILIES: Rule[] = [
  {
    id: 'tls-other',
    pattern: /\b(?:x509|tls): /,
    layer: 'tls',
    cause: 'a TLS or certificate error no rule names',
    fix: 'goproxy-guard health shows the chain and the TLS verdict of each mirror',
    source: 'go 1.19 src/crypto/x509 and src/crypto/tls: every error text starts "x509: " or "tls: "',
  },
  {
    id: 'dns-other',
    pattern: /\blookup \S+/,
    layer: 'dns',
    cause: 'a name lookup failed in a way no rule names',
    fix: 'goproxy-guard health (it checks DNS against DoH), then goproxy-guard apply',
    source: 'go 1.19 src/net/net.go DNSError.Error: "lookup HOST[ on SERVER]: ..."',
  },
  {
    id: 'connect-other',
    pattern: /\bdial tcp\b/,
    layer: 'connect',
    cause: 'the connection to the mirror failed in a way no rule names',
    fix: 'goproxy-guard health, then goproxy-guard apply',
    source: 'go 1.19 src/net/net.go OpError.Error: "dial tcp ADDRESS: ..."',
  },
  {
    id: 'mirror-other',
    pattern: /(?:reading|fetching) https?:\/\/\S+: [1-5]\d\d\b|unexpected status \(\S+\): [1-5]\d\d\b/,
    layer: 'mirror',
    cause: 'the mirror answered with an HTTP status no rule names',
    fix: 'goproxy-guard health shows what each mirror answers; goproxy-guard apply',
    source: 'go 1.19 src/cmd/go/internal/web/http.go and modfetch/proxy.go: "reading URL: STATUS"',
  },
];

/** What is left of a go error line that neither a rule nor a family explains: the line itself. */
const NOT_ATTRIBUTED: Rule = {
  id: 'not-attributed',
  pattern: /^go: /,
  layer: 'not attributed',
  cause: 'a go error no rule explains',
  fix: 'read the line itself; goproxy-guard health checks the mirrors',
};

/** go's progress lines, which start like its errors but are not. */
const PROGRESS =
  /^go: (?:downloading|finding|extracting|added|upgraded|downgraded|removed|found|creating|writing|to add|warning:)\b/;

/** Lines longer than this are matched on their start only: go's error lines are far shorter. */
const MATCHED_CHARS = 4096;
const SAMPLES = 2;

/**
 * Classifies a log, line by line, in bounded memory: every go error line ends in one finding per
 * rule (the specific rule, else its layer's family, else "not attributed" with the line), each with
 * a count and samples. Lines are read with a cap (log-lines.ts) and shown without control
 * characters or passwords.
 */
export async function attributeLog(input: AsyncIterable<Buffer | string>): Promise<Finding[]> {
  const hits = new Map<string, { count: number; samples: string[] }>();
  let lines = 0;
  let binary = false;
  let longLines = 0;
  let skippedBytes = 0;
  for await (const read of cappedLines(input)) {
    lines++;
    if (read.skippedBytes) {
      longLines++;
      skippedBytes += read.skippedBytes;
    }
    if (read.text.includes('\u0000')) {
      binary = true;
      continue;
    }
    const line = withoutControls(read.text.slice(0, MATCHED_CHARS)).trim();
    let matched = RULES.filter((rule) => rule.pattern.test(line));
    if (!matched.length) matched = FAMILIES.filter((rule) => rule.pattern.test(line)).slice(0, 1);
    if (!matched.length && NOT_ATTRIBUTED.pattern.test(line) && !PROGRESS.test(line))
      matched = [NOT_ATTRIBUTED];
    for (const rule of matched) {
      const hit = hits.get(rule.id) ?? { count: 0, samples: [] };
      hit.count++;
      if (hit.samples.length < SAMPLES) {
        const sample = shown(line.slice(0, 300));
        if (!hit.samples.includes(sample)) hit.samples.push(sample);
      }
      hits.set(rule.id, hit);
    }
  }
  const findings: Finding[] = [];
  const note = (severity: Finding['severity'], title: string, evidence: string[], fix = '') =>
    findings.push({ severity, layer: 'log', title, evidence, fix });
  if (lines === 0) note('info', 'the log is empty', []);
  if (binary)
    note(
      'warning',
      'the log holds binary data; those lines were skipped',
      [],
      'pass the text output of the failed go command',
    );
  if (longLines)
    note(
      'warning',
      `${longLines} line(s) longer than ${MAX_LINE_BYTES / 1024} KiB: only the first ${MAX_LINE_BYTES / 1024} KiB of each was read`,
      [`${skippedBytes} bytes skipped`],
      'pass the text output of the failed go command',
    );
  for (const rule of [...RULES, ...FAMILIES, NOT_ATTRIBUTED]) {
    const hit = hits.get(rule.id);
    if (!hit) continue;
    const severity = rule === NOT_ATTRIBUTED || rule.layer === 'project' ? 'warning' : 'error';
    note(
      severity,
      `${rule.layer}: ${rule.cause}${hit.count > 1 ? ` (${hit.count} lines)` : ''}`,
      hit.samples,
      rule.fix,
    );
  }
  if (lines > 0 && !binary && hits.size === 0)
    note('info', 'no go error in the log', [`${lines} line(s) read; none is a go error line`]);
  return findings;
}

/** Attributes a saved log, or standard input for "-". */
export function attributeFile(path: string): Promise<Finding[]> {
  return attributeLog(path === '-' ? stdinChunks() : fileChunks(path));
}

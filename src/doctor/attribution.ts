import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Finding } from './findings.js';

/**
 * What go's error lines mean, as data: each rule a pattern, the layer, the cause, the fix.
 * Each is tested against a line the real go 1.19 printed against the lab (tests/doctor.test.ts),
 * except where the rule says "typed from documentation".
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

const MAX_LINE = 4096;

/** Classifies a log, line by line, in bounded memory: one finding per rule with a count and two samples. */
export async function attributeLog(input: Readable): Promise<Finding[]> {
  const hits = new Map<string, { count: number; samples: string[] }>();
  let lines = 0;
  let binary = false;
  const reader = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const raw of reader) {
    lines++;
    if (raw.includes('\u0000')) {
      binary = true;
      continue;
    }
    const line = raw.length > MAX_LINE ? raw.slice(0, MAX_LINE) : raw;
    for (const rule of RULES) {
      if (!rule.pattern.test(line)) continue;
      const hit = hits.get(rule.id) ?? { count: 0, samples: [] };
      hit.count++;
      if (hit.samples.length < 2) hit.samples.push(line.trim().slice(0, 300));
      hits.set(rule.id, hit);
    }
  }
  const findings: Finding[] = [];
  if (lines === 0)
    findings.push({ severity: 'info', layer: 'log', title: 'the log is empty', evidence: [], fix: '' });
  if (binary)
    findings.push({
      severity: 'warning',
      layer: 'log',
      title: 'the log holds binary data; those lines were skipped',
      evidence: [],
      fix: 'pass the text output of the failed go command',
    });
  for (const rule of RULES) {
    const hit = hits.get(rule.id);
    if (!hit) continue;
    findings.push({
      severity: rule.layer === 'project' ? 'warning' : 'error',
      layer: 'log',
      title: `${rule.layer}: ${rule.cause}${hit.count > 1 ? ` (${hit.count} lines)` : ''}`,
      evidence: hit.samples,
      fix: rule.fix,
    });
  }
  return findings;
}

export function attributeFile(path: string): Promise<Finding[]> {
  return attributeLog(createReadStream(path));
}

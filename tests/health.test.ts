import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validate } from '../src/config/load.js';
import { type RunningLab, startLab } from '../src/lab/scenarios.js';
import { type HealthReport, probeMirrors } from '../src/probe/run.js';
import type { MirrorHealth } from '../src/probe/types.js';

async function probeLab(lab: RunningLab, overrides: Record<string, unknown> = {}): Promise<HealthReport> {
  const { config, extraCas } = await validate({ ...lab.config, ...overrides });
  return probeMirrors(config, extraCas);
}

const byName = (report: HealthReport) =>
  new Map<string, MirrorHealth>(report.mirrors.map((m) => [m.name, m]));

describe('health probes against the basic lab scenario', () => {
  let lab: RunningLab;
  let report: HealthReport;
  beforeAll(async () => {
    lab = await startLab('basic');
    report = await probeLab(lab, { deadlineMs: 1500 });
  });
  afterAll(() => lab.stop());

  it('calls the honest mirror healthy, with phases and the canary version as evidence', () => {
    const healthy = byName(report).get('healthy');
    expect(healthy).toMatchObject({ verdict: 'healthy', healthy: true });
    expect(healthy?.evidence).toEqual([
      expect.stringMatching(/@v\/list: 200, 2 versions including v1\.1\.0$/),
    ]);
    expect(Object.keys(healthy?.phases ?? {})).toEqual(['dns', 'connect', 'tls', 'ttfb', 'transfer']);
    expect(healthy?.latencyMs).toEqual(expect.any(Number));
    expect(healthy?.address).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('gives a mirror that accepts and never answers a timeout, naming the phase', () => {
    const hanging = byName(report).get('hanging');
    expect(hanging).toMatchObject({ verdict: 'timeout', healthy: false, latencyMs: null });
    expect(hanging?.evidence[0]).toMatch(
      /^no answer within the 1500 ms deadline during ttfb \(127\.0\.0\.1:\d+\)$/,
    );
  });

  it('reports the 502 with the URL asked', () => {
    const bad = byName(report).get('bad-gateway');
    expect(bad?.verdict).toBe('http-error');
    expect(bad?.evidence[0]).toMatch(/^GET https:\/\/127\.0\.0\.1:\d+\/lab\.test\/canary\/@v\/list: 502$/);
  });

  it('does not call a 200 HTML page healthy', () => {
    const captive = byName(report).get('captive');
    expect(captive?.verdict).toBe('captive-portal');
    expect(captive?.evidence[0]).toContain('200 with an HTML page (text/html; charset=utf-8)');
  });
});

describe('TLS verdicts against the tls-faults lab scenario', () => {
  let lab: RunningLab;
  let report: HealthReport;
  beforeAll(async () => {
    lab = await startLab('tls-faults');
    report = await probeLab(lab);
  });
  afterAll(() => lab.stop());

  it.each([
    ['expired', 'CERT_HAS_EXPIRED', 'the certificate has expired'],
    ['wrong-name', 'ERR_TLS_CERT_ALTNAME_INVALID', 'the certificate is for another name'],
    ['self-signed', 'SELF_SIGNED_CERT_IN_CHAIN', 'untrusted root'],
    ['missing-intermediate', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'the chain is incomplete'],
  ])('%s -> tls-invalid with %s', (name, code, reason) => {
    const mirror = byName(report).get(name);
    expect(mirror?.verdict).toBe('tls-invalid');
    expect(mirror?.evidence[0]).toContain(reason);
    expect(mirror?.evidence[0]).toContain(`(${code}:`);
  });

  it('trusts the lab root only through tls.extraCaFiles', async () => {
    expect(byName(report).get('healthy')?.verdict).toBe('healthy');
    const withoutCa = await probeLab(lab, { tls: { extraCaFiles: [] } });
    expect(byName(withoutCa).get('healthy')?.verdict).toBe('tls-invalid');
  });
});

describe('connection failures', () => {
  it('calls a refused port unreachable and an unanswerable name dns-failed', async () => {
    const { config, extraCas } = await validate({
      mirrors: [
        { name: 'refused', url: 'http://127.0.0.1:1', allowInsecure: true },
        { name: 'nxdomain', url: 'https://no-such-host.lab.test' },
      ],
      // a loopback port with no DNS server: the lookup fails without leaving the machine
      dns: { systemResolver: '127.0.0.1:1' },
      deadlineMs: 2000,
    });
    const report = await probeMirrors(config, extraCas);
    const mirrors = byName(report);
    expect(mirrors.get('refused')).toMatchObject({ verdict: 'unreachable' });
    expect(mirrors.get('refused')?.evidence[0]).toMatch(/^connect \(127\.0\.0\.1:1\): ECONNREFUSED/);
    expect(mirrors.get('nxdomain')?.verdict).toBe('dns-failed');
    expect(mirrors.get('nxdomain')?.evidence[0]).toBe(
      'dns lookup of no-such-host.lab.test failed: the DNS server refused the connection (ECONNREFUSED)',
    );
  });
});

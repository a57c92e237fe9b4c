import { describe, expect, it } from 'vitest';
import { probeConfig, probedLab } from './helpers.js';

const { report, mirror } = await probedLab('basic', { deadlineMs: 1500 });
const PORT = '\\d+';

describe('health probes against the basic lab scenario', () => {
  it('calls the honest mirror healthy, with phases, the chain and the canary version as evidence', () => {
    const healthy = mirror('healthy');
    expect(healthy).toMatchObject({ verdict: 'healthy', healthy: true, sumdb: 'proxied' });
    expect(healthy.evidence[0]).toMatch(
      new RegExp(
        `^GET https://healthy\\.mirror\\.lab\\.test:${PORT}/lab\\.test/canary/@v/list: 200, 2 versions including v1\\.1\\.0; \\.info and \\.mod valid; \\.mod matches the checksum database$`,
      ),
    );
    expect(Object.keys(healthy.phases)).toEqual(['dns', 'connect', 'tls', 'ttfb', 'transfer']);
    expect(healthy.latencyMs).toEqual(expect.any(Number));
    expect(healthy.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(healthy.tls?.chain).toEqual([
      'CN=healthy.mirror.lab.test',
      'CN=GoProxyGuard Lab Intermediate, O=GoProxyGuard Lab',
      'CN=GoProxyGuard Lab Root, O=GoProxyGuard Lab',
    ]);
    // the lab leaf lives 7 days: the earliest expiry in the chain is the leaf's
    const days = (Date.parse(healthy.tls?.earliestExpiry ?? '') - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6);
    expect(days).toBeLessThan(8);
  });

  it('gives a mirror that accepts and never answers a timeout, naming the phase', () => {
    expect(mirror('hanging')).toMatchObject({ verdict: 'timeout', healthy: false, latencyMs: null });
    expect(mirror('hanging').evidence).toEqual([
      expect.stringMatching(/^no answer within the 1500 ms deadline during ttfb \(127\.0\.0\.1:\d+\)$/),
    ]);
  });

  it('reports the 502 with the URL asked', () => {
    expect(mirror('bad-gateway').verdict).toBe('http-error');
    expect(mirror('bad-gateway').evidence).toEqual([
      expect.stringMatching(
        /^GET https:\/\/bad-gateway\.mirror\.lab\.test:\d+\/lab\.test\/canary\/@v\/list: 502$/,
      ),
    ]);
  });

  it('does not call a 200 HTML page healthy', () => {
    expect(mirror('captive').verdict).toBe('captive-portal');
    expect(mirror('captive').evidence[0]).toMatch(
      /: 200 with an HTML page \(text\/html; charset=utf-8\), not a version list$/,
    );
  });

  it('keeps the report in config order', () => {
    expect(report.mirrors.map((m) => m.name)).toEqual(['healthy', 'hanging', 'bad-gateway', 'captive']);
  });
});

describe('connection failures', () => {
  it('calls a refused port unreachable and an unanswerable resolver dns-failed', async () => {
    const report = await probeConfig({
      mirrors: [
        { name: 'refused', url: 'http://127.0.0.1:1', allowInsecure: true },
        { name: 'no-dns', url: 'https://no-dns.lab.test' },
      ],
      // a loopback port with no DNS server, and no trusted resolver: nothing leaves the machine
      dns: { systemResolver: '127.0.0.1:1', trusted: [] },
      deadlineMs: 2000,
    });
    const [refused, noDns] = report.mirrors;
    expect(refused).toMatchObject({ verdict: 'unreachable', address: '127.0.0.1:1' });
    expect(refused?.evidence[0]).toMatch(/^connect \(127\.0\.0\.1:1\): ECONNREFUSED/);
    expect(noDns?.verdict).toBe('dns-failed');
    expect(noDns?.evidence).toEqual([
      'dns lookup of no-dns.lab.test failed: the DNS server refused the connection (ECONNREFUSED)',
    ]);
  });
});

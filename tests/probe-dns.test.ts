import { describe, expect, it } from 'vitest';
import { probedLab } from './helpers.js';

const { lab, mirror } = await probedLab('dns-faults');
const doh = () => lab.doh.url;

describe('DNS verdicts against the dns-faults lab scenario', () => {
  it('calls a bogon answer hijacked without ever connecting to it', () => {
    const bogon = mirror('bogon');
    expect(bogon.verdict).toBe('dns-hijacked');
    expect(bogon.evidence).toEqual([
      `the system resolver answered 10.10.34.35 (private) for bogon.mirror.lab.test; trusted resolver ${doh()} answered 127.0.0.1`,
    ]);
    expect(bogon.address).toBeNull(); // no connection was pinned: 10.10.34.35 was never contacted
    expect(bogon.phases).toEqual({ dns: expect.any(Number) });
  });

  it('calls an address that cannot prove the name over TLS hijacked', () => {
    const impostor = mirror('impostor');
    expect(impostor.verdict).toBe('dns-hijacked');
    expect(impostor.evidence[0]).toMatch(
      /^the system resolver answered 127\.0\.0\.66 for impostor\.mirror\.lab\.test, disjoint from the trusted answers \(127\.0\.0\.1\); that address does not prove the name: tls .*SELF_SIGNED_CERT_IN_CHAIN/,
    );
  });

  it('accepts a different answer that proves the name over TLS (a CDN), and notes it', () => {
    const cdn = mirror('cdn');
    expect(cdn.verdict).toBe('healthy');
    expect(cdn.address).toMatch(/^127\.0\.0\.2:\d+$/);
    expect(cdn.evidence).toContain(
      'the system resolver answered 127.0.0.2 for cdn.mirror.lab.test, disjoint from the trusted answers (127.0.0.1)',
    );
  });

  it('reports SERVFAIL as dns-failed, with what the trusted resolver knew', () => {
    expect(mirror('servfail')).toMatchObject({ verdict: 'dns-failed' });
    expect(mirror('servfail').evidence).toEqual([
      `dns lookup of servfail.mirror.lab.test failed: the DNS server failed (SERVFAIL) (ESERVFAIL); trusted resolver ${doh()} answered 127.0.0.1`,
    ]);
  });

  it('reports a silent resolver as a timeout during dns', () => {
    expect(mirror('silent').verdict).toBe('timeout');
    expect(mirror('silent').evidence).toEqual([
      `no answer within the 2000 ms deadline during dns (lookup of silent.mirror.lab.test); trusted resolver ${doh()} answered 127.0.0.1`,
    ]);
  });

  it('leaves an honest name healthy', () => {
    expect(mirror('healthy').verdict).toBe('healthy');
    expect(mirror('healthy').evidence.join('\n')).not.toContain('system resolver');
  });
});

describe('NXDOMAIN hijacking', async () => {
  const hijack = await probedLab('nxdomain-hijack');
  it('degrades a mirror whose resolver answers for names that do not exist', () => {
    const result = hijack.mirror('healthy');
    expect(result.verdict).toBe('degraded');
    expect(result.evidence).toContainEqual(
      expect.stringMatching(
        /^the system resolver answers for names that do not exist \(gpg-[0-9a-f]{12}\.healthy\.mirror\.lab\.test -> 127\.0\.0\.1\): NXDOMAIN hijacking$/,
      ),
    );
  });
});

import { describe, expect, it } from 'vitest';
import { pick, probeConfig, probedLab } from './helpers.js';

const { lab, mirror } = await probedLab('tls-faults');

describe('TLS verdicts against the tls-faults lab scenario', () => {
  it.each([
    ['expired', 'the certificate has expired (CERT_HAS_EXPIRED)'],
    ['wrong-name', 'the certificate is for another name (ERR_TLS_CERT_ALTNAME_INVALID: '],
    [
      'self-signed',
      'the chain ends in an untrusted root (corporate TLS inspection?) (SELF_SIGNED_CERT_IN_CHAIN)',
    ],
    [
      'missing-intermediate',
      'the chain is incomplete (the server does not send its intermediate) (UNABLE_TO_VERIFY_LEAF_SIGNATURE)',
    ],
    [
      'inspected',
      'the chain ends in an untrusted root (corporate TLS inspection?) (SELF_SIGNED_CERT_IN_CHAIN)',
    ],
  ])('%s -> tls-invalid: %s', (name, reason) => {
    const result = mirror(name);
    expect(result.verdict).toBe('tls-invalid');
    expect(result.evidence[0]).toMatch(/^tls \(127\.0\.0\.1:\d+\): /);
    expect(result.evidence[0]).toContain(reason);
    expect(result.latencyMs).toBeNull();
  });

  it('names the chain it was offered, even when it rejects it', () => {
    expect(mirror('expired').evidence[0]).toMatch(
      /; chain: CN=expired\.mirror\.lab\.test <- CN=GoProxyGuard Lab Intermediate, O=GoProxyGuard Lab <- CN=GoProxyGuard Lab Root, O=GoProxyGuard Lab$/,
    );
    expect(mirror('inspected').tls?.chain).toEqual([
      'CN=inspected.mirror.lab.test',
      'CN=Corp TLS Inspection Root, O=GoProxyGuard Lab',
    ]);
    expect(Date.parse(mirror('expired').tls?.earliestExpiry ?? '')).toBeLessThan(Date.now());
  });

  it('trusts the lab root only through tls.extraCaFiles', async () => {
    expect(mirror('healthy').verdict).toBe('healthy');
    const withoutCa = await probeConfig({ ...lab.config, tls: { extraCaFiles: [] } });
    expect(pick(withoutCa, 'healthy').verdict).toBe('tls-invalid');
    expect(pick(withoutCa, 'healthy').evidence[0]).toContain('UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
  });

  it('accepts an inspection root given in tls.extraCaFiles, and says so', async () => {
    const trusting = await probeConfig({
      ...lab.config,
      tls: { extraCaFiles: [lab.caFile, lab.inspectionCaFile] },
    });
    const inspected = pick(trusting, 'inspected');
    expect(inspected.verdict).toBe('healthy');
    expect(inspected.tls?.anchoredByExtraCa).toBe('CN=Corp TLS Inspection Root, O=GoProxyGuard Lab');
    expect(inspected.evidence).toContain(
      'tls: trusted only through tls.extraCaFiles (CN=Corp TLS Inspection Root, O=GoProxyGuard Lab)',
    );
  });
});

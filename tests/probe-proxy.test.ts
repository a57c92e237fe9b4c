import { describe, expect, it } from 'vitest';
import { startLab } from '../src/lab/scenarios.js';
import { probeConfig, probedLab } from './helpers.js';

const { report } = await probedLab('proxies');
const proxy = (name: string) => report.proxies.find((p) => p.name === name);

describe('outbound proxies against the proxies lab scenario', () => {
  it('tunnels through a working proxy and verifies TLS with the mirror inside the tunnel', () => {
    expect(proxy('backup')).toMatchObject({
      verdict: 'healthy',
      healthy: true,
      target: expect.stringMatching(/^healthy\.mirror\.lab\.test:\d+$/),
    });
    expect(proxy('backup')?.evidence[0]).toMatch(
      /^CONNECT healthy\.mirror\.lab\.test:\d+ via 127\.0\.0\.1:\d+: HTTP\/1\.1 200 Connection established; TLS with healthy\.mirror\.lab\.test through the tunnel verified$/,
    );
  });

  it('calls a proxy that accepts and never answers a timeout', () => {
    expect(proxy('primary')?.verdict).toBe('timeout');
    expect(proxy('primary')?.evidence[0]).toMatch(
      /^no answer within the 2000 ms deadline during CONNECT \(proxy 127\.0\.0\.1:\d+\)$/,
    );
  });

  it('calls a dead proxy unreachable', () => {
    expect(proxy('old')?.verdict).toBe('unreachable');
    expect(proxy('old')?.evidence[0]).toMatch(
      /^connect to proxy 127\.0\.0\.1:\d+ \(127\.0\.0\.1:\d+\): ECONNREFUSED$/,
    );
  });

  it('reports 407 as auth-required with the challenge', () => {
    expect(proxy('authenticating')?.verdict).toBe('auth-required');
    expect(proxy('authenticating')?.evidence[0]).toContain(
      'HTTP/1.1 407 Proxy Authentication Required (Basic realm="lab")',
    );
  });

  it('keeps the proxies in preference order, beside the mirrors', () => {
    expect(report.proxies.map((p) => p.name)).toEqual(['primary', 'backup', 'old', 'authenticating']);
    expect(report.mirrors.map((m) => m.verdict)).toEqual(['healthy']);
  });
});

describe('a proxy judged by any mirror it can reach', () => {
  it('is healthy when the first mirror fails TLS but another proves itself through it', async () => {
    const lab = await startLab(
      {
        summary: 'an expired mirror first, a healthy one second, one working proxy',
        mirrors: [
          { name: 'expired', mode: { kind: 'ok' }, tls: 'expired' },
          { name: 'healthy', mode: { kind: 'ok' } },
        ],
        proxies: [{ name: 'working', mode: 'ok' }],
      },
      1500,
    );
    try {
      const { proxies } = await probeConfig(lab.config);
      expect(proxies[0]).toMatchObject({
        verdict: 'healthy',
        target: expect.stringMatching(/^healthy\.mirror\.lab\.test:\d+$/),
      });
      // found as soon as one tunnel worked, not at the deadline
      expect(proxies[0]?.latencyMs).toBeLessThan(1500);
    } finally {
      await lab.stop();
    }
  });

  it('when every tunnel fails differently, lists each mirror it tried', async () => {
    const lab = await startLab(
      {
        summary: 'two broken mirrors behind one working proxy',
        mirrors: [
          { name: 'expired', mode: { kind: 'ok' }, tls: 'expired' },
          { name: 'wrong-name', mode: { kind: 'ok' }, tls: 'wrong-name' },
        ],
        proxies: [{ name: 'working', mode: 'ok' }],
      },
      800,
    );
    try {
      const { proxies } = await probeConfig(lab.config);
      expect(proxies[0]?.verdict).toBe('tls-invalid');
      expect(proxies[0]?.evidence).toHaveLength(2);
      expect(proxies[0]?.evidence[0]).toMatch(/^expired\.mirror\.lab\.test:\d+: the tunnel to/);
      expect(proxies[0]?.evidence[1]).toMatch(/^wrong-name\.mirror\.lab\.test:\d+: the tunnel to/);
    } finally {
      await lab.stop();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { cli } from './helpers.js';

describe('goproxy-guard lab --demo', () => {
  it('shows every verdict with its meaning and evidence, the list it would write, and ends by itself', async () => {
    const run = await cli(['lab', '--demo', '--json']);
    expect(run.code).toBe(0);
    const document = JSON.parse(run.stdout);
    expect(document.mirrors.map((m: { name: string; verdict: string }) => [m.name, m.verdict])).toEqual([
      ['healthy', 'healthy'],
      ['hijacked', 'dns-hijacked'],
      ['expired-tls', 'tls-invalid'],
      ['hanging', 'timeout'],
      ['tampered', 'tampered'],
    ]);
    for (const mirror of document.mirrors) {
      expect(mirror.meaning.length).toBeGreaterThan(20);
      expect(mirror.evidence.length).toBeGreaterThan(0);
    }
    const healthy = document.mirrors[0].url;
    expect(document.goproxy).toBe(healthy);
    expect(document.naive.split(',')[0]).toBe(document.mirrors[3].url); // the hanging one first
  });

  it('prints a human explanation', async () => {
    const run = await cli(['lab', 'demo']);
    expect(run.stdout).toContain('GoProxyGuard would write:        GOPROXY=https://healthy.mirror.lab.test:');
    expect(run.stdout).toContain('The lab is stopped; nothing was changed.');
  });
});

import { describe, expect, it, vi } from 'vitest';
import { cli } from './helpers.js';

// The second act runs the real go twice (once killed after a few seconds).
vi.setConfig({ testTimeout: 120_000 });
const withGo = { PATH: process.env.PATH as string };

describe('goproxy-guard lab --demo', () => {
  it('shows every verdict with its meaning and evidence, the list it would write, and ends by itself', async () => {
    const run = await cli(['lab', '--demo', '--json'], withGo);
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

    // Act two: a mirror that begins to hang mid-download; go through the guard, then the naive list.
    const act = document.guardAct;
    expect(act).toMatchObject({ ran: true, go: expect.stringMatching(/^go version go1\./) });
    expect(act.modules.length).toBeGreaterThanOrEqual(2);
    expect(act.guard.goproxy).toMatch(/^http:\/\/127\.0\.0\.1:\d+\|off$/); // never direct
    expect(act.guard).toMatchObject({ succeeded: true, downloaded: act.modules.length });
    expect(act.guard.hedgesFired + act.guard.failovers).toBeGreaterThan(0); // the flaky mirror was left behind
    expect(act.naive.goproxy).toMatch(/^https:\/\/127\.0\.0\.1:\d+\|https:\/\/127\.0\.0\.1:\d+$/);
    expect(act.naive).toMatchObject({ finished: false, killedAfterSeconds: expect.any(Number) });
  });

  it('says it skips the second act when go is missing, with the first act and exit code unchanged', async () => {
    const run = await cli(['lab', '--demo', '--json'], { ...withGo, GOPROXYGUARD_GO: '/nonexistent/go' });
    expect(run.code).toBe(0);
    const document = JSON.parse(run.stdout);
    expect(document.mirrors).toHaveLength(5);
    expect(document.guardAct).toEqual({ ran: false, reason: expect.stringContaining('/nonexistent/go') });
  });

  it('prints a human explanation', async () => {
    const run = await cli(['lab', 'demo'], withGo);
    expect(run.stdout).toContain('GoProxyGuard would write:        GOPROXY=https://healthy.mirror.lab.test:');
    expect(run.stdout).toContain('The lab is stopped; nothing was changed.');
    expect(run.stdout).toContain('Act two: a mirror begins to hang in the middle of a download.');
    expect(run.stdout).toContain('The guard is stopped; nothing is left running.');
  });
});

import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MIRRORS } from '../src/config/defaults.js';
import { RUNTIME } from './helpers.js';

// The only test that uses the built-in public mirrors. It runs inside a fresh network namespace
// (unshare --net, as root) whose only interface is loopback, so no packet can leave the machine.
describe('health on the built-in defaults with no network', () => {
  it('exits 1 with a verdict and evidence for every default mirror, and does not hang', async () => {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' };
    const run = await execa(
      'unshare',
      [
        '--net',
        'sh',
        '-c',
        'ip link set lo up && exec "$0" "$@"',
        process.execPath,
        RUNTIME,
        'health',
        '--json',
      ],
      { env, extendEnv: false, reject: false, timeout: 20_000 },
    );
    expect(run.timedOut).toBe(false);
    expect(run.exitCode).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report.deadlineMs).toBe(5000);
    expect(report.mirrors.map((m: { url: string }) => m.url)).toEqual(DEFAULT_MIRRORS.map((m) => m.url));
    for (const mirror of report.mirrors) {
      expect(mirror.healthy).toBe(false);
      // Nothing but loopback: every name fails to resolve, so the verdict can only be dns-failed.
      expect(mirror.verdict).toBe('dns-failed');
      expect(mirror.evidence[0]).toMatch(
        new RegExp(`^dns lookup of ${new URL(mirror.url).hostname.replace(/\./g, '\\.')} failed: `),
      );
    }
  });
});

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DnsBehaviour } from '../src/lab/dns-server.js';
import { goWorld } from '../src/lab/go-world.js';
import { startLab } from '../src/lab/scenarios.js';
import { RUNTIME, tempDir, writeJson } from './helpers.js';
import { hostsWorldResolvers, ORIGINAL } from './hosts-world.js';

// Hosts pinning through the commands a user runs (the bundled runtime, the real go): health
// sees the lab's hijacked name, apply pins the proven address in a settable hosts file, the
// desktop's resolver (hosts file first) then makes the mirror healthy, the next apply removes
// the pin once the DNS server is fixed, and restore gives back the hosts file byte for byte.

const lab = await startLab('dns-faults');
afterAll(() => lab.stop());
const dir = await tempDir();
const hostsFile = join(dir, 'hosts');
await writeFile(hostsFile, ORIGINAL);

const bogon = 'bogon.mirror.lab.test';
const upstream = new Map<string, DnsBehaviour>([
  ['healthy.mirror.lab.test', { kind: 'answer', addresses: ['127.0.0.1'] }],
  [bogon, { kind: 'answer', addresses: ['10.10.34.35'] }],
]);
const resolvers = await hostsWorldResolvers(hostsFile, upstream);
afterAll(() => resolvers.close());

const raw = lab.config as { mirrors: { name: string }[]; dns: Record<string, unknown> };
const withResolver = (systemResolver: string) => ({
  ...raw,
  deadlineMs: 30_000,
  mirrors: raw.mirrors.filter((m) => ['healthy', 'bogon'].includes(m.name)),
  dns: { ...raw.dns, systemResolver, pin: true, hostsFile },
});
// Two views of one desktop: its resolver reads the hosts file first (what health sees); apply
// asks the DNS server itself (in real life the system's server), so its own pins never hide
// whether the system answer is healthy again.
const desktopConfig = await writeJson(dir, 'desktop.json', withResolver(resolvers.throughHosts.address));
const applyConfig = await writeJson(dir, 'apply.json', withResolver(resolvers.server.address));
const world = await goWorld(lab, RUNTIME);
afterAll(() => world.cleanup());

async function json(args: string[]) {
  const run = await world.guard([...args, '--json']);
  return { run, document: JSON.parse(run.stdout || '{}') };
}
const verdictOf = async (name: string) => {
  const { document } = await json(['health', '--config', desktopConfig]);
  return document.mirrors.find((m: { name: string }) => m.name === name)?.verdict;
};

describe('hosts pinning through apply, health and restore', () => {
  it('pins the proven address of the hijacked name, which then probes healthy', async () => {
    expect(await verdictOf('bogon')).toBe('dns-hijacked');

    const planned = await json(['plan', '--config', applyConfig]);
    expect(planned.document.pins).toEqual([
      expect.objectContaining({ host: bogon, addresses: ['127.0.0.1'] }),
    ]);
    expect(planned.document.pins[0].proof.length).toBeGreaterThan(0);
    expect((await readFile(hostsFile)).equals(ORIGINAL)).toBe(true); // plan changes nothing

    const applied = await json(['apply', '--config', applyConfig]);
    expect(applied.run.exitCode, applied.run.stderr).toBe(0);
    const hosts = (await readFile(hostsFile)).toString('utf8');
    expect(hosts).toContain(`127.0.0.1 ${bogon}`);
    expect(hosts.startsWith('\ufeff# Copyright')).toBe(true);
    expect(hosts).not.toMatch(/[^\r]\n/); // CRLF kept throughout
    expect(await verdictOf('bogon')).toBe('healthy');

    const backup = JSON.parse(
      await readFile(join(world.env.GOPROXYGUARD_HOME as string, 'backup.json'), 'utf8'),
    );
    expect(backup.settings[`hosts:${bogon}`]).toEqual({ was: 'unset' });
    const snapshot = await readFile(join(world.env.GOPROXYGUARD_HOME as string, 'hosts.before'));
    expect(snapshot.equals(ORIGINAL)).toBe(true);

    // status and doctor (which do not probe) show the pins the last apply made, with their proof.
    const status = await json(['status']);
    expect(status.document.pins).toEqual(planned.document.pins);
    const doctor = await json(['doctor', '--offline', '--config', applyConfig]);
    expect(doctor.document.pins).toEqual(planned.document.pins);
    for (const args of [['status'], ['plan', '--config', applyConfig]]) {
      const text = (await world.guard(args)).stdout;
      expect(text).toMatch(
        new RegExp(`PINNED NAME[\\s\\S]*${bogon.replaceAll('.', '\\.')}\\s+127\\.0\\.0\\.1`),
      );
    }

    // Still hijacked: the next apply keeps the pin as it is.
    const again = await json(['plan', '--config', applyConfig]);
    expect(again.document.systemChanges).toEqual([]);
  });

  it('removes the pin once the DNS server answers right, and restore leaves the file byte-identical', async () => {
    upstream.set(bogon, { kind: 'answer', addresses: ['127.0.0.1'] });
    const applied = await json(['apply', '--config', applyConfig]);
    expect(applied.run.exitCode, applied.run.stderr).toBe(0);
    expect((await readFile(hostsFile)).equals(ORIGINAL)).toBe(true);
    expect(await verdictOf('bogon')).toBe('healthy');

    // Hijacked again, pinned again; restore takes the block out exactly.
    upstream.set(bogon, { kind: 'answer', addresses: ['10.10.34.35'] });
    expect((await json(['apply', '--config', applyConfig])).run.exitCode).toBe(0);
    expect((await readFile(hostsFile)).equals(ORIGINAL)).toBe(false);
    // No config: the backup names the hosts file the pins were written to.
    const backup = JSON.parse(
      await readFile(join(world.env.GOPROXYGUARD_HOME as string, 'backup.json'), 'utf8'),
    );
    expect(backup.hostsFile).toBe(hostsFile);
    const restored = await world.guard(['restore', '--json']);
    expect(restored.exitCode, restored.stderr).toBe(0);
    expect((await readFile(hostsFile)).equals(ORIGINAL)).toBe(true);
  });
});

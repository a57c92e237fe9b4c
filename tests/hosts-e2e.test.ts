import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validate } from '../src/config/load.js';
import { hostsEffector, readPinned } from '../src/effectors/hosts.js';
import { planHostsPinning } from '../src/effectors/hosts-pinning.js';
import type { DnsBehaviour } from '../src/lab/dns-server.js';
import { startLab } from '../src/lab/scenarios.js';
import { createRunContext } from '../src/probe/run-context.js';
import type { EffectorContext } from '../src/settings/effector.js';
import { pick, probeConfig, tempDir } from './helpers.js';
import { hostsWorldResolvers, ORIGINAL } from './hosts-world.js';

// Hosts pinning from health to restore against the lab's hijacked names, with the pieces the
// apply loop will drive (then the hosts effector): the desktop resolves
// through the hosts file first, as Windows does; the DNS server behind it is hijacked, then fixed.

const lab = await startLab('dns-faults');
afterAll(() => lab.stop());
const dir = await tempDir();
const hostsFile = join(dir, 'hosts');
await writeFile(hostsFile, ORIGINAL);

const host = (name: string) => `${name}.mirror.lab.test`;
const upstream = new Map<string, DnsBehaviour>([
  [host('healthy'), { kind: 'answer', addresses: ['127.0.0.1'] }],
  [host('bogon'), { kind: 'answer', addresses: ['10.10.34.35'] }],
  [host('impostor'), { kind: 'answer', addresses: ['127.0.0.66'] }],
]);
const resolvers = await hostsWorldResolvers(hostsFile, upstream);
afterAll(() => resolvers.close());

const raw = lab.config as { mirrors: { name: string }[]; dns: Record<string, unknown> };
const desktop = {
  ...raw,
  deadlineMs: 20_000,
  mirrors: raw.mirrors.filter((m) => ['healthy', 'bogon', 'impostor'].includes(m.name)),
  // The system resolver of this desktop reads the hosts file first.
  dns: { ...raw.dns, systemResolver: resolvers.throughHosts.address, pin: true, hostsFile },
};
const { config, extraCas } = await validate(desktop);
const context: EffectorContext = { env: {}, config };

/** One pinning run as apply will make it: plan, snapshot, write, read back. */
async function pinningRun() {
  // Pinning asks the DNS server itself (in real life dns.systemResolver or the system's server).
  const run = createRunContext(
    { ...config, dns: { ...config.dns, systemResolver: resolvers.server.address } },
    extraCas,
    20_000,
  );
  try {
    const plan = await planHostsPinning(context, run.context);
    const values = Object.fromEntries(plan.changes.map((c) => [c.setting.slice('hosts:'.length), c.to]));
    if (plan.changes.length > 0) {
      await hostsEffector.snapshot?.(dir, context);
      await hostsEffector.write(values, context);
      expect(await hostsEffector.read(Object.keys(values), context)).toEqual(values);
    }
    return plan;
  } finally {
    run.close();
  }
}

describe('hosts pinning end to end against the lab', () => {
  it('sees the hijacked names, pins the proven address, then the names probe healthy through the hosts file', async () => {
    const before = await probeConfig(desktop);
    expect(pick(before, 'bogon').verdict).toBe('dns-hijacked');
    expect(pick(before, 'impostor').verdict).toBe('dns-hijacked');
    expect(pick(before, 'healthy').verdict).toBe('healthy');

    const plan = await pinningRun();
    expect(plan.changes.map((c) => c.setting)).toEqual([
      `hosts:${host('bogon')}`,
      `hosts:${host('impostor')}`,
    ]);
    expect(await readPinned(context)).toEqual({
      [host('bogon')]: ['127.0.0.1'],
      [host('impostor')]: ['127.0.0.1'],
    });

    const after = await probeConfig(desktop);
    expect(pick(after, 'bogon').verdict).toBe('healthy');
    expect(pick(after, 'impostor').verdict).toBe('healthy');
    // A second run while the DNS server is still hijacked keeps the pins as they are.
    expect((await pinningRun()).changes).toEqual([]);
  });

  it('removes the block once the system answer is fixed, leaving the hosts file byte-identical', async () => {
    upstream.set(host('bogon'), { kind: 'answer', addresses: ['127.0.0.1'] });
    upstream.set(host('impostor'), { kind: 'answer', addresses: ['127.0.0.1'] });
    const plan = await pinningRun();
    expect(plan.notes).toEqual([
      `${host('bogon')}: unpinned, the system DNS answer is healthy again`,
      `${host('impostor')}: unpinned, the system DNS answer is healthy again`,
    ]);
    expect((await readFile(hostsFile)).equals(ORIGINAL)).toBe(true);
    expect((await readFile(join(dir, 'hosts.before'))).equals(ORIGINAL)).toBe(true);
    expect(pick(await probeConfig(desktop), 'bogon').verdict).toBe('healthy');
  });
});

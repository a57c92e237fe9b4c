import { afterAll, describe, expect, it } from 'vitest';
import { validate } from '../src/config/load.js';
import { gatherNameProofs, systemDnsServer } from '../src/hosts/proof.js';
import { type DnsBehaviour, startDnsServer } from '../src/lab/dns-server.js';
import { startLab } from '../src/lab/scenarios.js';
import { planHostsPins } from '../src/policy/pin-hosts.js';
import { createRunContext } from '../src/probe/run-context.js';

// What pinning learns from the lab's hijacked names: the system answer (a DNS server of this
// test's own, whose answers the test changes, standing in for the lab's "system resolver"),
// the lab's DoH as the trusted resolver, and real TLS handshakes against the lab's mirrors.

const lab = await startLab('dns-faults');
afterAll(() => lab.stop());
const host = (name: string) => `${name}.mirror.lab.test`;
const system = new Map<string, DnsBehaviour>([
  [host('healthy'), { kind: 'answer', addresses: ['127.0.0.1'] }],
  [host('bogon'), { kind: 'answer', addresses: ['10.10.34.35'] }],
  [host('impostor'), { kind: 'answer', addresses: ['127.0.0.66'] }],
  [host('servfail'), { kind: 'servfail' }],
]);
const dns = await startDnsServer({ names: system, otherwise: { kind: 'nxdomain' } });
afterAll(() => dns.close());

const raw = lab.config as { mirrors: { name: string }[]; dns: Record<string, unknown> };
const { config, extraCas } = await validate({
  ...raw,
  // Generous: the machine is shared; nothing here is timed.
  deadlineMs: 20_000,
  mirrors: raw.mirrors.filter((m) => ['healthy', 'bogon', 'impostor', 'servfail'].includes(m.name)),
  dns: { ...raw.dns, systemResolver: dns.address, pin: true },
});

async function proofs(pinned: Record<string, string[]> = {}) {
  const run = createRunContext(config, extraCas, 20_000);
  try {
    const found = await gatherNameProofs(config.mirrors, pinned, run.context);
    return Object.fromEntries(found.map((p) => [p.host.split('.')[0], p]));
  } finally {
    run.close();
  }
}

describe('what hosts pinning learns about the lab mirrors', () => {
  it('proves the trusted address of a hijacked or failing name, and calls a clean one healthy', async () => {
    const found = await proofs();
    expect(found.healthy).toMatchObject({ system: 'healthy', proven: ['127.0.0.1'] });
    expect(found.bogon).toMatchObject({ system: 'hijacked', proven: ['127.0.0.1'] });
    expect(found.servfail).toMatchObject({ system: 'failed', proven: ['127.0.0.1'] });
    // The impostor's address is disjoint from the trusted one; its handshake settles it.
    expect(found.impostor).toMatchObject({ system: 'hijacked', proven: ['127.0.0.1'] });
    expect(found.impostor?.evidence.join('\n')).toMatch(
      /127\.0\.0\.66 does not prove impostor\.mirror\.lab\.test: tls/,
    );
    expect(found.bogon?.evidence).toContain(
      '127.0.0.1 proved bogon.mirror.lab.test over TLS (CN=bogon.mirror.lab.test)',
    );
  });

  it('pins, then unpins once the system answer is fixed; a pinned impostor address never proves', async () => {
    const first = await proofs({ [host('impostor')]: ['127.0.0.66'] });
    const pinned = planHostsPins(
      { names: Object.values(first), pinned: { [host('impostor')]: ['127.0.0.66'] }, writable: true },
      config,
    );
    expect(Object.fromEntries(pinned.pins.map((p) => [p.host, p.addresses]))).toEqual({
      [host('bogon')]: ['127.0.0.1'],
      [host('impostor')]: ['127.0.0.1'],
      [host('servfail')]: ['127.0.0.1'],
    });
    // The lab's system answer is fixed: the pins go.
    system.set(host('bogon'), { kind: 'answer', addresses: ['127.0.0.1'] });
    const fixed = await proofs({ [host('bogon')]: ['127.0.0.1'] });
    expect(fixed.bogon?.system).toBe('healthy');
    const plan = planHostsPins(
      { names: Object.values(fixed), pinned: { [host('bogon')]: ['127.0.0.1'] }, writable: true },
      config,
    );
    expect(plan.changes).toContainEqual({
      setting: `hosts:${host('bogon')}`,
      from: { was: 'set', type: 'HOSTS', value: '127.0.0.1' },
      to: { was: 'unset' },
    });
  });

  it("names the system's own DNS server as host:port, for lookups that skip the hosts file", () => {
    // c-ares falls back to 127.0.0.1 when the system names none, so there is always one.
    expect(systemDnsServer()).toMatch(/^(\[[0-9a-f:]+\]|[0-9.]+):\d+$/);
  });
});

import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config/errors.js';
import { validate } from '../src/config/load.js';
import { type NameProof, type PinFacts, planHostsPins, systemAnswerOf } from '../src/policy/pin-hosts.js';

// The pinning rule alone: probe facts and the block's entries in, changes out.

const on = { dns: { pin: true, trusted: [] } } as never;
const off = { dns: { pin: false, trusted: [] } } as never;
const proof = (host: string, system: NameProof['system'], proven: string[] = []): NameProof => ({
  host,
  system,
  proven,
  evidence: [`${host}: evidence`],
});
const facts = (names: NameProof[], pinned: Record<string, string[]> = {}, writable = true): PinFacts => ({
  names,
  pinned,
  writable,
});

describe('which mirror names are pinned in the hosts file', () => {
  it('pins the proven addresses of a hijacked name, sorted and once each', () => {
    const plan = planHostsPins(
      facts([proof('goproxy.cn', 'hijacked', ['203.0.113.9', '203.0.113.1', '203.0.113.9'])]),
      on,
    );
    expect(plan.changes).toEqual([
      {
        setting: 'hosts:goproxy.cn',
        from: { was: 'unset' },
        to: { was: 'set', type: 'HOSTS', value: '203.0.113.1 203.0.113.9' },
      },
    ]);
    expect(plan.pins).toEqual([
      { host: 'goproxy.cn', addresses: ['203.0.113.1', '203.0.113.9'], proof: ['goproxy.cn: evidence'] },
    ]);
    expect(plan.notes[0]).toMatch(/^goproxy\.cn: pinned to 203\.0\.113\.1, 203\.0\.113\.9/);
  });

  it('pins a failing system answer too, and changes a pin whose addresses moved', () => {
    const plan = planHostsPins(
      facts([proof('mirrors.aliyun.com', 'failed', ['198.51.100.7'])], {
        'mirrors.aliyun.com': ['198.51.100.1'],
      }),
      on,
    );
    expect(plan.changes).toEqual([
      {
        setting: 'hosts:mirrors.aliyun.com',
        from: { was: 'set', type: 'HOSTS', value: '198.51.100.1' },
        to: { was: 'set', type: 'HOSTS', value: '198.51.100.7' },
      },
    ]);
  });

  it('changes nothing when the block already holds the proven addresses, in any order', () => {
    const plan = planHostsPins(
      facts([proof('a.example', 'hijacked', ['192.0.2.2', '192.0.2.1'])], {
        'a.example': ['192.0.2.1', '192.0.2.2'],
      }),
      on,
    );
    expect(plan.changes).toEqual([]);
    expect(plan.pins).toHaveLength(1);
  });

  it('removes the entry once the system answer is healthy again', () => {
    const plan = planHostsPins(
      facts([proof('a.example', 'healthy', ['192.0.2.1'])], { 'a.example': ['192.0.2.1'] }),
      on,
    );
    expect(plan.changes).toEqual([
      {
        setting: 'hosts:a.example',
        from: { was: 'set', type: 'HOSTS', value: '192.0.2.1' },
        to: { was: 'unset' },
      },
    ]);
    expect(plan.notes).toEqual(['a.example: unpinned, the system DNS answer is healthy again']);
    expect(plan.pins).toEqual([]);
  });

  it('removes a pin nothing proves any more, and pins nothing unproven', () => {
    const plan = planHostsPins(
      facts([proof('a.example', 'hijacked'), proof('b.example', 'failed')], { 'a.example': ['192.0.2.1'] }),
      on,
    );
    expect(plan.changes.map((c) => [c.setting, c.to.was])).toEqual([['hosts:a.example', 'unset']]);
    expect(plan.notes).toEqual([
      'a.example: not pinned, no trusted address proved the name over TLS this run',
    ]);
  });

  it('keeps a pin when the run learned nothing about the name', () => {
    const plan = planHostsPins(facts([proof('a.example', 'unknown')], { 'a.example': ['192.0.2.1'] }), on);
    expect(plan.changes).toEqual([]);
    expect(plan.pins.map((p) => p.host)).toEqual(['a.example']);
  });

  it('removes the pin of a name no mirror uses any more, and every pin when dns.pin is off', () => {
    const gone = planHostsPins(facts([], { 'old.example': ['192.0.2.1'] }), on);
    expect(gone.notes).toEqual(['old.example: unpinned, no configured mirror uses that name any more']);
    const disabled = planHostsPins(
      facts([proof('a.example', 'hijacked', ['192.0.2.1'])], { 'a.example': ['192.0.2.1'] }),
      off,
    );
    expect(disabled.changes.map((c) => [c.setting, c.to.was])).toEqual([['hosts:a.example', 'unset']]);
    expect(disabled.notes).toEqual(['a.example: unpinned, dns.pin is off']);
    // Off and nothing pinned: nothing at all.
    expect(planHostsPins(facts([proof('a.example', 'hijacked', ['192.0.2.1'])]), off)).toEqual({
      changes: [],
      pins: [],
      notes: [],
    });
  });

  it('changes nothing without the right to write the hosts file, and says what it would have done', () => {
    const plan = planHostsPins(facts([proof('a.example', 'hijacked', ['192.0.2.1'])], {}, false), on);
    expect(plan.changes).toEqual([]);
    expect(plan.notes).toEqual([
      'the hosts file was left alone: it is machine-wide and needs an elevated run (Run as administrator); it would change: a.example: pinned to 192.0.2.1 (a.example: evidence)',
    ]);
  });
});

describe('the system answer of a name', () => {
  const assessment = { disjoint: false, nxdomainHijack: false, evidence: [] };
  it('follows the DNS verdict, and lets TLS settle a disjoint answer', () => {
    expect(systemAnswerOf({ ...assessment, verdict: 'dns-hijacked' })).toBe('hijacked');
    expect(systemAnswerOf({ ...assessment, verdict: 'dns-failed' })).toBe('failed');
    expect(systemAnswerOf({ ...assessment, verdict: 'timeout' })).toBe('failed');
    expect(systemAnswerOf(assessment)).toBe('healthy');
    expect(systemAnswerOf({ ...assessment, disjoint: true }, true)).toBe('healthy');
    expect(systemAnswerOf({ ...assessment, disjoint: true }, false)).toBe('hijacked');
    expect(systemAnswerOf({ ...assessment, disjoint: true })).toBe('unknown');
  });
});

describe('the config of pinning and WSL', () => {
  it('is off by default', async () => {
    const { config } = await validate({ mirrors: [{ name: 'a', url: 'https://a.example' }] });
    expect(config.dns.pin).toBe(false);
    expect(config.dns.hostsFile).toBeUndefined();
    expect(config.wsl).toEqual({ enabled: false, startStopped: false });
  });

  const bad: [Record<string, unknown>, string][] = [
    [{ dns: { pin: 'yes' } }, 'dns.pin'],
    [{ dns: { hostsFile: '' } }, 'dns.hostsFile'],
    [{ wsl: { enabled: 1 } }, 'wsl.enabled'],
    [{ wsl: { startStopped: 'no' } }, 'wsl.startStopped'],
    [{ wsl: { distros: ['Ubuntu'] } }, 'wsl.distros'],
  ];
  for (const [raw, field] of bad) {
    it(`refuses ${JSON.stringify(raw)}, naming ${field}`, async () => {
      const error = await validate(raw).catch((e: ConfigError) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).field).toBe(field);
    });
  }
});

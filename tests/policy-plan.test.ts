import { describe, expect, it } from 'vitest';
import { configSchema } from '../src/config/schema.js';
import { nextTrack } from '../src/policy/hysteresis.js';
import { type PlanFacts, plan, windowsSettingsToRead } from '../src/policy/plan.js';
import type { MirrorHealth, Verdict } from '../src/probe/types.js';
import { freshState, type GuardState } from '../src/state/store.js';

// policy.plan: every rule of plan/apply/run in one pure function, facts in, changes out.

const NOW = new Date('2026-11-30T06:00:00Z');

const mirror = (name: string, verdict: Verdict): MirrorHealth => ({
  name,
  url: `https://${name}.example`,
  verdict,
  healthy: verdict === 'healthy',
  latencyMs: verdict === 'healthy' ? 20 : null,
  address: null,
  phases: {},
  tls: null,
  sumdb: 'not-proxied',
  evidence: [],
});

const config = (extra: Record<string, unknown> = {}) =>
  configSchema.parse({ mirrors: [{ name: 'a', url: 'https://a.example' }], ...extra });

function facts(overrides: Partial<PlanFacts> = {}, go: Partial<PlanFacts['go']> = {}): PlanFacts {
  return {
    report: {
      mirrors: [mirror('a', 'healthy')],
      database: {
        name: 'sum.golang.org',
        url: 'https://sum.golang.org',
        verdict: 'healthy',
        healthy: true,
        latencyMs: 5,
        evidence: 'ok',
        treeHead: { size: 10, hash: 'h10' },
        record: null,
        forked: false,
      },
      proxies: [],
    },
    go: {
      envFile: '/home/zoe/.config/go/env',
      effective: {
        GOPROXY: 'https://proxy.golang.org,direct',
        GOSUMDB: 'sum.golang.org',
        GOPRIVATE: 'corp.example',
        GONOPROXY: '',
        GONOSUMDB: '',
      },
      file: {},
      overrides: {},
      ...go,
    },
    ...overrides,
  };
}

describe('policy.plan: go env file', () => {
  it('writes GOPROXY with its type, leaves GOSUMDB when go already uses it, never a private setting', () => {
    const { changes, reasons } = plan(facts(), freshState(), config(), NOW);
    expect(changes).toEqual([
      {
        setting: 'go-env:GOPROXY',
        from: { was: 'unset' },
        to: { was: 'set', type: 'GOENV', value: 'https://a.example' },
      },
    ]);
    expect(reasons).toEqual(['GOPROXY lists the 1 usable mirror(s), best first']);
  });

  it('writes GOSUMDB when the file holds another value, even if go uses the planned one', () => {
    const { changes } = plan(facts({}, { file: { GOSUMDB: 'sum.example' } }), freshState(), config(), NOW);
    expect(changes.map((c) => c.setting)).toEqual(['go-env:GOPROXY', 'go-env:GOSUMDB']);
  });

  it('says when a variable overrides the file (off Windows: no user environment to keep in step)', () => {
    const { notes } = plan(
      facts({}, { overrides: { GOPROXY: 'https://x.example' } }),
      freshState(),
      config(),
      NOW,
    );
    expect(notes).toEqual([
      expect.stringMatching(/^GOPROXY is set in the environment \(https:\/\/x\.example\) and overrides/),
    ]);
    expect(notes[0]).not.toContain('from your user environment');
  });

  it('remembers the verified tree head, and after a fork keeps the one verified before', () => {
    const first = plan(facts(), freshState(), config(), NOW).nextState;
    expect(first.sumdbHeads).toEqual({ 'sum.golang.org': { size: 10, hash: 'h10' } });
    const forked = facts();
    forked.report.database = {
      ...forked.report.database,
      treeHead: { size: 11, hash: 'other' },
      forked: true,
    };
    const after = plan(forked, first, config(), NOW);
    expect(after.nextState.sumdbHeads).toEqual({ 'sum.golang.org': { size: 10, hash: 'h10' } });
    expect(after.notes).toContain('ok');
  });
});

describe('policy.plan: Windows', () => {
  const proxies = (targets: string[]) =>
    config({
      proxies: {
        candidates: [
          { name: 'primary', url: 'http://primary.corp:8080' },
          { name: 'backup', url: 'http://backup.corp:8080' },
        ],
        targets,
        bypass: ['<local>'],
      },
    });
  const proxyHealth = (name: string, healthy: boolean) => ({
    name,
    url: `http://${name}.corp:8080`,
    verdict: (healthy ? 'healthy' : 'timeout') as Verdict,
    healthy,
    latencyMs: healthy ? 5 : null,
    target: 'a.example:443',
    evidence: [],
  });

  it('keeps GOPROXY in the user environment in step, with its registry type', () => {
    const windows = {
      elevated: false,
      values: {
        'user-env:GOPROXY': { was: 'set' as const, type: 'REG_EXPAND_SZ', value: 'https://old.example' },
        'user-env:GOSUMDB': { was: 'unset' as const },
      },
    };
    const { changes, notes } = plan(facts({ windows }), freshState(), config(), NOW);
    expect(changes).toContainEqual({
      setting: 'user-env:GOPROXY',
      from: windows.values['user-env:GOPROXY'],
      to: { was: 'set', type: 'REG_EXPAND_SZ', value: 'https://a.example' },
    });
    expect(changes.map((c) => c.setting)).not.toContain('user-env:GOSUMDB');
    expect(notes).toContain(
      "GOPROXY is set in your user environment and overrides go's env file: GoProxyGuard keeps it in step",
    );
  });

  it('switches WinINet to the healthy backup, backs up the connection blob, and skips WinHTTP unelevated', () => {
    const report = {
      ...facts().report,
      proxies: [proxyHealth('primary', false), proxyHealth('backup', true)],
    };
    const blob = { was: 'set' as const, type: 'REG_BINARY', value: '4600' };
    const windows = {
      elevated: false,
      values: {
        'wininet:ProxyEnable': { was: 'set' as const, type: 'REG_DWORD', value: '1' },
        'wininet:ProxyServer': { was: 'set' as const, type: 'REG_SZ', value: 'primary.corp:8080' },
        'wininet:DefaultConnectionSettings': blob,
      },
    };
    const state: GuardState = freshState();
    const outcome = plan(facts({ report, windows }), state, proxies(['wininet', 'winhttp']), NOW);
    expect(outcome.proxy?.choice).toEqual({ name: 'backup', url: 'http://backup.corp:8080' });
    expect(outcome.changes.filter((c) => c.setting.startsWith('wininet:')).map((c) => c.setting)).toEqual([
      'wininet:ProxyServer',
      'wininet:ProxyOverride',
    ]);
    expect(outcome.changes.map((c) => c.setting)).not.toContain('winhttp:proxy');
    expect(outcome.alsoBackUp).toEqual({ 'wininet:DefaultConnectionSettings': blob });
    expect(outcome.notes[0]).toMatch(/^WinHTTP was skipped: it is machine-wide and needs an elevated run/);
    expect(outcome.nextState.proxies?.current).toBe('backup');
    // the proxy in place now is read from WinINet: GoProxyGuard never chose one on this machine
    expect(outcome.reasons.at(-1)).toBe('proxy primary timeout now: switching to backup, healthy now');
  });

  it('off Windows probes the candidates and changes no Windows setting', () => {
    const outcome = plan(facts(), freshState(), proxies(['env']), NOW);
    expect(outcome.changes.map((c) => c.setting)).toEqual(['go-env:GOPROXY']);
    expect(outcome.notes).toContain(
      'proxy settings are managed on Windows only: the candidates were probed, nothing else',
    );
  });

  it('reads WinHTTP only when elevated, and the targets named', () => {
    expect(windowsSettingsToRead(config(), true)).toEqual(['user-env:GOPROXY', 'user-env:GOSUMDB']);
    expect(windowsSettingsToRead(proxies(['winhttp']), false)).not.toContain('winhttp:proxy');
    expect(windowsSettingsToRead(proxies(['winhttp']), true)).toContain('winhttp:proxy');
    expect(windowsSettingsToRead(proxies(['env']), true)).toContain('user-env:HTTPS_PROXY');
  });
});

describe('hysteresis: one rule for mirrors and proxies', () => {
  const policy = { failAfter: 2, recoverAfter: 3 };
  const track = (active: boolean, failures: number, successes: number) => ({
    active,
    failures,
    successes,
    lastVerdict: 'healthy' as Verdict,
  });

  it.each([
    ['first seen, working', undefined, true, 'first', true],
    ['first seen, failing', undefined, false, 'first', false],
    ['in, first failure', track(true, 0, 5), false, 'failing', true],
    ['in, failAfter-th failure', track(true, 1, 0), false, 'taken-out', false],
    ['out, first success', track(false, 4, 0), true, 'recovering', false],
    ['out, recoverAfter-th success', track(false, 0, 2), true, 'put-back', true],
    ['out, failing again', track(false, 0, 2), false, 'steady', false],
  ] as const)('%s: %s', (_, before, ok, standing, active) => {
    const next = nextTrack(before, ok, ok ? 'healthy' : 'timeout', policy);
    expect(next.standing).toBe(standing);
    expect(next.track.active).toBe(active);
  });

  it('counts runs in a row: a success resets the failures and the other way round', () => {
    expect(nextTrack(track(true, 1, 0), true, 'healthy', policy).track).toMatchObject({
      failures: 0,
      successes: 1,
    });
    expect(nextTrack(track(false, 0, 2), false, 'timeout', policy).track).toMatchObject({
      failures: 1,
      successes: 0,
      lastVerdict: 'timeout',
    });
  });
});

import { describe, expect, it } from 'vitest';
import { bypassLists, decideProxy, type ProxyDecisionInput, proxySettingsFor } from '../src/policy/proxy.js';
import type { ProxyHealth } from '../src/probe/proxy.js';
import { hideSecrets } from '../src/settings/setting-value.js';
import type { MirrorTrack } from '../src/state/store.js';

const CANDIDATES = [
  { name: 'primary', url: 'http://primary.corp.example:8080' },
  { name: 'backup', url: 'http://backup.corp.example:3128' },
  { name: 'last', url: 'http://last.corp.example:80' },
];

/** primary in use and healthy in earlier runs. */
const SEEN: Record<string, MirrorTrack> = {
  primary: { active: true, failures: 0, successes: 5, lastVerdict: 'healthy' },
};

const health = (verdicts: Record<string, ProxyHealth['verdict']>): ProxyHealth[] =>
  CANDIDATES.map((c) => ({
    ...c,
    verdict: verdicts[c.name] ?? 'healthy',
    healthy: (verdicts[c.name] ?? 'healthy') === 'healthy',
    latencyMs: 5,
    target: 'mirror:443',
    evidence: [],
  }));

const input = (over: Partial<ProxyDecisionInput>): ProxyDecisionInput => ({
  candidates: CANDIDATES,
  health: health({}),
  tracks: {},
  current: undefined,
  policy: { failAfter: 2, recoverAfter: 2 },
  direct: false,
  ...over,
});

/** Runs the policy over a sequence of runs, carrying the state like the guard does. */
function runs(sequence: Record<string, ProxyHealth['verdict']>[], start: Partial<ProxyDecisionInput> = {}) {
  let tracks: Record<string, MirrorTrack> = start.tracks ?? {};
  let current = start.current;
  const chosen: (string | null)[] = [];
  for (const verdicts of sequence) {
    const { decision, tracks: next } = decideProxy(
      input({ ...start, health: health(verdicts), tracks, current }),
    );
    tracks = next;
    if (decision.choice !== 'keep') current = decision.choice?.name ?? null;
    chosen.push(decision.choice === 'keep' ? 'keep' : (decision.choice?.name ?? null));
  }
  return chosen;
}

describe('the proxy failover policy', () => {
  it('chooses the first healthy candidate in order of preference', () => {
    const { decision } = decideProxy(input({ health: health({ primary: 'timeout' }) }));
    expect(decision.choice).toEqual(CANDIDATES[1]);
    expect(decision.reasons[0]).toMatch(/backup is the first healthy candidate/);
  });

  it('keeps the current proxy through failAfter-1 failed runs, then switches to a healthy one', () => {
    expect(
      runs([{ primary: 'timeout' }, { primary: 'timeout' }], { current: 'primary', tracks: SEEN }),
    ).toEqual(['primary', 'backup']);
  });

  it('never switches to a proxy that is not healthy in this run (auth-required included)', () => {
    const chosen = runs(
      [
        { primary: 'timeout', backup: 'auth-required' },
        { primary: 'timeout', backup: 'auth-required' },
      ],
      {
        current: 'primary',
        tracks: SEEN,
      },
    );
    expect(chosen).toEqual(['primary', 'last']);
  });

  it('goes back to the preferred proxy only after recoverAfter healthy runs', () => {
    const chosen = runs([{ primary: 'timeout' }, { primary: 'timeout' }, {}, {}, {}], {
      current: 'primary',
      tracks: SEEN,
    });
    // out after 2 failures; first healthy run: 1 of 2; second: back
    expect(chosen).toEqual(['primary', 'backup', 'backup', 'primary', 'primary']);
  });

  it('judges a proxy never seen before on this run alone, as it does mirrors: a dead current proxy is left at once', () => {
    expect(runs([{ primary: 'timeout' }], { current: 'primary' })).toEqual(['backup']);
  });

  it('with every candidate down: keeps the settings, or goes direct when proxies.direct allows', () => {
    const down = { primary: 'timeout', backup: 'unreachable', last: 'http-error' } as const;
    const kept = decideProxy(input({ health: health(down) })).decision;
    expect(kept.choice).toBe('keep');
    expect(kept.warnings[0]).toMatch(/left as they are \(set proxies.direct/);
    const direct = decideProxy(input({ health: health(down), direct: true })).decision;
    expect(direct.choice).toBeNull();
    expect(direct.reasons[0]).toMatch(/going direct/);
  });

  it('leaves direct once a candidate is healthy again', () => {
    expect(runs([{}], { current: null })).toEqual(['primary']);
  });

  it('switches no more often than the hysteresis allows over a flapping primary', () => {
    // primary flaps every run: with failAfter 2 it never fails twice in a row, so it is never left
    const flapping = Array.from(
      { length: 20 },
      (_, i): Record<string, ProxyHealth['verdict']> => (i % 2 ? {} : { primary: 'timeout' }),
    );
    const chosen = runs(flapping, { current: 'primary', tracks: SEEN });
    expect(new Set(chosen)).toEqual(new Set(['primary']));
  });
});

describe('bypass lists in each dialect', () => {
  it('translates wildcards and says what a dialect cannot express', () => {
    const { noProxy, override, notes } = bypassLists([
      '<local>',
      '*.corp.example',
      '.internal.example',
      '10.0.0.0/8',
      'localhost',
    ]);
    expect(noProxy).toBe('.corp.example,.internal.example,10.0.0.0/8,localhost');
    expect(override).toBe('<local>;*.corp.example;*.internal.example;localhost');
    expect(notes).toHaveLength(2);
  });
});

describe('the settings a choice means', () => {
  const backup = CANDIDATES[1] as (typeof CANDIDATES)[number];
  it('writes the URL for go, host:port for WinINet and WinHTTP, and keeps REG_EXPAND_SZ', () => {
    const wanted = proxySettingsFor(backup, ['<local>', '.corp.example'], ['env', 'wininet', 'winhttp'], {
      'user-env:HTTPS_PROXY': { was: 'set', type: 'REG_EXPAND_SZ', value: 'http://old:1' },
    });
    expect(wanted).toEqual({
      'user-env:HTTP_PROXY': { was: 'set', type: 'REG_SZ', value: backup.url },
      'user-env:HTTPS_PROXY': { was: 'set', type: 'REG_EXPAND_SZ', value: backup.url },
      'user-env:NO_PROXY': { was: 'set', type: 'REG_SZ', value: '.corp.example' },
      'wininet:ProxyEnable': { was: 'set', type: 'REG_DWORD', value: '1' },
      'wininet:ProxyServer': { was: 'set', type: 'REG_SZ', value: 'backup.corp.example:3128' },
      'wininet:ProxyOverride': { was: 'set', type: 'REG_SZ', value: '<local>;*.corp.example' },
      'winhttp:proxy': {
        was: 'set',
        type: 'WINHTTP',
        value: '{"proxyServer":"backup.corp.example:3128","bypassList":"<local>;*.corp.example"}',
      },
    });
  });

  it('credentials stay in the URL go reads and never reach WinINet or WinHTTP', () => {
    const wanted = proxySettingsFor(
      { name: 'auth', url: 'http://zoe:p%40ss@auth.corp:8080' },
      [],
      ['env', 'wininet'],
      {},
    );
    expect(wanted['user-env:HTTPS_PROXY']).toMatchObject({ value: 'http://zoe:p%40ss@auth.corp:8080' });
    expect(wanted['wininet:ProxyServer']).toMatchObject({ value: 'auth.corp:8080' });
  });

  it('direct clears the proxy variables, turns WinINet off keeping its server, and resets WinHTTP', () => {
    expect(proxySettingsFor(null, ['<local>'], ['env', 'wininet', 'winhttp'], {})).toEqual({
      'user-env:HTTP_PROXY': { was: 'unset' },
      'user-env:HTTPS_PROXY': { was: 'unset' },
      'wininet:ProxyEnable': { was: 'set', type: 'REG_DWORD', value: '0' },
      'winhttp:proxy': { was: 'unset' },
    });
  });

  it('manages only the targets asked for', () => {
    expect(Object.keys(proxySettingsFor(backup, [], ['wininet'], {}))).toEqual([
      'wininet:ProxyEnable',
      'wininet:ProxyServer',
      'wininet:ProxyOverride',
    ]);
  });
});

describe('passwords in output', () => {
  it.each([
    ['http://zoe:p%40ss@proxy.corp:8080', 'http://zoe:***@proxy.corp:8080'],
    ['HTTPS_PROXY: http://a:b@p:1 -> http://c:d@q:2', 'HTTPS_PROXY: http://a:***@p:1 -> http://c:***@q:2'],
    ['http://user@proxy:80', 'http://user@proxy:80'],
    ['proxy.corp:8080', 'proxy.corp:8080'],
  ])('%s is shown as %s', (text, shown) => {
    expect(hideSecrets(text)).toBe(shown);
  });
});

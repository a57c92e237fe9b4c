import { describe, expect, it } from 'vitest';
import { type DecisionInput, decide } from '../src/policy/decide.js';
import { goproxyProblem } from '../src/policy/goproxy-list.js';
import { privateModuleWarnings } from '../src/policy/private-modules.js';
import type { MirrorHealth, Verdict } from '../src/probe/types.js';
import { freshState, type GuardState } from '../src/state/store.js';

const NOW = new Date('2026-11-26T06:00:00Z');

function mirror(
  name: string,
  verdict: Verdict,
  latencyMs: number | null = 50,
  sumdb: MirrorHealth['sumdb'] = 'not-proxied',
): MirrorHealth {
  return {
    name,
    url: `https://${name}.example`,
    verdict,
    healthy: verdict === 'healthy',
    latencyMs: verdict === 'healthy' || verdict === 'degraded' ? latencyMs : null,
    address: null,
    phases: {},
    tls: null,
    sumdb,
    evidence: [`${name} ${verdict}`],
  };
}

function input(
  mirrors: MirrorHealth[],
  state: GuardState = freshState(),
  overrides: Partial<DecisionInput> = {},
): DecisionInput {
  return {
    mirrors,
    database: { healthy: true, evidence: 'ok' },
    state,
    policy: { failAfter: 2, recoverAfter: 2, allowDirect: false },
    sumdb: { name: 'sum.golang.org', url: 'https://sum.golang.org' },
    current: {
      GOPROXY: 'https://proxy.golang.org,direct',
      GOSUMDB: 'sum.golang.org',
      GOPRIVATE: '',
      GONOPROXY: '',
      GONOSUMDB: '',
    },
    now: NOW,
    ...overrides,
  };
}

/** Runs the policy over several runs, feeding each run's state into the next. */
function runs(verdictsPerRun: Record<string, Verdict>[], overrides: Partial<DecisionInput> = {}) {
  let state = freshState();
  const lists: string[] = [];
  for (const verdicts of verdictsPerRun) {
    const result = decide(
      input(
        Object.entries(verdicts).map(([n, v]) => mirror(n, v)),
        state,
        overrides,
      ),
    );
    state = {
      ...result.state,
      lastRun: { at: NOW.toISOString(), command: 'apply', goproxy: result.decision.goproxy, changed: true },
    };
    lists.push(result.decision.goproxy);
  }
  return lists;
}

describe('ordering', () => {
  it('lists usable mirrors healthy first, then by latency, joined with |, without direct by default', () => {
    const { decision } = decide(
      input([
        mirror('slow', 'healthy', 300),
        mirror('fast', 'healthy', 20),
        mirror('stale', 'degraded', 5),
        mirror('dead', 'timeout'),
      ]),
    );
    expect(decision.goproxy).toBe('https://fast.example|https://slow.example|https://stale.example');
    expect(decision.mirrors.find((m) => m.name === 'dead')).toMatchObject({
      inList: false,
      why: 'timeout now, never in the list yet',
    });
  });

  it('ends with direct only when policy.allowDirect is set', () => {
    const { decision } = decide(
      input([mirror('a', 'healthy')], freshState(), {
        policy: { failAfter: 2, recoverAfter: 2, allowDirect: true },
      }),
    );
    expect(decision.goproxy).toBe('https://a.example|direct');
  });

  it('keeps the previous order among healthy mirrors, so latency jitter does not rewrite the list', () => {
    const first = decide(input([mirror('a', 'healthy', 10), mirror('b', 'healthy', 20)]));
    const state = {
      ...first.state,
      lastRun: { at: '', command: 'apply', goproxy: first.decision.goproxy, changed: true },
    };
    const second = decide(input([mirror('a', 'healthy', 25), mirror('b', 'healthy', 15)], state));
    expect(second.decision.goproxy).toBe('https://a.example|https://b.example');
  });
});

describe('hysteresis', () => {
  it('takes a mirror out only after failAfter failed runs in a row, keeping it last meanwhile', () => {
    const lists = runs([
      { a: 'healthy', b: 'healthy' },
      { a: 'timeout', b: 'healthy' },
      { a: 'timeout', b: 'healthy' },
    ]);
    expect(lists).toEqual([
      'https://a.example|https://b.example',
      'https://b.example|https://a.example',
      'https://b.example',
    ]);
  });

  it('puts a mirror back only after recoverAfter healthy runs in a row', () => {
    const lists = runs([
      { a: 'timeout', b: 'healthy' },
      { a: 'healthy', b: 'healthy' },
      { a: 'timeout', b: 'healthy' },
      { a: 'healthy', b: 'healthy' },
      { a: 'healthy', b: 'healthy' },
    ]);
    expect(lists).toEqual([
      'https://b.example',
      'https://b.example',
      'https://b.example',
      'https://b.example',
      'https://b.example|https://a.example',
    ]);
  });

  it('says why in the reasons', () => {
    const first = decide(input([mirror('a', 'healthy'), mirror('b', 'healthy')]));
    const second = decide(input([mirror('a', 'timeout'), mirror('b', 'healthy')], first.state));
    const third = decide(input([mirror('a', 'timeout'), mirror('b', 'healthy')], second.state));
    expect(third.decision.reasons).toEqual(['a taken out: 2 failed runs in a row (policy.failAfter 2)']);
  });
});

describe('when every mirror fails', () => {
  it('keeps the last known good configuration and says so', () => {
    const good = decide(input([mirror('a', 'healthy')]));
    const bad = decide(input([mirror('a', 'timeout')], good.state));
    expect(bad.decision).toMatchObject({ goproxy: 'https://a.example', keptLastGood: true });
    expect(bad.decision.reasons).toEqual([
      'no mirror works now; keeping the last known good configuration (from 2026-11-26T06:00:00.000Z)',
    ]);
    expect(bad.state.lastGood).toEqual(good.state.lastGood);
  });

  it('keeps the current configuration when nothing ever worked', () => {
    const { decision } = decide(input([mirror('a', 'dns-failed')]));
    expect(decision).toMatchObject({ goproxy: 'https://proxy.golang.org,direct', keptLastGood: true });
  });
});

describe('GOSUMDB', () => {
  it('uses the database directly when it answers', () => {
    expect(decide(input([mirror('a', 'healthy')])).decision.gosumdb).toBe('sum.golang.org');
  });

  it('goes through a usable mirror that proxies the database when the database does not answer', () => {
    const { decision } = decide(
      input([mirror('plain', 'healthy', 10), mirror('proxying', 'healthy', 20, 'proxied')], freshState(), {
        database: { healthy: false, evidence: 'timeout' },
        current: {
          GOPROXY: '',
          GOSUMDB: 'sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8',
          GOPRIVATE: '',
          GONOPROXY: '',
          GONOSUMDB: '',
        },
      }),
    );
    expect(decision.gosumdb).toBe(
      'sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8 https://proxying.example/sumdb/sum.golang.org',
    );
    expect(decision.reasons).toContain(
      'the checksum database does not answer (timeout); using it through proxying',
    );
  });

  it('never writes off: with no way to the database it leaves GOSUMDB and warns', () => {
    const { decision } = decide(
      input([mirror('a', 'healthy')], freshState(), {
        database: { healthy: false, evidence: 'unreachable' },
      }),
    );
    expect(decision.gosumdb).toBe('sum.golang.org');
    expect(decision.warnings[0]).toMatch(
      /^the checksum database does not answer \(unreachable\) and no usable mirror proxies it/,
    );
  });

  it("leaves a user's GOSUMDB=off alone, with a warning", () => {
    const { decision } = decide(
      input([mirror('a', 'healthy')], freshState(), {
        current: { GOPROXY: '', GOSUMDB: 'off', GOPRIVATE: '', GONOPROXY: '', GONOSUMDB: '' },
      }),
    );
    expect(decision.gosumdb).toBe('off');
    expect(decision.warnings[0]).toMatch(/^GOSUMDB is off/);
  });
});

describe('private modules', () => {
  it('warns when GONOPROXY does not cover GOPRIVATE', () => {
    expect(
      privateModuleWarnings({
        GOPRIVATE: 'git.corp.example/*,github.com/acme',
        GONOPROXY: 'git.corp.example',
        GONOSUMDB: '',
      }),
    ).toEqual([
      'GONOPROXY (git.corp.example) does not cover GOPRIVATE github.com/acme: go will ask the public mirrors for those private paths; add them to GONOPROXY or unset GONOPROXY',
    ]);
  });

  it('is quiet when GONOPROXY is unset (it defaults to GOPRIVATE) or covers it', () => {
    expect(privateModuleWarnings({ GOPRIVATE: 'git.corp.example', GONOPROXY: '', GONOSUMDB: '' })).toEqual(
      [],
    );
    expect(
      privateModuleWarnings({
        GOPRIVATE: 'git.corp.example/team',
        GONOPROXY: 'git.corp.example',
        GONOSUMDB: '',
      }),
    ).toEqual([]);
    expect(
      privateModuleWarnings({ GOPRIVATE: 'git.corp.example', GONOPROXY: '*.example', GONOSUMDB: '' }),
    ).toEqual([]);
  });

  // That no private setting is ever changed is asserted on policy.plan's changes (policy-plan.test.ts).
  it('surfaces the warning in the decision', () => {
    const { decision } = decide(
      input([mirror('a', 'healthy')], freshState(), {
        current: {
          GOPROXY: '',
          GOSUMDB: 'sum.golang.org',
          GOPRIVATE: 'corp.example',
          GONOPROXY: 'none',
          GONOSUMDB: '',
        },
      }),
    );
    expect(decision.warnings).toEqual([expect.stringContaining('GONOPROXY')]);
  });
});

describe('GOPROXY validation as go parses it', () => {
  it.each([
    ['https://goproxy.cn|https://proxy.golang.org|direct', undefined],
    ['https://a.example,off', undefined],
    ['', 'is empty; go would fall back to its default'],
    ['https://a.example https://b.example', 'contains white space'],
    ['https://a.example,,https://b.example', 'entry 2 of "https://a.example,,https://b.example" is empty'],
    ['https://a.example|', 'entry 2 of "https://a.example|" is empty'],
    ['direct|https://a.example', 'is "direct", which ends the list'],
    ['ftp://x', 'has the scheme ftp, which go does not support'],
    ['goproxy.cn', 'is not a URL with a scheme'],
  ])('%j', (value, problem) => {
    if (problem === undefined) expect(goproxyProblem(value)).toBeUndefined();
    else expect(goproxyProblem(value)).toContain(problem);
  });
});

describe('guard mode: set once, never switched', () => {
  const guard = { enabled: true, listen: '127.0.0.1:47193' };
  /** One run in guard mode, with GOPROXY as the previous run wrote it. */
  function guarded(mirrors: MirrorHealth[], state: GuardState, GOPROXY: string, allowDirect = false) {
    const base = input(mirrors, state);
    return decide({
      ...base,
      guard,
      policy: { ...base.policy, allowDirect },
      current: { ...base.current, GOPROXY },
    });
  }

  it('puts the guard first and the usable mirrors, health-ordered, after "|"', () => {
    const { decision } = guarded(
      [mirror('a', 'degraded'), mirror('b', 'healthy'), mirror('c', 'timeout')],
      freshState(),
      'https://proxy.golang.org,direct',
      true,
    );
    expect(decision.goproxy).toBe('http://127.0.0.1:47193|https://b.example|https://a.example|direct');
    expect(decision.reasons.join('\n')).toMatch(/^guard mode: GOPROXY points go at the guard proxy/);
  });

  it('leaves GOPROXY alone when mirror health only reorders the mirrors', () => {
    const first = guarded([mirror('a', 'healthy'), mirror('b', 'degraded')], freshState(), 'direct');
    expect(first.decision.goproxy).toBe('http://127.0.0.1:47193|https://a.example|https://b.example');
    const second = guarded(
      [mirror('a', 'degraded'), mirror('b', 'healthy')],
      first.state,
      first.decision.goproxy,
    );
    expect(second.decision.goproxy).toBe(first.decision.goproxy);
    // A mirror failing within its grace stays in the tail: no rewrite either.
    const third = guarded(
      [mirror('a', 'timeout'), mirror('b', 'healthy')],
      second.state,
      first.decision.goproxy,
    );
    expect(third.decision.goproxy).toBe(first.decision.goproxy);
    expect(third.decision.reasons).toContain(
      'guard mode: GOPROXY already points go at the guard proxy http://127.0.0.1:47193; left alone (the guard orders the mirrors per request)',
    );
  });

  it('rewrites the tail only when a mirror is taken out after failAfter runs, the guard staying first', () => {
    let result = guarded([mirror('a', 'healthy'), mirror('b', 'healthy')], freshState(), 'direct');
    const written = result.decision.goproxy;
    result = guarded([mirror('a', 'timeout'), mirror('b', 'healthy')], result.state, written);
    expect(result.decision.goproxy).toBe(written);
    result = guarded([mirror('a', 'timeout'), mirror('b', 'healthy')], result.state, written);
    expect(result.decision.goproxy).toBe('http://127.0.0.1:47193|https://b.example');
    expect(result.decision.reasons.join('\n')).toMatch(
      /fallback after the guard .* changed members \(https:\/\/a.example out\)/,
    );
  });

  it('keeps the value when no mirror works now', () => {
    const first = guarded([mirror('a', 'healthy')], freshState(), 'direct');
    const bad = guarded([mirror('a', 'timeout')], first.state, first.decision.goproxy);
    expect(bad.decision.goproxy).toBe(first.decision.goproxy);
  });

  it('rewrites a guard on another address, and a guard followed by ","', () => {
    const moved = guarded([mirror('a', 'healthy')], freshState(), 'http://127.0.0.1:9999|https://a.example');
    expect(moved.decision.goproxy).toBe('http://127.0.0.1:47193|https://a.example');
    const comma = guarded([mirror('a', 'healthy')], freshState(), 'http://127.0.0.1:47193,https://a.example');
    expect(comma.decision.goproxy).toBe('http://127.0.0.1:47193|https://a.example');
    expect(comma.decision.reasons.join('\n')).toMatch(/has "," after the guard/);
  });

  it('writes the plain list again once guard mode is off', () => {
    const on = guarded([mirror('a', 'healthy')], freshState(), 'direct');
    const base = input([mirror('a', 'healthy')], on.state);
    const off = decide({
      ...base,
      guard: { ...guard, enabled: false },
      current: { ...base.current, GOPROXY: on.decision.goproxy },
    });
    expect(off.decision.goproxy).toBe('https://a.example');
    // ... also when no mirror works then: the last good value, without the guard in front.
    const down = decide({
      ...input([mirror('a', 'timeout')], on.state),
      guard: { ...guard, enabled: false },
    });
    expect(down.decision).toMatchObject({ goproxy: 'https://a.example', keptLastGood: true });
  });
});

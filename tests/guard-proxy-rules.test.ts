import { describe, expect, it } from 'vitest';
import { answerProblem } from '../src/guardproxy/answer-check.js';
import {
  BREAKER,
  breakerOf,
  hedgeDelayMs,
  initialHealth,
  orderMirrors,
  recordCancelled,
  recordOutcome,
  recordOutrun,
  recordStart,
} from '../src/guardproxy/mirror-health.js';
import { parseRequestPath } from '../src/guardproxy/request-path.js';

const names = (states: { name: string }[]) => states.map((s) => s.name);

describe('guard proxy: choosing mirrors (pure rules)', () => {
  it('orders by live latency, config order breaking ties, an unhealthy probe verdict last', () => {
    const [a, b, c] = [initialHealth('a', 0), initialHealth('b', 1), initialHealth('c', 2, 'timeout')];
    expect(names(orderMirrors([c, b, a], 0))).toEqual(['a', 'b', 'c']);
    recordOutcome(a, 'ok', 0, 900);
    recordOutcome(b, 'ok', 0, 40);
    expect(names(orderMirrors([a, b, c], 0))).toEqual(['b', 'a', 'c']);
    // the verdict is outweighed once the mirror shows it answers
    recordOutcome(c, 'ok', 0, 10);
    expect(names(orderMirrors([a, b, c], 0))[2]).toBe('c');
  });

  it('opens the breaker after consecutive failures, lets one trial through after the cool-down, and closes on success', () => {
    const m = initialHealth('m', 0);
    for (let i = 0; i < BREAKER.failuresToOpen - 1; i++) recordOutcome(m, 'timeout', 1000);
    expect(breakerOf(m, 1000)).toBe('closed');
    recordOutcome(m, 'stall', 1000);
    expect(breakerOf(m, 1000)).toBe('open');
    expect(orderMirrors([m], 1000)).toEqual([]);
    const later = 1000 + BREAKER.coolDownMs;
    expect(breakerOf(m, later)).toBe('half-open');
    expect(names(orderMirrors([m], later))).toEqual(['m']);
    recordStart(m, later);
    expect(orderMirrors([m], later)).toEqual([]); // one trial at a time
    recordOutcome(m, 'error', later);
    expect(breakerOf(m, later + BREAKER.coolDownMs)).toBe('open'); // the cool-down doubled
    expect(breakerOf(m, later + 2 * BREAKER.coolDownMs)).toBe('half-open');
    recordOutcome(m, 'ok', later + 2 * BREAKER.coolDownMs, 50);
    expect(breakerOf(m, later + 2 * BREAKER.coolDownMs)).toBe('closed');
    expect(m.consecutiveFailures).toBe(0);
  });

  it('lets a half-open mirror be tried again when its trial was cancelled or outrun, not only when it ended', () => {
    const m = initialHealth('m', 0);
    for (let i = 0; i < BREAKER.failuresToOpen; i++) recordOutcome(m, 'error', 0);
    const later = BREAKER.coolDownMs;
    recordStart(m, later);
    expect(orderMirrors([m], later)).toEqual([]);
    recordCancelled(m);
    expect(names(orderMirrors([m], later))).toEqual(['m']);
    recordStart(m, later);
    recordOutrun(m, 700);
    expect(names(orderMirrors([m], later))).toEqual(['m']);
    expect(m.latencyEwmaMs).toBe(700);
  });

  it('takes a tampered mirror out at once, for longer; a 404 is an answer, not a failure', () => {
    const m = initialHealth('m', 0);
    recordOutcome(m, 'not-found', 0);
    expect(m.consecutiveFailures).toBe(0);
    recordOutcome(m, 'tampered', 0);
    expect(breakerOf(m, BREAKER.coolDownMs * 4)).toBe('open');
    expect(breakerOf(m, BREAKER.tamperedCoolDownMs)).toBe('half-open');
  });

  it('learns the hedge delay from recent latency, within the bounds', () => {
    const bounds = { minMs: 100, maxMs: 2000 };
    const m = initialHealth('m', 0);
    expect(hedgeDelayMs(m, bounds)).toBe(2000);
    recordOutcome(m, 'ok', 0, 200);
    expect(hedgeDelayMs(m, bounds)).toBe(600);
    recordOutcome(m, 'ok', 0, 5);
    expect(hedgeDelayMs(m, bounds)).toBe(425); // EWMA: 0.7 * 200 + 0.3 * 5 = 141.5, times three
    const fast = initialHealth('f', 0);
    recordOutcome(fast, 'ok', 0, 1);
    expect(hedgeDelayMs(fast, bounds)).toBe(100);
    const slow = initialHealth('s', 0);
    recordOutcome(slow, 'ok', 0, 5000);
    expect(hedgeDelayMs(slow, bounds)).toBe(2000);
  });
});

describe('guard proxy: request paths, checked as go checks them', () => {
  const parse = (path: string) => parseRequestPath(path, 'sum.golang.org');

  it.each([
    ['/github.com/!azure/azure-sdk-for-go/@v/list', 'github.com/Azure/azure-sdk-for-go', 'list', undefined],
    ['/golang.org/x/text/@v/v0.14.0.info', 'golang.org/x/text', 'info', 'v0.14.0'],
    ['/golang.org/x/text/@v/v0.14.0.mod', 'golang.org/x/text', 'mod', 'v0.14.0'],
    ['/golang.org/x/text/@v/v0.14.0.zip', 'golang.org/x/text', 'zip', 'v0.14.0'],
    ['/golang.org/x/text/@latest', 'golang.org/x/text', 'latest', undefined],
    ['/example.com/m/@v/v1.0.0-!r!c1.info', 'example.com/m', 'info', 'v1.0.0-RC1'],
  ])('reads %s', (path, module, file, version) => {
    expect(parse(path)).toEqual({
      kind: 'module',
      module,
      file,
      upstreamPath: path,
      ...(version ? { version } : {}),
    });
  });

  it.each([
    '/github.com/Azure/x/@v/list', // an upper-case letter go would have escaped
    '/github.com/!/x/@v/list',
    '/nodot/x/@v/list',
    '/example.com//x/@v/list',
    '/example.com/../etc/@v/list',
    '/example.com/x/@v/v1.0.0.tar',
    '/example.com/x/@v/../../v1.zip',
    '/example.com/x/@v/',
    '/',
    '/favicon.ico',
    '/sumdb/sum.other.org/latest',
    '/sumdb/sum.golang.org/tile/8/0/../../x',
  ])('answers 404 for %s', (path) => {
    expect(parse(path).kind).toBe('not-found');
  });

  it('reads the checksum database paths and the status page', () => {
    expect(parse('/sumdb/sum.golang.org/supported')).toEqual({
      kind: 'sumdb',
      databasePath: '/supported',
      immutable: false,
    });
    expect(parse('/sumdb/sum.golang.org/latest')).toMatchObject({ immutable: false });
    expect(parse('/sumdb/sum.golang.org/lookup/golang.org/x/text@v0.14.0')).toMatchObject({
      kind: 'sumdb',
      immutable: true,
    });
    expect(parse('/sumdb/sum.golang.org/tile/8/0/x001/234.p/5')).toMatchObject({ immutable: true });
    expect(parse('/sumdb/sum.golang.org/tile/8/data/000')).toMatchObject({ immutable: true });
    expect(parse('/_guard/status')).toEqual({ kind: 'status' });
  });
});

describe('guard proxy: judging answers as the probes do', () => {
  const check = (kind: Parameters<typeof answerProblem>[0], body: string, type = 'text/plain') =>
    answerProblem(kind, type, Buffer.from(body));

  it('accepts what go expects', () => {
    expect(check('list', 'v1.0.0\nv1.1.0\n')).toBeUndefined();
    expect(check('list', '')).toBeUndefined();
    expect(check('info', '{"Version":"v1.1.0","Time":"2026-01-02T03:04:05Z"}')).toBeUndefined();
    expect(check('mod', 'module lab.test/canary\n\ngo 1.19\n')).toBeUndefined();
    expect(answerProblem('zip', 'application/zip', Buffer.from('PK\x03\x04rest', 'latin1'))).toBeUndefined();
    expect(answerProblem('sumdb-tile', '', Buffer.from([0x3c, 0x00, 0xff]))).toBeUndefined();
  });

  it('refuses a captive portal, a list that is no list, .info that is no JSON, a .mod that is no go.mod, a zip that is no zip', () => {
    expect(check('list', '<!DOCTYPE html><title>Sign in</title>', 'text/html')).toMatch(/HTML page/);
    expect(check('info', '<html>hello</html>')).toMatch(/HTML/);
    expect(check('list', '{"oops": true}\n')).toMatch(/not a version list/);
    expect(check('info', 'Version: v1.1.0')).toMatch(/not JSON/);
    expect(check('info', '{"Time":"x"}')).toMatch(/without a Version/);
    expect(check('mod', 'hello\n')).toMatch(/no module directive/);
    expect(check('zip', 'not a zip')).toMatch(/not a zip/);
  });
});

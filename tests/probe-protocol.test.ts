import { describe, expect, it } from 'vitest';
import { probedLab } from './helpers.js';

const { mirror } = await probedLab('protocol-faults');
const url = (name: string, path = 'lab.test/canary/@v/list') =>
  `https://${name}.mirror.lab.test:\\d+/${path.replace(/\./g, '\\.')}`;

describe('GOPROXY protocol verdicts against the protocol-faults lab scenario', () => {
  it.each([
    ['gateway-timeout', 'http-error', `^GET ${url('gateway-timeout')}: 504$`],
    [
      'not-found',
      'http-error',
      `^GET ${url('not-found')}: 404: the mirror does not serve the canary module lab\\.test/canary@v1\\.1\\.0$`,
    ],
    ['gone', 'http-error', `^GET ${url('gone')}: 410: the mirror does not serve the canary module`],
    [
      'garbage-list',
      'bad-response',
      `^GET ${url('garbage-list')}: 200 but the body is not a version list \\(line "\\{\\\\"oops\\\\": true\\}"\\)$`,
    ],
    [
      'bad-info',
      'bad-response',
      `^GET ${url('bad-info', 'lab.test/canary/@v/v1.1.0.info')}: 200 but the body is not JSON \\("Version: v1\\.1\\.0"\\)$`,
    ],
    [
      'wrong-mod',
      'bad-response',
      `^GET ${url('wrong-mod', 'lab.test/canary/@v/v1.1.0.mod')}: 200 but the go\\.mod declares module evil\\.example/other, not lab\\.test/canary$`,
    ],
    [
      'stale',
      'degraded',
      `^GET ${url('stale')}: 200; the version list \\(1 versions\\) lacks v1\\.1\\.0: stale mirror\\?$`,
    ],
    ['huge', 'bad-response', `^GET ${url('huge')}: 200 with a body too large for a version list$`],
    [
      'hang-after-headers',
      'timeout',
      '^no answer within the 2000 ms deadline during transfer \\(127\\.0\\.0\\.1:\\d+\\)$',
    ],
    ['drip', 'timeout', '^no answer within the 2000 ms deadline during transfer \\(127\\.0\\.0\\.1:\\d+\\)$'],
    ['slow', 'degraded', '^slow: \\d+ ms, more than half the 2000 ms deadline$'],
  ])('%s -> %s', (name, verdict, evidence) => {
    const result = mirror(name);
    expect(result.verdict).toBe(verdict);
    expect(result.evidence).toContainEqual(expect.stringMatching(new RegExp(evidence)));
  });

  it('follows a redirect to another lab host and checks that host', () => {
    const redirect = mirror('redirect');
    expect(redirect.verdict).toBe('healthy');
    expect(redirect.evidence[0]).toMatch(
      new RegExp(
        `^GET ${url('healthy')}: 200 via 1 redirect\\(s\\) to ${url('healthy')}, 2 versions including v1\\.1\\.0`,
      ),
    );
  });

  it('judges the redirect host TLS, naming that host', () => {
    expect(mirror('redirect-expired').verdict).toBe('tls-invalid');
    expect(mirror('redirect-expired').evidence[0]).toMatch(
      /^tls \(expired-cdn\.mirror\.lab\.test\): the certificate has expired \(CERT_HAS_EXPIRED\)/,
    );
  });

  it('refuses a redirect from https to http', () => {
    expect(mirror('redirect-http').verdict).toBe('http-error');
    expect(mirror('redirect-http').evidence[0]).toMatch(
      new RegExp(
        `^redirect from https to http:// refused: ${url('redirect-http')} -> http://127\\.0\\.0\\.1:\\d+/lab\\.test/canary/@v/list$`,
      ),
    );
  });

  it('stops a redirect loop', () => {
    expect(mirror('redirect-loop').verdict).toBe('http-error');
    expect(mirror('redirect-loop').evidence[0]).toMatch(
      /^redirect loop: .*@v\/list -> .*@v\/list\?again -> .*@v\/list$/,
    );
  });
});

describe('checksum database proxy', async () => {
  const sumdb = await probedLab('sumdb');
  it('sees a mirror that proxies the database', () => {
    expect(sumdb.mirror('sumdb-healthy')).toMatchObject({ verdict: 'healthy', sumdb: 'proxied' });
    expect(sumdb.mirror('sumdb-healthy').evidence).toContainEqual(
      expect.stringMatching(
        /^sumdb: proxies the checksum database \(lookup https:\/\/sumdb-healthy\.mirror\.lab\.test:\d+\/sumdb\/sum\.lab\.test\/lookup\/lab\.test\/canary@v1\.1\.0 answered\)$/,
      ),
    );
  });
  it('does not hold it against a mirror that does not proxy it', () => {
    expect(sumdb.mirror('sumdb-missing')).toMatchObject({ verdict: 'healthy', sumdb: 'not-proxied' });
  });
  it('degrades a mirror whose database proxy is broken', () => {
    expect(sumdb.mirror('sumdb-broken')).toMatchObject({ verdict: 'degraded', sumdb: 'broken' });
    expect(sumdb.mirror('sumdb-broken').evidence).toContainEqual(
      expect.stringMatching(
        /^sumdb: GET .*\/lookup\/lab\.test\/canary@v1\.1\.0: 500 but the body is not a lookup record/,
      ),
    );
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validate } from '../src/config/load.js';
import { type RunningLab, startLab } from '../src/lab/scenarios.js';
import { connectRequest, proxyAuthorization } from '../src/probe/connect.js';
import { type ProxyRoute, proxyFor, routeFromEnv } from '../src/probe/route.js';
import { type HealthReport, probeMirrors } from '../src/probe/run.js';
import { cli } from './helpers.js';

// Mirrors probed the way go reaches them when HTTPS_PROXY is set: through the proxy, which
// resolves the name itself. The lab's CONNECT proxies tunnel only to loopback.

let lab: RunningLab;
const proxyUrl = (name: string) => lab.proxies.find((p) => p.name === name)?.url as string;

beforeAll(async () => {
  lab = await startLab(
    {
      summary: 'a healthy mirror, one behind a hijacking resolver, and three corporate proxies',
      mirrors: [
        { name: 'healthy', mode: { kind: 'ok' } },
        { name: 'hijacked', mode: { kind: 'ok' }, dns: 'bogon' },
      ],
      proxies: [
        { name: 'working', mode: 'ok' },
        { name: 'hanging', mode: 'hanging' },
        { name: 'authenticating', mode: 'auth-required' },
      ],
    },
    1500,
  );
}, 60_000);
afterAll(() => lab?.stop());

async function probeThrough(env: NodeJS.ProcessEnv): Promise<HealthReport> {
  const { config, extraCas } = await validate(lab.config);
  return probeMirrors(config, extraCas, undefined, undefined, routeFromEnv(env));
}
const mirror = (report: HealthReport, name: string) => report.mirrors.find((m) => m.name === name);

describe('mirrors probed through HTTPS_PROXY, as go reaches them', () => {
  it('are healthy through a working proxy, which resolves the names (a hijacked local DNS does not matter)', async () => {
    const report = await probeThrough({ HTTPS_PROXY: proxyUrl('working') });
    for (const name of ['healthy', 'hijacked']) {
      expect(mirror(report, name)?.verdict, name).toBe('healthy');
      expect(mirror(report, name)?.evidence).toContain(
        `reached through the proxy ${proxyUrl('working')} (HTTPS_PROXY), as go does`,
      );
      expect(mirror(report, name)?.address).toBeNull();
    }
    expect(report.database.healthy).toBe(true);
  });

  it('time out behind a hanging proxy, and the evidence names the proxy', async () => {
    const report = await probeThrough({ https_proxy: proxyUrl('hanging') });
    expect(mirror(report, 'healthy')?.verdict).toBe('timeout');
    expect(mirror(report, 'healthy')?.evidence[0]).toBe(
      `no answer within the 1500 ms deadline during connect (healthy.mirror.lab.test through the proxy ${proxyUrl('hanging')})`,
    );
  });

  it('are auth-required behind a proxy that answers 407', async () => {
    const report = await probeThrough({ HTTPS_PROXY: proxyUrl('authenticating') });
    expect(mirror(report, 'healthy')?.verdict).toBe('auth-required');
    expect(mirror(report, 'healthy')?.evidence[0]).toMatch(
      /^the proxy 127\.0\.0\.1:\d+ answered CONNECT healthy\.mirror\.lab\.test:\d+ with "HTTP\/1\.1 407 Proxy Authentication Required": the proxy wants credentials/,
    );
  });

  it('go direct when NO_PROXY covers them, even with a hanging proxy set', async () => {
    const report = await probeThrough({ HTTPS_PROXY: proxyUrl('hanging'), NO_PROXY: 'localhost,.lab.test' });
    expect(mirror(report, 'healthy')?.verdict).toBe('healthy');
    expect(mirror(report, 'healthy')?.address).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('health on the CLI takes the proxy from its environment', async () => {
    const run = await cli(['health', '--config', lab.configPath, '--json'], {
      HTTPS_PROXY: proxyUrl('hanging'),
    });
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as HealthReport;
    expect(report.mirrors.map((m) => m.verdict)).toEqual(['timeout', 'timeout']);
  });
});

describe('a plain-http mirror through HTTP_PROXY, as go sends it: in absolute form, not CONNECT', () => {
  let intranet: RunningLab;
  const proxy = (name: string) =>
    intranet.proxies.find((p) => p.name === name) as RunningLab['proxies'][number];
  const probe = async (env: NodeJS.ProcessEnv) => {
    // Without candidates, so the proxies see only the mirror probe (not their own CONNECT check).
    const { config, extraCas } = await validate({ ...intranet.config, proxies: undefined });
    return probeMirrors(config, extraCas, undefined, undefined, routeFromEnv(env));
  };

  beforeAll(async () => {
    intranet = await startLab(
      {
        summary: 'an intranet mirror on plain http, and two corporate proxies',
        mirrors: [{ name: 'intranet', mode: { kind: 'ok' }, plain: true }],
        proxies: [
          { name: 'working', mode: 'ok' },
          { name: 'authenticating', mode: 'auth-required' },
        ],
      },
      1500,
    );
  }, 60_000);
  afterAll(() => intranet?.stop());

  it('is healthy, and every request the proxy got was a GET of the full URL', async () => {
    const working = proxy('working');
    const report = await probe({ HTTP_PROXY: working.url, HTTPS_PROXY: proxy('authenticating').url });
    const mirror = report.mirrors[0];
    expect(mirror?.verdict, mirror?.evidence.join('\n')).toBe('healthy');
    expect(mirror?.evidence).toContain(`reached through the proxy ${working.url} (HTTP_PROXY), as go does`);
    const base = intranet.mirrors[0]?.url as string;
    expect(base).toMatch(/^http:\/\/intranet\.mirror\.lab\.test:\d+$/);
    expect(working.requests.length).toBeGreaterThan(0);
    for (const line of working.requests) expect(line.startsWith(`GET ${base}/`), line).toBe(true);
  });

  it('judges the proxy candidates the same way when no mirror is https: GET in absolute form, not CONNECT', async () => {
    const { config, extraCas } = await validate(intranet.config);
    const before = proxy('working').requests.length;
    const report = await probeMirrors(config, extraCas, undefined, undefined, undefined);
    const [working, authenticating] = report.proxies;
    expect(working?.verdict, working?.evidence.join('\n')).toBe('healthy');
    expect(working?.evidence[0]).toMatch(
      /^GET http:\/\/intranet\.mirror\.lab\.test:\d+\/ via 127\.0\.0\.1:\d+: HTTP\/1\.1 \d{3} .*; the mirror answered through it$/,
    );
    expect(proxy('working').requests.slice(before)).toEqual([`GET ${intranet.mirrors[0]?.url}/`]);
    expect(authenticating?.verdict).toBe('auth-required');
  });

  it('is auth-required when the proxy answers the GET with 407', async () => {
    const report = await probe({ HTTP_PROXY: proxy('authenticating').url });
    expect(report.mirrors[0]?.verdict).toBe('auth-required');
    expect(report.mirrors[0]?.evidence[0]).toMatch(
      /^the proxy 127\.0\.0\.1:\d+ answered GET http:\/\/intranet\.mirror\.lab\.test:\d+\/\S+ with 407: the proxy wants credentials/,
    );
  });
});

describe('which URLs go sends through the proxy (golang.org/x/net/http/httpproxy rules)', () => {
  const route = (noProxy: string): ProxyRoute =>
    routeFromEnv({
      HTTPS_PROXY: 'proxy.corp:8080',
      HTTP_PROXY: 'http://plain.corp:3128',
      NO_PROXY: noProxy,
    }) as ProxyRoute;
  const via = (r: ProxyRoute, url: string) => proxyFor(r, new URL(url))?.href ?? 'direct';

  it.each([
    ['https://goproxy.cn', '', 'http://proxy.corp:8080/'],
    ['http://goproxy.corp.example', '', 'http://plain.corp:3128/'],
    ['https://localhost:8443', '', 'direct'],
    ['https://127.0.0.2', '', 'direct'],
    ['https://[::1]:443', '', 'direct'],
    ['https://goproxy.cn', '*', 'direct'],
    ['https://goproxy.cn', 'goproxy.cn', 'direct'],
    ['https://mirrors.goproxy.cn', 'goproxy.cn', 'direct'],
    ['https://mirrors.goproxy.cn', '.goproxy.cn', 'direct'],
    ['https://notgoproxy.cn', 'goproxy.cn', 'http://proxy.corp:8080/'],
    ['https://goproxy.cn', 'goproxy.cn:8443', 'http://proxy.corp:8080/'],
    ['https://goproxy.cn:8443', 'goproxy.cn:8443', 'direct'],
    ['https://10.1.2.3', '10.0.0.0/8', 'direct'],
    ['https://11.1.2.3', '10.0.0.0/8', 'http://proxy.corp:8080/'],
  ])('%s with NO_PROXY=%j goes %s', (url, noProxy, expected) => {
    expect(via(route(noProxy), url)).toBe(expected);
  });

  it('is off without a proxy variable', () => {
    expect(routeFromEnv({ NO_PROXY: 'x' })).toBeUndefined();
  });
});

describe('credentials in the proxy URL, sent as go sends them', () => {
  it('are percent-decoded and sent as Basic over UTF-8, in CONNECT and in absolute-form requests alike', () => {
    const proxy = new URL('http://zo%C3%AB:p%40ss%3Aword@proxy.corp.example:8080');
    const expected = `Basic ${Buffer.from('zoë:p@ss:word', 'utf8').toString('base64')}`;
    expect(proxyAuthorization(proxy)).toBe(expected);
    expect(connectRequest('goproxy.cn:443', proxy)).toBe(
      `CONNECT goproxy.cn:443 HTTP/1.1\r\nHost: goproxy.cn:443\r\nProxy-Authorization: ${expected}\r\n\r\n`,
    );
  });

  it('are left out when the URL has none', () => {
    const proxy = new URL('http://proxy.corp.example:8080');
    expect(proxyAuthorization(proxy)).toBeUndefined();
    expect(connectRequest('goproxy.cn:443', proxy)).toBe(
      'CONNECT goproxy.cn:443 HTTP/1.1\r\nHost: goproxy.cn:443\r\n\r\n',
    );
  });
});

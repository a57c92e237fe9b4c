import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validate } from '../src/config/load.js';
import { type RunningLab, startLab } from '../src/lab/scenarios.js';
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

import { describe, expect, it } from 'vitest';
import { DEFAULT_MIRRORS } from '../src/config/defaults.js';
import { ConfigError } from '../src/config/errors.js';
import { CONFIG_ENV, loadConfig, validate } from '../src/config/load.js';
import { tempDir, writeJson } from './helpers.js';

const dir = await tempDir();

async function fieldOf(raw: unknown): Promise<string> {
  const error = await validate(raw).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return (error as ConfigError).field;
}

describe('config', () => {
  it('uses the built-in public mirrors when no file is named', async () => {
    const loaded = await loadConfig(undefined, {});
    expect(loaded.source).toBe('built-in defaults');
    expect(loaded.config.mirrors.map((m) => m.url)).toEqual(DEFAULT_MIRRORS.map((m) => m.url));
    expect(loaded.config.deadlineMs).toBe(5000);
    expect(loaded.config.canary).toEqual({ module: 'golang.org/x/text', version: 'v0.14.0' });
  });

  it('takes --config over GOPROXYGUARD_CONFIG, and the variable over the defaults', async () => {
    const a = await writeJson(dir, 'a.json', { mirrors: [{ name: 'a', url: 'https://a.example' }] });
    const b = await writeJson(dir, 'b.json', { mirrors: [{ name: 'b', url: 'https://b.example' }] });
    expect((await loadConfig(a, { [CONFIG_ENV]: b })).config.mirrors[0]?.name).toBe('a');
    expect((await loadConfig(undefined, { [CONFIG_ENV]: b })).config.mirrors[0]?.name).toBe('b');
    expect((await loadConfig(undefined, { [CONFIG_ENV]: b })).source).toBe(b);
  });

  it('reads a file saved with a BOM (as Notepad writes it) and trims a trailing slash', async () => {
    const path = await writeJson(
      dir,
      'bom.json',
      `\uFEFF${JSON.stringify({ mirrors: [{ name: 'x', url: 'https://x.example/goproxy/' }] })}`,
    );
    expect((await loadConfig(path, {})).config.mirrors[0]?.url).toBe('https://x.example/goproxy');
  });

  it.each([
    [{ mirrors: [{ name: 'a', url: 'https://a.example', colour: 'red' }] }, 'mirrors[0].colour'],
    [{ mirorrs: [] }, 'mirorrs'],
    [{ mirrors: [{ name: 'a', url: 'not a url' }] }, 'mirrors[0].url'],
    [{ mirrors: [{ name: 'a', url: 'ftp://a.example' }] }, 'mirrors[0].url'],
    [{ mirrors: [{ name: 'a', url: 'http://a.example' }] }, 'mirrors[0].url'],
    [{ mirrors: [{ name: 'a', url: 'https://a.example,https://b.example' }] }, 'mirrors[0].url'],
    [{ mirrors: [{ name: 'a', url: 'https://user:pw@a.example' }] }, 'mirrors[0].url'],
    [{ mirrors: [{ name: 'a b', url: 'https://a.example' }] }, 'mirrors[0].name'],
    [
      {
        mirrors: [
          { name: 'a', url: 'https://a.example' },
          { name: 'A', url: 'https://b.example' },
        ],
      },
      'mirrors[1].name',
    ],
    [{ mirrors: [] }, 'mirrors'],
    [{ mirrors: [{ url: 'https://a.example' }] }, 'mirrors[0].name'],
    [{ deadlineMs: -5 }, 'deadlineMs'],
    [{ deadlineMs: 2.5 }, 'deadlineMs'],
    [{ deadlineMs: '5000' }, 'deadlineMs'],
    [{ canary: { module: 'Not A Module', version: 'v1.0.0' } }, 'canary.module'],
    [{ canary: { module: 'golang.org/x/text', version: '1.0' } }, 'canary.version'],
    [{ dns: { systemResolver: '127.0.0.1' } }, 'dns.systemResolver'],
    [{ dns: { systemResolver: '127.0.0.1:99999' } }, 'dns.systemResolver'],
    [{ tls: { extraCaFiles: [''] } }, 'tls.extraCaFiles[0]'],
    [{ dns: { trusted: ['http://1.1.1.1/dns-query'] } }, 'dns.trusted[0]'],
    [{ dns: { trusted: ['https://1.1.1.1/dns-query', 'not a url'] } }, 'dns.trusted[1]'],
    [{ dns: { trusted: 'https://1.1.1.1/dns-query' } }, 'dns.trusted'],
    [{ sumdb: { name: 'sum golang' } }, 'sumdb.name'],
    [
      { proxies: { candidates: [{ name: 'p', url: 'socks5://127.0.0.1:1080' }] } },
      'proxies.candidates[0].url',
    ],
    [
      { proxies: { candidates: [{ name: 'p', url: 'http://127.0.0.1:3128/path' }] } },
      'proxies.candidates[0].url',
    ],
    [{ proxies: [{ name: 'p', url: 'http://127.0.0.1:3128' }] }, 'proxies'],
    [{ proxies: { candidates: [{ name: 'p', url: 'http://proxy.corp' }] } }, 'proxies.candidates[0].url'],
    [{ proxies: { candidates: [{ name: 'p', url: 'http://a"b:80' }] } }, 'proxies.candidates[0].url'],
    [{ proxies: { candidates: [{ name: 'p', url: 'http://u:100%@p:80' }] } }, 'proxies.candidates[0].url'],
    [{ proxies: { candidates: [{ name: 'p', url: 'http://prøxy:80' }] } }, 'proxies.candidates[0].url'],
    [
      {
        proxies: {
          candidates: [
            { name: 'p', url: 'http://a:80' },
            { name: 'P', url: 'http://b:80' },
          ],
        },
      },
      'proxies.candidates[1].name',
    ],
    [{ proxies: { bypass: ['ok.example', 'two words'] } }, 'proxies.bypass[1]'],
    [{ proxies: { bypass: ['a;b'] } }, 'proxies.bypass[0]'],
    [{ proxies: { targets: ['env', 'firefox'] } }, 'proxies.targets[1]'],
    [{ proxies: { direct: 'yes' } }, 'proxies.direct'],
    [{ guard: { listen: '0.0.0.0:47193' } }, 'guard.listen'],
    [{ guard: { listen: '192.168.1.5:8080' } }, 'guard.listen'],
    [{ guard: { listen: '[::]:47193' } }, 'guard.listen'],
    [{ guard: { listen: 'guard.example:80' } }, 'guard.listen'],
    [{ guard: { listen: '127.0.0.1' } }, 'guard.listen'],
    [{ guard: { listen: '127.0.0.1:70000' } }, 'guard.listen'],
    [{ guard: { firstByteMs: 0 } }, 'guard.firstByteMs'],
    [{ guard: { hedgeMinMs: 3000, hedgeMaxMs: 1000 } }, 'guard.hedgeMinMs'],
    [{ guard: { cacheMaxMb: 1 } }, 'guard.cacheMaxMb'],
    [{ guard: { perMirrorConcurrency: 0 } }, 'guard.perMirrorConcurrency'],
    [{ guard: { port: 1 } }, 'guard.port'],
  ])('rejects %j naming the field %s', async (raw, field) => {
    expect(await fieldOf(raw)).toBe(field);
  });

  it('takes proxy URLs with percent-escaped credentials, and defaults the proxy settings', async () => {
    const { config } = await validate({
      proxies: { candidates: [{ name: 'p', url: 'http://zoe:p%40ss@proxy.corp:8080' }] },
    });
    expect(config.proxies).toEqual({
      candidates: [{ name: 'p', url: 'http://zoe:p%40ss@proxy.corp:8080' }],
      bypass: ['<local>', 'localhost', '127.0.0.1', '::1'],
      targets: ['env', 'wininet'],
      direct: false,
    });
  });

  it('defaults the guard to a fixed loopback port and takes any loopback listen address', async () => {
    const { config } = await validate({});
    expect(config.guard).toEqual({
      enabled: false,
      listen: '127.0.0.1:47193',
      firstByteMs: 4000,
      stallMs: 5000,
      hedgeMinMs: 150,
      hedgeMaxMs: 2000,
      listFreshMs: 60_000,
      cacheMaxMb: 2048,
      perMirrorConcurrency: 8,
    });
    for (const listen of ['127.0.0.1:0', '127.3.2.1:8080', '[::1]:47193', 'localhost:9000']) {
      expect((await validate({ guard: { listen } })).config.guard.listen).toBe(listen);
    }
    await expect(validate({ guard: { listen: '0.0.0.0:47193' } })).rejects.toThrow(
      /config field "guard.listen": must be a loopback address \(127.0.0.0\/8 or \[::1\]\)/,
    );
  });

  it('explains the fix in the message', async () => {
    await expect(validate({ mirrors: [{ name: 'a', url: 'http://a.example' }] })).rejects.toThrow(
      'config field "mirrors[0].url": must use https:// (got "http://a.example"); set "allowInsecure": true on this mirror to accept plain http',
    );
    await expect(validate({ deadlineMs: -5 })).rejects.toThrow(
      'config field "deadlineMs": must be at least 100 ms',
    );
    await expect(validate({ bogus: 1 })).rejects.toThrow('config field "bogus": unknown field');
  });

  it('accepts plain http only for a mirror that says allowInsecure', async () => {
    const { config } = await validate({
      mirrors: [{ name: 'a', url: 'http://127.0.0.1:1', allowInsecure: true }],
    });
    expect(config.mirrors[0]?.url).toBe('http://127.0.0.1:1');
  });

  it('reads tls.extraCaFiles and rejects a missing or non-PEM file by index', async () => {
    const notPem = await writeJson(dir, 'not.pem', 'hello');
    await expect(validate({ tls: { extraCaFiles: [notPem] } })).rejects.toThrow(
      /config field "tls.extraCaFiles\[0\]": .*holds no PEM certificate/,
    );
    const brokenPem = await writeJson(
      dir,
      'broken.pem',
      '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
    );
    await expect(validate({ tls: { extraCaFiles: [brokenPem] } })).rejects.toThrow(
      /config field "tls.extraCaFiles\[0\]": .*cannot be parsed/,
    );
    await expect(validate({ tls: { extraCaFiles: [`${dir}/missing.pem`] } })).rejects.toThrow(
      /config field "tls.extraCaFiles\[0\]": cannot read/,
    );
  });

  it('names the file when it is not JSON or cannot be read', async () => {
    const broken = await writeJson(dir, 'broken.json', '{"mirrors": [');
    await expect(loadConfig(broken, {})).rejects.toThrow(`config file ${broken} is not valid JSON`);
    await expect(loadConfig(`${dir}/none.json`, {})).rejects.toThrow(
      `cannot read config file ${dir}/none.json`,
    );
    const list = await writeJson(dir, 'list.json', '[]');
    await expect(loadConfig(list, {})).rejects.toThrow('must hold a JSON object');
  });
});

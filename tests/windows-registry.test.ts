import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPki } from '../src/lab/pki.js';
import type { RegistryValue } from '../src/settings/setting-value.js';
import {
  decodeRegFile,
  exportKey,
  parseRegExport,
  readRegistryValues,
  regAddArgs,
  subkeyValues,
  writeRegistryValue,
} from '../src/system/registry.js';
import { certificateFromBlob, rootsInExport, WINDOWS_ROOT_STORES } from '../src/system/windows-roots.js';
import { readWindowsSettings, USER_ENV_KEY, writeWindowsSettings } from '../src/system/windows-settings.js';
import { type WindowsWorld, windowsWorld } from './windows-world.js';

// The registry effectors against Wine's real reg.exe on a private WINEPREFIX.

let world: WindowsWorld;
beforeAll(async () => {
  world = await windowsWorld();
}, 120_000);
afterAll(() => world?.stop());

const env = () => ({ ...process.env, ...world.env });
const KEY = 'HKCU\\Software\\GoProxyGuardTest';

// Values users really have in these settings, and the ones that break naive scripts.
const AWKWARD = [
  'http://proxy.corp.example:8080',
  'a "quoted" value',
  'x;y;z',
  'two  spaces and a trailing space ',
  '<local>;*.corp.example;10.*',
  '%USERPROFILE%\\go;%PATH%',
  '100%',
  'Zoë Ärger 中文代理',
  'ends with a backslash\\',
  '/d looks like a switch',
  '-starts with a dash',
  '',
];

describe('reg.exe round trips (Wine)', { timeout: 60_000 }, () => {
  it.each(AWKWARD.map((value, i) => [i, value]))('REG_SZ #%i %j is read back exactly', async (i, value) => {
    const name = `Awkward${i}`;
    await writeRegistryValue(KEY, name, { was: 'set', type: 'REG_SZ', value }, env());
    const read = await readRegistryValues(KEY, [name], env());
    expect(read[name]).toEqual({ was: 'set', type: 'REG_SZ', value });
  });

  it('REG_EXPAND_SZ keeps its type and its %VARIABLES% unexpanded, non-ASCII included', async () => {
    const value = '%USERPROFILE%\\go\\bin;C:\\Zoë\\中文;"quoted"';
    await writeRegistryValue(KEY, 'Expand', { was: 'set', type: 'REG_EXPAND_SZ', value }, env());
    const read = await readRegistryValues(KEY, ['Expand'], env());
    expect(read.Expand).toEqual({ was: 'set', type: 'REG_EXPAND_SZ', value });
  });

  it('REG_DWORD reads back as its decimal number', async () => {
    await writeRegistryValue(KEY, 'ProxyEnable', { was: 'set', type: 'REG_DWORD', value: '1' }, env());
    await writeRegistryValue(KEY, 'Big', { was: 'set', type: 'REG_DWORD', value: '4294967295' }, env());
    const read = await readRegistryValues(KEY, ['ProxyEnable', 'Big'], env());
    expect(read.ProxyEnable).toEqual({ was: 'set', type: 'REG_DWORD', value: '1' });
    expect(read.Big).toEqual({ was: 'set', type: 'REG_DWORD', value: '4294967295' });
  });

  it('REG_BINARY (the WinINet connection blob) round-trips as hex', async () => {
    const value = '460000000a00000003000000120000003132372e302e302e313a38303830';
    await writeRegistryValue(KEY, 'Blob', { was: 'set', type: 'REG_BINARY', value }, env());
    const read = await readRegistryValues(KEY, ['Blob'], env());
    expect(read.Blob).toEqual({ was: 'set', type: 'REG_BINARY', value });
  });

  it('names match case-insensitively, as on Windows', async () => {
    await writeRegistryValue(KEY, 'MixedCase', { was: 'set', type: 'REG_SZ', value: 'v' }, env());
    const read = await readRegistryValues(KEY, ['MIXEDCASE'], env());
    expect(read.MIXEDCASE).toEqual({ was: 'set', type: 'REG_SZ', value: 'v' });
  });

  it('deleting makes a value absent; deleting an absent value is not an error', async () => {
    await writeRegistryValue(KEY, 'Gone', { was: 'set', type: 'REG_SZ', value: 'here' }, env());
    await writeRegistryValue(KEY, 'Gone', { was: 'unset' }, env());
    await writeRegistryValue(KEY, 'Gone', { was: 'unset' }, env());
    expect((await readRegistryValues(KEY, ['Gone'], env())).Gone).toEqual({ was: 'unset' });
  });

  it('a key that does not exist reads as every value absent', async () => {
    const read = await readRegistryValues('HKCU\\Software\\NoSuchKeyGoProxyGuard', ['A', 'B'], env());
    expect(read).toEqual({ A: { was: 'unset' }, B: { was: 'unset' } });
  });

  it('reads what reg query shows for ASCII values (an independent reader)', async () => {
    const value = 'a "quoted" value;<local>';
    await writeRegistryValue(KEY, 'Cross', { was: 'set', type: 'REG_SZ', value }, env());
    const query = await world.reg(['query', KEY, '/v', 'Cross']);
    expect(query.stdout).toContain(`    Cross    REG_SZ    ${value}`);
  });

  it('a value reg.exe cannot write is refused with the type named', async () => {
    await expect(
      writeRegistryValue(KEY, 'Multi', { was: 'set', type: 'REG_MULTI_SZ', value: 'a' }, env()),
    ).rejects.toThrow(/REG_MULTI_SZ; GoProxyGuard writes only REG_SZ, REG_EXPAND_SZ, REG_DWORD, REG_BINARY/);
  });

  it('the user environment and WinINet values are written, read back and compared as a set', async () => {
    const values: Record<string, RegistryValue> = {
      'user-env:HTTPS_PROXY': { was: 'set', type: 'REG_EXPAND_SZ', value: 'http://p.corp:3128' },
      'user-env:NO_PROXY': { was: 'set', type: 'REG_SZ', value: 'localhost,.corp.example' },
      'wininet:ProxyEnable': { was: 'set', type: 'REG_DWORD', value: '1' },
      'wininet:ProxyOverride': { was: 'set', type: 'REG_SZ', value: '<local>;*.corp.example' },
      'wininet:ProxyServer': { was: 'unset' },
    };
    expect(await writeWindowsSettings(values, env())).toEqual([]);
    expect(await readWindowsSettings(Object.keys(values), env())).toEqual(values);
    const exported = await world.reg(['query', USER_ENV_KEY, '/v', 'NO_PROXY']);
    expect(exported.stdout).toContain('localhost,.corp.example');
  });
});

describe('reading reg export files', { timeout: 60_000 }, () => {
  it('decodes what Wine reg export wrote: UTF-16 with BOM, hex(2) over continuation lines', async () => {
    const value = `${'%LONG%\\'.repeat(12)}ü`;
    await writeRegistryValue(KEY, 'LongExpand', { was: 'set', type: 'REG_EXPAND_SZ', value }, env());
    const file = join(world.dir, 'export.reg');
    expect((await world.reg(['export', KEY, file, '/y'])).exitCode).toBe(0);
    const bytes = await readFile(file);
    expect([bytes[0], bytes[1]]).toEqual([0xff, 0xfe]);
    const text = decodeRegFile(bytes);
    expect(text).toMatch(/"LongExpand"=hex\(2\):[0-9a-f,]+\\\r?\n {2}/);
    expect(parseRegExport(text, KEY).get('longexpand')).toEqual({ type: 'REG_EXPAND_SZ', value });
  });

  it('takes only the asked key, not its subkeys, and reads escapes', () => {
    const text = [
      'Windows Registry Editor Version 5.00',
      '',
      '[HKEY_CURRENT_USER\\Environment]',
      '@="default"',
      '"Q\\"name"="say \\"hi\\" C:\\\\dir\\\\"',
      '"NL"="a\\nb"',
      '',
      '[HKEY_CURRENT_USER\\Environment\\Sub]',
      '"Q\\"name"="from the subkey"',
      '',
    ].join('\r\n');
    const values = parseRegExport(text, 'HKCU\\Environment');
    expect([...values.keys()]).toEqual(['', 'q"name', 'nl']);
    expect(values.get('q"name')).toEqual({ type: 'REG_SZ', value: 'say "hi" C:\\dir\\' });
    expect(values.get('nl')?.value).toBe('a\nb');
  });

  it('refuses a line it cannot read instead of guessing', () => {
    const text = '[HKEY_CURRENT_USER\\Environment]\r\n"A"=strange:00\r\n';
    expect(() => parseRegExport(text, 'HKCU\\Environment')).toThrow(/cannot read: "\\"A\\"=strange:00"/);
  });

  it('reg add gets every value as one argv element', () => {
    expect(regAddArgs('HKCU\\Environment', 'HTTPS_PROXY', 'REG_SZ', 'a "b" ;c %d%')).toEqual([
      'add',
      'HKCU\\Environment',
      '/v',
      'HTTPS_PROXY',
      '/t',
      'REG_SZ',
      '/d',
      'a "b" ;c %d%',
      '/f',
    ]);
  });
});

describe("the Windows root store, as Wine's crypt32 writes it", () => {
  it('every certificate filed there reads back from its Blob, and its SHA-1 is the subkey it is filed under', async () => {
    // Wine's crypt32 copies the host's root certificates into the registry store the first time a
    // program verifies a TLS chain: WinHttp under cscript, against a TLS server on loopback.
    const identity = await (await createPki()).issue(['127.0.0.1']);
    const server = https.createServer({ key: identity.keyPem, cert: identity.chainPem }, (_req, res) =>
      res.end('ok'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const script = join(world.dir, 'verify-tls.js');
    await writeFile(
      script,
      `var r = new ActiveXObject("WinHttp.WinHttpRequest.5.1");
try { r.Open("GET", "https://127.0.0.1:${(server.address() as AddressInfo).port}/", false); r.Send(); } catch (e) {}
`,
    );
    try {
      expect((await world.wine(['cscript', '//nologo', `Z:${script.replaceAll('/', '\\')}`])).exitCode).toBe(
        0,
      );
    } finally {
      server.closeAllConnections();
      server.close();
    }
    const key = WINDOWS_ROOT_STORES[0].key;
    const text = (await exportKey(key, env())) as string;
    expect(text, 'Wine filled no root store').toBeDefined();
    const subkeys = subkeyValues(text, key);
    expect(subkeys.size).toBeGreaterThan(10);
    for (const [thumbprint, values] of subkeys) {
      const blob = values.get('blob');
      expect(blob?.type).toBe('REG_BINARY');
      const der = certificateFromBlob(blob?.value ?? '') as Buffer;
      expect(createHash('sha1').update(der).digest('hex')).toBe(thumbprint);
    }
    expect(rootsInExport(text, key, 'LocalMachine Root')).toHaveLength(subkeys.size);
  }, 120_000);

  it('a missing store reads as missing, not as an error', async () => {
    expect(await exportKey(WINDOWS_ROOT_STORES[2].key, env())).toBeUndefined();
  });
});

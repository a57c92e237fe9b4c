import { describe, expect, it } from 'vitest';
import { toolSaid } from '../src/system/windows-tool.js';
import { netshArgs, parseWinHttpSettings, parseWinHttpShow } from '../src/system/winhttp.js';

// `netsh winhttp show proxy` outputs. There is no Windows here and Wine's netsh is a stub, so
// these are typed from Microsoft's documentation and from the layout Windows 10/11 prints
// (CRLF line ends, four-space indent, padded labels); the README says so.
const DIRECT = '\r\nCurrent WinHTTP proxy settings:\r\n\r\n    Direct access (no proxy server).\r\n\r\n';
const WITH_BYPASS =
  '\r\nCurrent WinHTTP proxy settings:\r\n\r\n    Proxy Server(s) :  proxy.corp.example:8080\r\n    Bypass List     :  <local>;*.corp.example;10.*\r\n\r\n';
const NO_BYPASS =
  '\r\nCurrent WinHTTP proxy settings:\r\n\r\n    Proxy Server(s) :  http=proxy.corp.example:80;https=proxy.corp.example:443\r\n    Bypass List     :  (none)\r\n\r\n';
// German Windows: labels and "none" are translated; the shape is the same.
const GERMAN =
  '\r\nAktuelle WinHTTP-Proxyeinstellungen:\r\n\r\n    Proxyserver :  proxy.corp.example:8080\r\n    Umgehungsliste     :  (keine)\r\n\r\n';
const GERMAN_DIRECT =
  '\r\nAktuelle WinHTTP-Proxyeinstellungen:\r\n\r\n    Direkter Zugriff (kein Proxyserver).\r\n\r\n';

// WinHttpSettings as netsh stores it: DWORD size, DWORD counter, DWORD flags, then the proxy
// and the bypass list, each a DWORD length and its bytes. RESET_BLOB is what `reset proxy` leaves.
const RESET_BLOB = '1800000000000000010000000000000000000000';
function blob(flags: number, proxy: string, bypass: string): string {
  const dword = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };
  const text = (s: string) => Buffer.concat([dword(s.length), Buffer.from(s, 'latin1')]);
  return Buffer.concat([dword(0x28), dword(7), dword(flags), text(proxy), text(bypass)]).toString('hex');
}

describe('netsh winhttp show proxy', () => {
  it('reads direct access', () => {
    expect(parseWinHttpShow(DIRECT)).toBeNull();
  });

  it('reads a proxy with a bypass list', () => {
    expect(parseWinHttpShow(WITH_BYPASS)).toEqual({
      proxyServer: 'proxy.corp.example:8080',
      bypassList: '<local>;*.corp.example;10.*',
    });
  });

  it('reads per-scheme proxies and "(none)"', () => {
    expect(parseWinHttpShow(NO_BYPASS)).toEqual({
      proxyServer: 'http=proxy.corp.example:80;https=proxy.corp.example:443',
      bypassList: '',
    });
  });

  it('reads a localized proxy by its shape', () => {
    expect(parseWinHttpShow(GERMAN)).toEqual({ proxyServer: 'proxy.corp.example:8080', bypassList: '' });
  });

  it.each([
    ['localized direct access (its wording is not known)', GERMAN_DIRECT],
    ['an error', 'Error reading WinHTTP proxy settings. (5) Access is denied.\r\n'],
    ['nothing', ''],
    ['three fields', `${WITH_BYPASS}    Extra : value\r\n`],
    ['a proxy server that is not one', WITH_BYPASS.replace('proxy.corp.example:8080', 'two words')],
  ])('reports %s instead of guessing', (_, output) => {
    expect(() => parseWinHttpShow(output)).toThrow(/cannot read, so WinHTTP is left alone/);
  });
});

describe('localized direct access, settled by the stored WinHttpSettings', () => {
  const direct = parseWinHttpSettings(RESET_BLOB);
  const proxy = parseWinHttpSettings(blob(3, 'proxy.corp.example:8080', '<local>;*.corp.example'));

  it('is direct when the machine stores direct access', () => {
    expect(direct).toBeNull();
    expect(parseWinHttpShow(GERMAN_DIRECT, direct)).toBeNull();
  });

  it.each([
    ['a stored proxy (the two disagree)', GERMAN_DIRECT, proxy],
    ['an unreadable store', GERMAN_DIRECT, undefined],
    [
      'one line that is not the layout (an error message)',
      'Fehler beim Lesen (5) Zugriff verweigert.\r\n',
      direct,
    ],
    ['nothing', '', direct],
  ])('is still unreadable with %s', (_, output, stored) => {
    expect(() => parseWinHttpShow(output, stored)).toThrow(/cannot read, so WinHTTP is left alone/);
  });
});

describe('the stored WinHttpSettings blob', () => {
  it('reads the blob netsh winhttp reset proxy leaves as direct', () => {
    expect(parseWinHttpSettings(RESET_BLOB)).toBeNull();
  });

  it('reads a named proxy and its bypass list', () => {
    expect(parseWinHttpSettings(blob(3, 'proxy.corp.example:8080', '<local>;*.corp.example'))).toEqual({
      proxyServer: 'proxy.corp.example:8080',
      bypassList: '<local>;*.corp.example',
    });
  });

  it('lets the flags decide: a proxy left behind while they say direct is unused', () => {
    expect(parseWinHttpSettings(blob(1, 'stale.corp.example:8080', ''))).toBeNull();
  });

  it.each([
    ['too short for its header', RESET_BLOB.slice(0, 20)],
    ['a proxy length past its end', blob(3, 'proxy.corp.example:8080', '').replace(/^(.{24})17/, '$1ff')],
    ['no bypass list', blob(3, 'p:1', '').slice(0, -8)],
    ['a proxy server that is not one', blob(3, 'two words', '')],
  ])('is unknown when it has %s', (_, hex) => {
    expect(parseWinHttpSettings(hex)).toBeUndefined();
  });
});

describe('netsh argv', () => {
  it('sets with each tag=value its own element, <local> and ; unquoted (no shell in between)', () => {
    expect(netshArgs.set({ proxyServer: 'backup.corp:3128', bypassList: '<local>;*.corp.example' })).toEqual([
      'winhttp',
      'set',
      'proxy',
      'proxy-server=backup.corp:3128',
      'bypass-list=<local>;*.corp.example',
    ]);
  });

  it('leaves bypass-list out when there is none, and resets to direct', () => {
    expect(netshArgs.set({ proxyServer: 'p:1', bypassList: '' })).toEqual([
      'winhttp',
      'set',
      'proxy',
      'proxy-server=p:1',
    ]);
    expect(netshArgs.reset()).toEqual(['winhttp', 'reset', 'proxy']);
    expect(netshArgs.show()).toEqual(['winhttp', 'show', 'proxy']);
  });
});

describe('what a failing Windows tool said', () => {
  it('names the exit code and the first line printed, stderr before stdout', () => {
    expect(
      toolSaid({ exitCode: 1, stdout: 'ignored\r\n', stderr: '\r\nERROR: Access is denied.\r\nmore\r\n' }),
    ).toBe('exit code 1: ERROR: Access is denied.');
    expect(
      toolSaid({ exitCode: 1, stdout: 'reg: Unable to find the specified registry key\r\n', stderr: '' }),
    ).toBe('exit code 1: reg: Unable to find the specified registry key');
  });

  it('says so when the tool printed nothing, instead of an empty reason', () => {
    expect(toolSaid({ exitCode: 1, stdout: '', stderr: ' \r\n' })).toBe(
      'exit code 1, and it printed nothing',
    );
  });
});

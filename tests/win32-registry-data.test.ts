import { describe, expect, it } from 'vitest';
import { parseRegExport } from '../src/system/registry.js';
import { decodeStored, encodeStored, REGISTRY_TYPES } from '../src/system/registry-data.js';

// The bytes the registry API gives and takes (registry-win32.ts) against the text plans and
// backups hold, and against what the reg.exe backend parses from an export of the same bytes:
// a value must read the same whichever way it was reached.

const WHERE = 'HKCU\\Environment\\X';
const AWKWARD = 'a "quoted" b;%TEMP%;<local> Zoë 中文';

describe('registry data through the Win32 API', () => {
  it.each([
    ['REG_SZ', AWKWARD],
    ['REG_EXPAND_SZ', '%USERPROFILE%\\go;%CORP_PROXY%'],
    ['REG_DWORD', '4294967295'],
    ['REG_DWORD', '0'],
    ['REG_BINARY', '46000000090000000300000000'],
    ['REG_BINARY', ''],
    ['REG_SZ', ''],
  ])('round-trips %s %j exactly (strings unexpanded)', (type, value) => {
    const { type: n, bytes } = encodeStored({ type, value }, WHERE);
    expect(decodeStored(n, bytes)).toEqual({ type, value });
  });

  it('stores strings as UTF-16LE with one NUL terminator, as Windows does', () => {
    const { type, bytes } = encodeStored({ type: 'REG_EXPAND_SZ', value: '%A%' }, WHERE);
    expect(type).toBe(REGISTRY_TYPES.REG_EXPAND_SZ);
    expect(bytes).toEqual(Buffer.from('%A%\0', 'utf16le'));
  });

  it('takes a DWORD in 0x hex as reg add does, and keeps it as its decimal number', () => {
    const { bytes } = encodeStored({ type: 'REG_DWORD', value: '0x10' }, WHERE);
    expect(decodeStored(REGISTRY_TYPES.REG_DWORD, bytes)).toEqual({ type: 'REG_DWORD', value: '16' });
  });

  it.each([
    [{ type: 'REG_DWORD', value: '4294967296' }, /X is REG_DWORD but its data "4294967296" is not a number/],
    [{ type: 'REG_DWORD', value: '-1' }, /is not a number from 0 to 4294967295/],
    [{ type: 'REG_BINARY', value: 'abc' }, /X is REG_BINARY but its data is not pairs of hex digits/],
    [{ type: 'REG_MULTI_SZ', value: '6100' }, /X is REG_MULTI_SZ; GoProxyGuard writes only REG_SZ/],
  ])('refuses %j, naming the value', (value, message) => {
    expect(() => encodeStored(value, WHERE)).toThrow(message);
  });

  it('reads every type as the reg.exe backend reads the same bytes from an export', () => {
    const cases: [number, Buffer][] = [
      [REGISTRY_TYPES.REG_SZ, Buffer.from(`${AWKWARD}\0`, 'utf16le')],
      [REGISTRY_TYPES.REG_EXPAND_SZ, Buffer.from('%TEMP%\\x\0', 'utf16le')],
      [REGISTRY_TYPES.REG_DWORD, Buffer.from('01000080', 'hex')],
      [REGISTRY_TYPES.REG_BINARY, Buffer.from('00ff10', 'hex')],
      [REGISTRY_TYPES.REG_MULTI_SZ, Buffer.from('a\0b\0\0', 'utf16le')],
      [REGISTRY_TYPES.REG_QWORD, Buffer.from('0100000000000000', 'hex')],
      [REGISTRY_TYPES.REG_NONE, Buffer.from('01', 'hex')],
      [0x20, Buffer.from('02', 'hex')],
    ];
    const hex = (bytes: Buffer) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(',');
    const text = [
      'Windows Registry Editor Version 5.00',
      '',
      '[HKEY_CURRENT_USER\\Environment]',
      ...cases.map(([type, bytes], i) => `"v${i}"=hex(${type.toString(16)}):${hex(bytes)}`),
      '',
    ].join('\r\n');
    const exported = parseRegExport(text, 'HKCU\\Environment');
    cases.forEach(([type, bytes], i) => {
      expect(decodeStored(type, bytes), `v${i}`).toEqual(exported.get(`v${i}`));
    });
    expect(exported.get('v7')).toEqual({ type: 'REG_TYPE_20', value: '02' });
    expect(exported.get('v0')).toEqual({ type: 'REG_SZ', value: AWKWARD });
  });
});

import { describe, expect, it } from 'vitest';
import {
  BEGIN_MARKER,
  END_MARKER,
  type HostsEntry,
  HostsFileRefused,
  readHostsBlock,
  writeHostsBlock,
} from '../src/hosts/block.js';

// The hosts block is pure: bytes in, bytes out. These tests build many odd hosts files from
// pieces (seeded, so a failure repeats) and check the promises the effector relies on.

/** A small seeded generator (mulberry32): the same files every run. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LINES = [
  '# Copyright (c) 1993-2009 Microsoft Corp.',
  '#',
  '#\t127.0.0.1       localhost',
  '127.0.0.1\tlocalhost',
  '  ::1   localhost   # IPv6 loopback  ',
  '',
  '   ',
  '10.0.0.5 build.corp.example build',
  '# café – commentaire ünïcode',
  '\t\t# indented with tabs',
  '192.168.1.20 nas.local\t#trailing tab\t',
];
const BREAKS = ['\r\n', '\n', '\r\n', '\n', '\r'];

/** A hosts file from random pieces: mixed line breaks, maybe no final break, any encoding. */
function oddFile(next: () => number): { bytes: Buffer; encoding: string } {
  const count = Math.floor(next() * 8);
  let text = '';
  for (let i = 0; i < count; i++) {
    text += LINES[Math.floor(next() * LINES.length)];
    // The last line sometimes has no break at all.
    if (i < count - 1 || next() < 0.6) text += BREAKS[Math.floor(next() * BREAKS.length)];
  }
  const kind = Math.floor(next() * 4);
  if (kind === 0) return { bytes: Buffer.from(text, 'utf8'), encoding: 'utf-8' };
  if (kind === 1)
    return {
      bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]),
      encoding: 'utf-8-bom',
    };
  if (kind === 2)
    return {
      bytes: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]),
      encoding: 'utf-16le-bom',
    };
  // Not UTF-8 at all: an ANSI (code page 1252) comment, as old tools wrote them.
  return {
    bytes: Buffer.concat([Buffer.from(text), Buffer.from([0x23, 0x20, 0xe9, 0xe8, 0x0d, 0x0a])]),
    encoding: 'utf-8',
  };
}

const PINS: HostsEntry[] = [
  { name: 'goproxy.cn', addresses: ['203.0.113.10', '203.0.113.11'] },
  { name: 'mirrors.aliyun.com', addresses: ['2001:db8::7'] },
];

describe('the GoProxyGuard block of a hosts file', () => {
  it('adds, reads back and removes a block in 300 odd files, giving back the exact bytes', () => {
    const next = random(20);
    for (let i = 0; i < 300; i++) {
      const { bytes, encoding } = oddFile(next);
      const pinned = writeHostsBlock(bytes, PINS);
      const read = readHostsBlock(pinned);
      expect(read.encoding, `file ${i}`).toBe(encoding);
      expect(read.entries, `file ${i}`).toEqual(PINS);
      // The block goes after the last line: the original bytes are all there, unchanged, first.
      expect(pinned.subarray(0, bytes.length).equals(bytes), `file ${i} keeps its bytes`).toBe(true);
      // Changed in place, then removed: the exact original again.
      const changed = writeHostsBlock(pinned, [{ name: 'goproxy.cn', addresses: ['198.51.100.4'] }]);
      expect(readHostsBlock(changed).entries).toEqual([{ name: 'goproxy.cn', addresses: ['198.51.100.4'] }]);
      expect(writeHostsBlock(changed, []).equals(bytes), `file ${i} restored`).toBe(true);
    }
  });

  it('keeps the lines around a block it finds in the middle of a CRLF file with a BOM', () => {
    const text = [
      '# top comment',
      `${BEGIN_MARKER} (pinned mirror addresses; edits inside are replaced, restore removes the block)`,
      '203.0.113.10 goproxy.cn',
      END_MARKER,
      '\t10.0.0.5   build  # after the block',
      '',
    ].join('\r\n');
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    expect(readHostsBlock(bytes).entries).toEqual([{ name: 'goproxy.cn', addresses: ['203.0.113.10'] }]);
    expect(readHostsBlock(bytes).newline).toBe('\r\n');
    const changed = writeHostsBlock(bytes, [{ name: 'goproxy.cn', addresses: ['198.51.100.4'] }]);
    expect(changed.toString('utf8')).toBe(
      `\ufeff${text.replace('203.0.113.10 goproxy.cn', '198.51.100.4 goproxy.cn')}`,
    );
    const removed = writeHostsBlock(bytes, []);
    expect(removed.toString('utf8')).toBe('\ufeff# top comment\r\n\t10.0.0.5   build  # after the block\r\n');
  });

  it('finds markers only at the start of a real line, however the lines break', () => {
    // After a lone CR (a line break) the marker counts; after U+2028 inside a comment it does not.
    const cr = Buffer.from(`# old mac line\r${BEGIN_MARKER}\n1.2.3.4 a.example\n${END_MARKER}\n`);
    expect(readHostsBlock(cr).entries).toEqual([{ name: 'a.example', addresses: ['1.2.3.4'] }]);
    const text = `# note\u2028${END_MARKER} is what the line says\r\n127.0.0.1 localhost\r\n`;
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    expect(readHostsBlock(utf16)).toMatchObject({ present: false, entries: [] });
    expect(writeHostsBlock(writeHostsBlock(utf16, PINS), []).equals(utf16)).toBe(true);
  });

  it('edits a 200,000-line ad-blocking hosts file, giving back its exact bytes', () => {
    const lines = Array.from({ length: 200_000 }, (_, i) => `0.0.0.0 ads${i}.tracker.example`);
    const bytes = Buffer.from(`# blocklist\r\n${lines.join('\r\n')}\r\n`);
    const pinned = writeHostsBlock(bytes, PINS);
    expect(readHostsBlock(pinned).entries).toEqual(PINS);
    expect(writeHostsBlock(pinned, []).equals(bytes)).toBe(true);
  });

  it("writes the block's lines with the file's own line break", () => {
    const lf = writeHostsBlock(Buffer.from('127.0.0.1 localhost\n'), PINS).toString();
    expect(lf).not.toContain('\r');
    const crlf = writeHostsBlock(Buffer.from('127.0.0.1 localhost\r\n'), PINS).toString();
    expect(crlf.split('\r\n')).toHaveLength(7);
    expect(crlf.replaceAll('\r\n', '')).not.toContain('\n');
    // An empty file takes the default (CRLF, as Windows writes it).
    expect(writeHostsBlock(Buffer.alloc(0), PINS).toString()).toMatch(/\r\n$/);
  });

  it('leaves a file without a block alone when nothing is pinned', () => {
    const bytes = Buffer.from('127.0.0.1 localhost');
    expect(writeHostsBlock(bytes, []).equals(bytes)).toBe(true);
    expect(readHostsBlock(bytes)).toMatchObject({ present: false, entries: [] });
  });

  const refused: [string, string, RegExp][] = [
    [
      'a second begin line',
      `${BEGIN_MARKER}\n1.2.3.4 a.example\n${BEGIN_MARKER}\n${END_MARKER}\n`,
      /do not make one block/,
    ],
    ['a begin without an end', `# x\n${BEGIN_MARKER}\n1.2.3.4 a.example\n`, /begin at line 2/],
    ['an end before its begin', `${END_MARKER}\n${BEGIN_MARKER}\n`, /end at line 1, begin at line 2/],
    [
      'two blocks',
      `${BEGIN_MARKER}\n${END_MARKER}\n${BEGIN_MARKER}\n${END_MARKER}\n`,
      /do not make one block/,
    ],
    [
      'a marker spelt differently',
      `#begin goproxyguard\n1.2.3.4 a.example\n${END_MARKER}\n`,
      /looks like a GoProxyGuard marker/,
    ],
    [
      'a line that is not "address name"',
      `${BEGIN_MARKER}\ngoproxy.cn\n${END_MARKER}\n`,
      /line 2 inside the GoProxyGuard block/,
    ],
    ['UTF-16 big-endian', '\ufeff# x', /big-endian/],
  ];
  for (const [what, text, message] of refused) {
    it(`refuses ${what}, in reading and in writing, changing nothing`, () => {
      const bytes = what === 'UTF-16 big-endian' ? Buffer.from([0xfe, 0xff, 0, 0x23]) : Buffer.from(text);
      expect(() => readHostsBlock(bytes)).toThrow(HostsFileRefused);
      expect(() => readHostsBlock(bytes)).toThrow(message);
      if (!what.includes('address name')) expect(() => writeHostsBlock(bytes, PINS)).toThrow(message);
    });
  }

  it('refuses names and addresses a hosts file cannot hold', () => {
    const file = Buffer.from('');
    expect(() => writeHostsBlock(file, [{ name: 'bad name', addresses: ['1.2.3.4'] }])).toThrow(
      /not a host name/,
    );
    expect(() => writeHostsBlock(file, [{ name: 'bücher.example', addresses: ['1.2.3.4'] }])).toThrow(/xn--/);
    expect(() => writeHostsBlock(file, [{ name: 'a.example', addresses: ['1.2.3'] }])).toThrow(
      /not an IPv4 or IPv6/,
    );
    expect(() => writeHostsBlock(file, [{ name: 'a.example', addresses: [] }])).toThrow(/has no address/);
  });
});

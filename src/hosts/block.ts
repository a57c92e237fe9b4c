// The GoProxyGuard block of a hosts file, pure: bytes in, bytes out. Everything outside the
// block is kept byte for byte, so restore can give back the exact file GoProxyGuard found.

import { isIP } from 'node:net';

/** One pinned name and the addresses it resolves to, in the order written. */
export interface HostsEntry {
  name: string;
  addresses: string[];
}

/** A hosts file that cannot be edited safely: a broken or repeated marker, a bad line in the block. */
export class HostsFileRefused extends Error {
  override name = 'HostsFileRefused';
}

export const BEGIN_MARKER = '# BEGIN GoProxyGuard';
export const END_MARKER = '# END GoProxyGuard';
const BEGIN_LINE = `${BEGIN_MARKER} (pinned mirror addresses; edits inside are replaced, restore removes the block)`;
// A line that names the block, however it was spaced or cased: a near miss is refused, not guessed.
const MARKER = /^[ \t]*#[ \t]*(begin|end)[ \t]+goproxyguard\b/i;

/**
 * How the file's text is stored. The text is decoded one code unit per character (latin1 for
 * UTF-8, whose bytes outside the block are never reinterpreted; utf16le after its BOM), so
 * encoding the edited text gives back every untouched byte exactly.
 */
export type HostsEncoding = 'utf-8' | 'utf-8-bom' | 'utf-16le-bom';

interface Decoded {
  encoding: HostsEncoding;
  bom: Buffer;
  text: string;
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const UTF16LE_BOM = Buffer.from([0xff, 0xfe]);

function decode(bytes: Buffer): Decoded {
  if (bytes.subarray(0, 3).equals(UTF8_BOM))
    return { encoding: 'utf-8-bom', bom: UTF8_BOM, text: bytes.subarray(3).toString('latin1') };
  if (bytes.subarray(0, 2).equals(UTF16LE_BOM)) {
    if (bytes.length % 2 !== 0)
      throw new HostsFileRefused('it starts with a UTF-16 byte order mark but has an odd number of bytes');
    return { encoding: 'utf-16le-bom', bom: UTF16LE_BOM, text: bytes.subarray(2).toString('utf16le') };
  }
  if (bytes.subarray(0, 2).equals(Buffer.from([0xfe, 0xff])))
    throw new HostsFileRefused('it is UTF-16 big-endian, which Windows does not read in a hosts file');
  return { encoding: 'utf-8', bom: Buffer.alloc(0), text: bytes.toString('latin1') };
}

function encode(decoded: Decoded, text: string): Buffer {
  const body = Buffer.from(text, decoded.encoding === 'utf-16le-bom' ? 'utf16le' : 'latin1');
  return Buffer.concat([decoded.bom, body]);
}

interface Line {
  /** Offsets in the decoded text: the line's content, then its line break ("" at the end). */
  start: number;
  end: number;
  brk: string;
  content: string;
}

/** The line that starts at `start`, up to and including its break. */
function lineAt(text: string, start: number): Line {
  const breakAt = /\r\n|\n|\r/g;
  breakAt.lastIndex = start;
  const found = breakAt.exec(text);
  const end = found ? found.index : text.length;
  return { start, end, brk: found ? found[0] : '', content: text.slice(start, end) };
}

function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  for (let start = 0; start < text.length; ) {
    const line = lineAt(text, start);
    lines.push(line);
    start = line.end + line.brk.length;
  }
  return lines;
}

/** The 1-based number of the line starting at `start` (for messages only: it counts). */
const lineNumber = (text: string, start: number) => splitLines(text.slice(0, start)).length + 1;

/** Where the block sits: its BEGIN and END lines. */
interface Found {
  block?: { begin: Line; end: Line };
}

/**
 * Finds the marker lines without splitting the whole file (an ad-blocking hosts file has
 * hundreds of thousands of lines): a multi-line search, each hit checked to start a real line
 * (JavaScript's "^" also matches after U+2028, which a hosts file does not break lines on).
 */
function findBlock(text: string): Found {
  const search = new RegExp(MARKER.source, 'gim');
  const markers: { line: Line; kind: 'begin' | 'end' }[] = [];
  for (let match = search.exec(text); match; match = search.exec(text)) {
    const before = text[match.index - 1];
    if (match.index === 0 || before === '\n' || before === '\r')
      markers.push({
        line: lineAt(text, match.index),
        kind: (match[1] as string).toLowerCase() as 'begin' | 'end',
      });
    search.lastIndex = Math.max(search.lastIndex, match.index + 1);
  }
  if (markers.length === 0) return {};
  const [begin, end] = markers;
  if (markers.length > 2 || begin?.kind !== 'begin' || end?.kind !== 'end') {
    const shape = markers.map((m) => `${m.kind} at line ${lineNumber(text, m.line.start)}`).join(', ');
    throw new HostsFileRefused(
      `its GoProxyGuard markers do not make one block (${shape}); keep exactly one "${BEGIN_MARKER}" line followed by one "${END_MARKER}" line, or delete them and the lines between`,
    );
  }
  for (const { line, kind } of markers) {
    const exact = kind === 'begin' ? line.content.startsWith(BEGIN_MARKER) : line.content === END_MARKER;
    if (!exact)
      throw new HostsFileRefused(
        `line ${lineNumber(text, line.start)} ("${line.content.trim()}") looks like a GoProxyGuard marker but is not one; write it as "${kind === 'begin' ? BEGIN_MARKER : END_MARKER}" or delete it`,
      );
  }
  return { block: { begin: begin.line, end: end.line } };
}

function parseEntry(content: string, numberOfLine: () => number): HostsEntry[] {
  const text = content.replace(/#.*$/, '').trim();
  if (!text) return [];
  const [address = '', ...names] = text.split(/[ \t]+/);
  if (!isIP(address) || names.length === 0)
    throw new HostsFileRefused(
      `line ${numberOfLine()} inside the GoProxyGuard block ("${content.trim()}") is not "address name"; correct it or delete the line`,
    );
  return names.map((name) => ({ name: name.toLowerCase(), addresses: [address] }));
}

/** Merges lines of one name into one entry, keeping the order of first appearance. */
function merge(entries: HostsEntry[]): HostsEntry[] {
  const byName = new Map<string, HostsEntry>();
  for (const entry of entries) {
    const known = byName.get(entry.name);
    if (known) known.addresses.push(...entry.addresses.filter((a) => !known.addresses.includes(a)));
    else byName.set(entry.name, { name: entry.name, addresses: [...entry.addresses] });
  }
  return [...byName.values()];
}

/** What a hosts file holds for GoProxyGuard: the block's entries ([] when there is no block). */
export interface HostsBlock {
  encoding: HostsEncoding;
  /** The file's own line break (its first one), used for the block's lines. */
  newline: '\r\n' | '\n';
  present: boolean;
  entries: HostsEntry[];
}

/** The file's own line break: its first one (a lone "\r" counts as none), else the default. */
function newlineOf(text: string, fallback: '\r\n' | '\n'): '\r\n' | '\n' {
  const first = /\r?\n/.exec(text)?.[0];
  return first === '\n' || first === '\r\n' ? first : fallback;
}

/** Reads the block of a hosts file; throws HostsFileRefused when its markers are broken. */
export function readHostsBlock(bytes: Buffer, defaultNewline: '\r\n' | '\n' = '\r\n'): HostsBlock {
  const { encoding, text } = decode(bytes);
  const { block } = findBlock(text);
  const newline = newlineOf(text, defaultNewline);
  if (!block) return { encoding, newline, present: false, entries: [] };
  const inside = splitLines(text.slice(block.begin.end + block.begin.brk.length, block.end.start));
  const entries = merge(
    inside.flatMap((line, i) => parseEntry(line.content, () => lineNumber(text, block.begin.start) + 1 + i)),
  );
  return { encoding, newline, present: true, entries };
}

/** Why a name or address cannot go into a hosts file, or undefined when it can. */
export function entryProblem(entry: HostsEntry): string | undefined {
  // ASCII only: the block is written in the file's encoding one character per code unit.
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(entry.name))
    return `"${entry.name}" is not a host name (letters, digits, "-" and dots; an international name in its xn-- form)`;
  if (entry.addresses.length === 0) return `${entry.name} has no address`;
  const bad = entry.addresses.find((a) => !isIP(a) || a.includes('%'));
  return bad === undefined ? undefined : `"${bad}" is not an IPv4 or IPv6 address (for ${entry.name})`;
}

/**
 * The file with its block holding exactly `entries`: the block is replaced where it stands,
 * added at the end when there is none, and removed when `entries` is empty. A file without a
 * final line break keeps having none, so removing a block GoProxyGuard added gives back the
 * exact bytes it found.
 */
export function writeHostsBlock(
  bytes: Buffer,
  entries: readonly HostsEntry[],
  defaultNewline: '\r\n' | '\n' = '\r\n',
): Buffer {
  for (const entry of entries) {
    const problem = entryProblem(entry);
    if (problem) throw new HostsFileRefused(problem);
  }
  const decoded = decode(bytes);
  const { text } = decoded;
  const { block } = findBlock(text);
  const newline = newlineOf(text, defaultNewline);
  const body = [
    BEGIN_LINE,
    ...merge(entries.map((e) => ({ name: e.name.toLowerCase(), addresses: e.addresses }))).flatMap((e) =>
      e.addresses.map((address) => `${address} ${e.name}`),
    ),
    END_MARKER,
  ].join(newline);
  if (block) {
    const { begin, end } = block;
    if (entries.length === 0) {
      // A block ending the file without a line break took the break before it when it was added.
      const before = begin.start >= 2 && text.slice(begin.start - 2, begin.start) === '\r\n' ? 2 : 1;
      const from = end.brk === '' && begin.start > 0 ? begin.start - before : begin.start;
      return encode(decoded, text.slice(0, from) + text.slice(end.end + end.brk.length));
    }
    return encode(decoded, text.slice(0, begin.start) + body + text.slice(end.end));
  }
  if (entries.length === 0) return Buffer.from(bytes);
  // Added after the last line: a file without a final break gets one before the block and none
  // after it, so the block's removal takes back exactly what its addition put in.
  const ended = text === '' || text.endsWith('\n') || text.endsWith('\r');
  const added = ended ? `${body}${newline}` : `${newline}${body}`;
  return encode(decoded, text + added);
}

// The .reg text `reg export` writes, parsed: the reg.exe backend's only way to read a key whole
// (reg query prints through the console code page). Pure: no I/O.

import { decodeStored, REGISTRY_TYPES, type StoredValue } from './registry-data.js';

const ROOTS: Record<string, string> = {
  HKCU: 'HKEY_CURRENT_USER',
  HKLM: 'HKEY_LOCAL_MACHINE',
};

/** reg export writes UTF-16LE with a byte order mark; accept UTF-8 too (hand-made files). */
export function decodeRegFile(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le');
  const text = bytes.toString('utf8');
  return text.startsWith('\ufeff') ? text.slice(1) : text;
}

/** One `[KEY]` section of a .reg file: its values by lower-case name, or the line that could not be read. */
interface RegSection {
  values: Map<string, StoredValue>;
  unreadable?: string;
}

/**
 * Parses the sections of a .reg file (Windows Registry Editor Version 5.00) that `wanted` picks
 * (by full key name in lower case), in one pass; the values of others are skipped unread. A
 * line that cannot be read spoils only its own section.
 */
function parseRegSections(text: string, wanted: (name: string) => boolean): Map<string, RegSection> {
  const sections = new Map<string, RegSection>();
  let current: RegSection | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i] as string;
    if (line.startsWith('[')) {
      const name = line.trim().slice(1, -1).toLowerCase();
      current = wanted(name) ? { values: new Map() } : undefined;
      if (current) sections.set(name, current);
      continue;
    }
    if (!current) continue; // the format line, or a section not wanted (its lines skipped one by one)
    // Hex data continues on the next line after a trailing backslash (joined once, at the end:
    // a certificate is dozens of lines).
    if (/^(@|")/.test(line) && /=hex(\([0-9a-f]+\))?:/i.test(line)) {
      const parts = [line];
      while (line.endsWith('\\') && i + 1 < lines.length) {
        parts[parts.length - 1] = line.slice(0, -1);
        line = (lines[++i] as string).trim();
        parts.push(line);
      }
      line = parts.join('');
    }
    if (line.trim() === '') continue;
    const parsed = parseValueLine(line);
    if (parsed) current.values.set(parsed.name.toLowerCase(), { type: parsed.type, value: parsed.value });
    else current.unreadable ??= line;
  }
  return sections;
}

/**
 * Parses the values of one key from a .reg file: the `[KEY]` section only, not its subkeys.
 * Keys are given as reg.exe takes them (HKCU\...).
 */
export function parseRegExport(text: string, key: string): Map<string, StoredValue> {
  const name = fullKeyName(key).toLowerCase();
  const section = parseRegSections(text, (section) => section === name).get(name);
  if (!section) throw new Error(`reg export output has no section [${name}]`);
  if (section.unreadable !== undefined) {
    throw new Error(
      `reg export output has a line GoProxyGuard cannot read: ${JSON.stringify(section.unreadable)}`,
    );
  }
  return section.values;
}

/**
 * The values of each key directly below `key` in an export, by the subkey's name in lower case;
 * subkeys with a line that cannot be read are left out.
 */
export function subkeyValues(text: string, key: string): Map<string, Map<string, StoredValue>> {
  const prefix = `${fullKeyName(key)}\\`.toLowerCase();
  const isChild = (name: string) =>
    name.startsWith(prefix) && name.length > prefix.length && !name.includes('\\', prefix.length);
  const children = new Map<string, Map<string, StoredValue>>();
  for (const [name, section] of parseRegSections(text, isChild)) {
    if (!section.unreadable) children.set(name.slice(prefix.length), section.values);
  }
  return children;
}

function fullKeyName(key: string): string {
  const [root = '', ...rest] = key.split('\\');
  return [ROOTS[root.toUpperCase()] ?? root, ...rest].join('\\');
}

function parseValueLine(line: string): { name: string; type: string; value: string } | undefined {
  let name: string;
  let rest: string;
  if (line.startsWith('@=')) {
    name = '';
    rest = line.slice(2);
  } else {
    const quoted = readQuoted(line, 0);
    if (!quoted || line[quoted.end] !== '=') return undefined;
    name = quoted.text;
    rest = line.slice(quoted.end + 1);
  }
  if (rest.startsWith('"')) {
    const data = readQuoted(rest, 0);
    return data && data.end === rest.length ? { name, type: 'REG_SZ', value: data.text } : undefined;
  }
  const dword = /^dword:([0-9a-fA-F]{8})$/.exec(rest);
  if (dword) return { name, type: 'REG_DWORD', value: String(Number.parseInt(dword[1] as string, 16)) };
  const hex = /^hex(?:\(([0-9a-fA-F]+)\))?:([0-9a-fA-F,\s]*)$/.exec(rest);
  if (!hex) return undefined;
  // hex: is REG_BINARY; hex(n): names the type by its number
  const type = hex[1] === undefined ? REGISTRY_TYPES.REG_BINARY : Number.parseInt(hex[1], 16);
  const bytes = Buffer.from((hex[2] ?? '').replace(/[\s,]/g, ''), 'hex');
  return { name, ...decodeStored(type, bytes) };
}

/** A "..." string of a .reg file from `at`: backslash escapes \\ \" \n \r \0. */
function readQuoted(line: string, at: number): { text: string; end: number } | undefined {
  if (line[at] !== '"') return undefined;
  let text = '';
  for (let i = at + 1; i < line.length; i++) {
    const c = line[i] as string;
    if (c === '"') return { text, end: i + 1 };
    if (c === '\\' && i + 1 < line.length) {
      const next = line[++i] as string;
      text += next === 'n' ? '\n' : next === 'r' ? '\r' : next === '0' ? '\0' : next;
    } else text += c;
  }
  return undefined;
}

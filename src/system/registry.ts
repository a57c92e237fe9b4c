import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RegistryValue } from '../settings/setting-value.js';
import { runTool, TOOLS, toolSaid } from './windows-tool.js';

export type { RegistryValue };

/** The registry types GoProxyGuard writes back; other types are reported and left alone. */
export const WRITABLE_TYPES = ['REG_SZ', 'REG_EXPAND_SZ', 'REG_DWORD', 'REG_BINARY'] as const;
export type WritableType = (typeof WRITABLE_TYPES)[number];

const ROOTS: Record<string, string> = {
  HKCU: 'HKEY_CURRENT_USER',
  HKLM: 'HKEY_LOCAL_MACHINE',
};

/** reg.exe's argv to write one value: each part its own element, the data never re-quoted. */
export function regAddArgs(key: string, name: string, type: WritableType, data: string): string[] {
  return ['add', key, '/v', name, '/t', type, '/d', data, '/f'];
}

export function regDeleteArgs(key: string, name: string): string[] {
  return ['delete', key, '/v', name, '/f'];
}

/**
 * Reads values of one key with `reg export`, not `reg query`: query prints through the console
 * code page (non-ASCII turns into "?") and its layout is ambiguous when data has runs of spaces,
 * while export writes UTF-16 with every character escaped, the same on every Windows language.
 * Names are matched case-insensitively, as Windows does. A missing key means every value is absent.
 */
export async function readRegistryValues(
  key: string,
  names: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<Record<string, RegistryValue>> {
  const text = await exportKey(key, env);
  const values = text === undefined ? new Map<string, ExportedValue>() : parseRegExport(text, key);
  const found: Record<string, RegistryValue> = {};
  for (const name of names) {
    const value = values.get(name.toLowerCase());
    found[name] = value ? { was: 'set', ...value } : { was: 'unset' };
  }
  return found;
}

/** A key and all its subkeys as `reg export` writes them (decoded), or undefined when it is missing. */
export async function exportKey(key: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'goproxy-guard-reg-'));
  try {
    const file = join(dir, 'export.reg');
    const run = await runTool(TOOLS.reg, ['export', key, file, '/y'], env);
    if (run.exitCode === 0) return decodeRegFile(await readFile(file));
    if (await keyMissing(key, env)) return undefined;
    throw new Error(`reg export ${key} failed (${toolSaid(run)})`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `reg query KEY` fails for a missing key too, but then export's failure had no other cause. */
async function keyMissing(key: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const run = await runTool(TOOLS.reg, ['query', key], env);
  return run.exitCode === 1;
}

/** Writes or deletes one value. Deleting an absent value is not an error: readback decides. */
export async function writeRegistryValue(
  key: string,
  name: string,
  value: RegistryValue,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  if (value.was === 'unset') {
    await runTool(TOOLS.reg, regDeleteArgs(key, name), env);
    return;
  }
  if (!(WRITABLE_TYPES as readonly string[]).includes(value.type)) {
    throw new Error(
      `${key}\\${name} is ${value.type}; GoProxyGuard writes only ${WRITABLE_TYPES.join(', ')}`,
    );
  }
  const run = await runTool(TOOLS.reg, regAddArgs(key, name, value.type as WritableType, value.value), env);
  if (run.exitCode !== 0) {
    throw new Error(`reg add ${key} /v ${name} failed (${toolSaid(run)})`);
  }
}

/** reg export writes UTF-16LE with a byte order mark; accept UTF-8 too (hand-made files). */
export function decodeRegFile(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le');
  const text = bytes.toString('utf8');
  return text.startsWith('\ufeff') ? text.slice(1) : text;
}

type ExportedValue = { type: string; value: string };

/** One `[KEY]` section of a .reg file: its values by lower-case name, or the line that could not be read. */
interface RegSection {
  values: Map<string, ExportedValue>;
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
export function parseRegExport(text: string, key: string): Map<string, ExportedValue> {
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
export function subkeyValues(text: string, key: string): Map<string, Map<string, ExportedValue>> {
  const prefix = `${fullKeyName(key)}\\`.toLowerCase();
  const isChild = (name: string) =>
    name.startsWith(prefix) && name.length > prefix.length && !name.includes('\\', prefix.length);
  const children = new Map<string, Map<string, ExportedValue>>();
  for (const [name, section] of parseRegSections(text, isChild)) {
    if (!section.unreadable) children.set(name.slice(prefix.length), section.values);
  }
  return children;
}

function fullKeyName(key: string): string {
  const [root = '', ...rest] = key.split('\\');
  return [ROOTS[root.toUpperCase()] ?? root, ...rest].join('\\');
}

const HEX_TYPES: Record<string, string> = {
  '': 'REG_BINARY',
  '0': 'REG_NONE',
  '1': 'REG_SZ',
  '2': 'REG_EXPAND_SZ',
  '3': 'REG_BINARY',
  '4': 'REG_DWORD',
  '7': 'REG_MULTI_SZ',
  b: 'REG_QWORD',
};

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
  const kind = (hex[1] ?? '').toLowerCase();
  const type = HEX_TYPES[kind] ?? `REG_TYPE_${kind}`;
  const bytes = Buffer.from((hex[2] ?? '').replace(/[\s,]/g, ''), 'hex');
  if (type === 'REG_SZ' || type === 'REG_EXPAND_SZ') {
    // UTF-16LE, ending with one NUL terminator (absent only in malformed data).
    const text = bytes.toString('utf16le');
    return { name, type, value: text.endsWith('\0') ? text.slice(0, -1) : text };
  }
  if (type === 'REG_DWORD' && bytes.length === 4) return { name, type, value: String(bytes.readUInt32LE(0)) };
  return { name, type, value: bytes.toString('hex') };
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

import type { RegistryValue } from '../settings/setting-value.js';
import { encodeStored, type RegistryBackend, type StoredValue } from './registry-data.js';
import { regExeBackend } from './registry-reg-exe.js';
import { win32Backend } from './registry-win32.js';

// The registry as GoProxyGuard reads and writes it. On Windows (process.platform 'win32') it
// goes through the Win32 API; the Linux-side tier (GOPROXYGUARD_PLATFORM=win32) uses reg.exe,
// Wine's. Both give the same values: types kept exactly, strings unexpanded, absent stays absent.

import { parseRegExport, subkeyValues } from './registry-export.js';
import { exportKey } from './registry-reg-exe.js';

export { decodeRegFile, parseRegExport, subkeyValues } from './registry-export.js';
export { exportKey, regAddArgs, regDeleteArgs } from './registry-reg-exe.js';
export type { RegistryValue, StoredValue };

/** The registry types GoProxyGuard writes back; other types are reported and left alone. */
export const WRITABLE_TYPES = ['REG_SZ', 'REG_EXPAND_SZ', 'REG_DWORD', 'REG_BINARY'] as const;
export type WritableType = (typeof WRITABLE_TYPES)[number];

/** The registry API in process on Windows itself, reg.exe everywhere else. */
function backend(): RegistryBackend {
  return process.platform === 'win32' ? win32Backend : regExeBackend;
}

/**
 * Reads values of one key. Names are matched case-insensitively, as Windows does. A missing key
 * means every value is absent.
 */
export async function readRegistryValues(
  key: string,
  names: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<Record<string, RegistryValue>> {
  const values = (await backend().readKey(key, env)) ?? new Map<string, StoredValue>();
  const found: Record<string, RegistryValue> = {};
  for (const name of names) {
    const value = values.get(name.toLowerCase());
    found[name] = value ? { was: 'set', ...value } : { was: 'unset' };
  }
  return found;
}

/**
 * The values of each key directly below `key` (by its name in lower case, values by lower-case
 * name), or undefined when `key` is missing: the certificate stores, one subkey per certificate.
 */
export function readSubkeyValues(
  key: string,
  env: NodeJS.ProcessEnv,
): Promise<Map<string, Map<string, StoredValue>> | undefined> {
  return backend().readSubkeys(key, env);
}

/**
 * A key's own values and its subkeys' values, or undefined when the key is missing: the policy
 * keys, whose list policies are subkeys. With reg.exe one export brings both along.
 */
export async function readKeyTree(
  key: string,
  env: NodeJS.ProcessEnv,
): Promise<{ values: Map<string, StoredValue>; subkeys: Map<string, Map<string, StoredValue>> } | undefined> {
  if (process.platform !== 'win32') {
    const text = await exportKey(key, env);
    if (text === undefined) return undefined;
    return { values: parseRegExport(text, key), subkeys: subkeyValues(text, key) };
  }
  const values = await win32Backend.readKey(key, env);
  if (!values) return undefined;
  return { values, subkeys: (await win32Backend.readSubkeys(key, env)) ?? new Map() };
}

/** Writes or deletes one value. Deleting an absent value is not an error: readback decides. */
export async function writeRegistryValue(
  key: string,
  name: string,
  value: RegistryValue,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  if (value.was === 'unset') return backend().deleteValue(key, name, env);
  encodeStored(value, `${key}\\${name}`); // refuses other types and data that does not fit, before any write
  return backend().writeValue(key, name, { type: value.type, value: value.value }, env);
}

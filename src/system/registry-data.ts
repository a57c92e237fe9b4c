// Registry data as Win32 holds it (a type number and bytes) turned into the text GoProxyGuard
// keeps in plans and backups, and back. Shared by both backends (the .reg parser meets the same
// bytes in `hex(n):` lines), so a value reads the same through reg.exe and the registry API.
// Pure: no I/O.

/** One value as the registry holds it, before GoProxyGuard says whether it was there. */
export type StoredValue = { type: string; value: string };

/** Win32's REG_* type numbers (winnt.h) by name, for the types GoProxyGuard names. */
export const REGISTRY_TYPES = {
  REG_NONE: 0,
  REG_SZ: 1,
  REG_EXPAND_SZ: 2,
  REG_BINARY: 3,
  REG_DWORD: 4,
  REG_MULTI_SZ: 7,
  REG_QWORD: 11,
} as const;

const NAMES = new Map<number, string>(Object.entries(REGISTRY_TYPES).map(([name, n]) => [n, name]));

/** A type's name; one GoProxyGuard does not know keeps its number, as REG_TYPE_<hex>. */
export function registryTypeName(type: number): string {
  return NAMES.get(type) ?? `REG_TYPE_${type.toString(16)}`;
}

/**
 * The text of stored bytes: strings unexpanded without their one NUL terminator, a 4-byte DWORD
 * as its decimal number, anything else (binary, multi-strings, QWORDs) as hex of the raw bytes.
 */
export function decodeStored(type: number, bytes: Buffer): StoredValue {
  const name = registryTypeName(type);
  if (type === REGISTRY_TYPES.REG_SZ || type === REGISTRY_TYPES.REG_EXPAND_SZ) {
    const text = bytes.toString('utf16le');
    return { type: name, value: text.endsWith('\0') ? text.slice(0, -1) : text };
  }
  if (type === REGISTRY_TYPES.REG_DWORD && bytes.length === 4) {
    return { type: name, value: String(bytes.readUInt32LE(0)) };
  }
  return { type: name, value: bytes.toString('hex') };
}

/**
 * The type number and bytes to store for a value GoProxyGuard writes, with the same data rules
 * as `reg add` (a DWORD in decimal or 0x hex, binary as hex digits). `where` names the value in
 * the error about data that does not fit its type.
 */
export function encodeStored(value: StoredValue, where: string): { type: number; bytes: Buffer } {
  switch (value.type) {
    case 'REG_SZ':
    case 'REG_EXPAND_SZ':
      return { type: REGISTRY_TYPES[value.type], bytes: Buffer.from(`${value.value}\0`, 'utf16le') };
    case 'REG_DWORD': {
      const n = /^(0x[0-9a-f]{1,8}|\d{1,10})$/i.test(value.value) ? Number(value.value) : Number.NaN;
      if (!(n >= 0 && n <= 0xffffffff)) {
        throw new Error(
          `${where} is REG_DWORD but its data ${JSON.stringify(value.value)} is not a number from 0 to 4294967295`,
        );
      }
      const bytes = Buffer.alloc(4);
      bytes.writeUInt32LE(n);
      return { type: REGISTRY_TYPES.REG_DWORD, bytes };
    }
    case 'REG_BINARY':
      if (!/^([0-9a-f]{2})*$/i.test(value.value)) {
        throw new Error(
          `${where} is REG_BINARY but its data is not pairs of hex digits: ${JSON.stringify(value.value.slice(0, 40))}`,
        );
      }
      return { type: REGISTRY_TYPES.REG_BINARY, bytes: Buffer.from(value.value, 'hex') };
    default:
      throw new Error(
        `${where} is ${value.type}; GoProxyGuard writes only REG_SZ, REG_EXPAND_SZ, REG_DWORD, REG_BINARY`,
      );
  }
}

/**
 * One way to reach the registry: the Win32 API in process (on Windows) or reg.exe (the
 * Linux-side tier, with Wine's). Keys are named as reg.exe takes them (HKCU\..., HKLM\...);
 * value names are matched case-insensitively, as Windows does, so maps are keyed in lower case.
 */
export interface RegistryBackend {
  /** The values of one key (not its subkeys), or undefined when the key is missing. */
  readKey(key: string, env: NodeJS.ProcessEnv): Promise<Map<string, StoredValue> | undefined>;
  /** The values of each key directly below `key`, by its name in lower case; undefined when `key` is missing. */
  readSubkeys(
    key: string,
    env: NodeJS.ProcessEnv,
  ): Promise<Map<string, Map<string, StoredValue>> | undefined>;
  /** Writes one value (already checked by encodeStored), creating the key when it is missing. */
  writeValue(key: string, name: string, value: StoredValue, env: NodeJS.ProcessEnv): Promise<void>;
  /** Deletes one value; an absent value or key is not an error (readback decides). */
  deleteValue(key: string, name: string, env: NodeJS.ProcessEnv): Promise<void>;
}

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { decodeStored, encodeStored, type RegistryBackend, type StoredValue } from './registry-data.js';

// The registry through the Win32 API, in process, with native-reg's N-API add-on. This is what
// runs on Windows: reg.exe is refused on desktops with the "Prevent access to registry editing
// tools" policy (DisableRegistryTools), the API is not, and no UTF-16 export has to be parsed.
//
// The add-on's own JavaScript is not used: it finds the .node file relative to itself
// (node-gyp-build), which a one-file bundle cannot do. Its binding is a handful of functions
// over RegOpenKeyExW & co., typed below; native-reg is pinned to an exact version so this
// shape does not move. scripts/build.mjs copies the prebuilds beside the bundle, as
// bin/native-reg/win32-<arch>.node; GOPROXYGUARD_NATIVE_REG points elsewhere.

/** An open key: a root's number or the add-on's handle object. */
type Handle = number | object;

interface NativeReg {
  openKey(root: Handle, subKey: string, options: number, access: number): Handle | null;
  createKey(root: Handle, subKey: string, options: number, access: number): Handle;
  enumKeyNames(key: Handle): string[];
  enumValueNames(key: Handle): string[];
  queryValue(key: Handle, name: string): (Buffer & { type: number }) | null;
  setValue(key: Handle, name: string, type: number, data: Buffer): void;
  deleteValue(key: Handle, name: string): boolean;
  closeKey(key: Handle): void;
}

// winreg.h and winnt.h
const ROOTS: Record<string, number> = {
  HKCU: 0x80000001,
  HKEY_CURRENT_USER: 0x80000001,
  HKLM: 0x80000002,
  HKEY_LOCAL_MACHINE: 0x80000002,
};
const KEY_READ = 0x20019;
const KEY_WRITE = 0x20006;

let binding: NativeReg | undefined;

/** The add-on, loaded on first use only (start-up stays light, and off Windows it never loads). */
function nativeReg(env: NodeJS.ProcessEnv): NativeReg {
  if (binding) return binding;
  const path =
    env.GOPROXYGUARD_NATIVE_REG ||
    fileURLToPath(new URL(`./native-reg/win32-${process.arch}.node`, import.meta.url));
  if (!existsSync(path)) {
    throw new Error(
      `the registry add-on ${path} is missing; reinstall GoProxyGuard (or set GOPROXYGUARD_NATIVE_REG to native-reg's prebuilds/win32-${process.arch}/node.napi.node)`,
    );
  }
  binding = createRequire(import.meta.url)(path) as NativeReg;
  return binding;
}

/** HKCU\Environment -> the root's number and the path below it. */
function splitKey(key: string): { root: number; path: string } {
  const at = key.indexOf('\\');
  const root = ROOTS[(at < 0 ? key : key.slice(0, at)).toUpperCase()];
  if (root === undefined) throw new Error(`${key}: GoProxyGuard reads only keys under HKCU or HKLM`);
  return { root, path: at < 0 ? '' : key.slice(at + 1) };
}

/** Win32 errors carry the API's message ("Access is denied."); say which key and call failed. */
function failed(what: string, error: unknown): Error {
  const { message, syscall } = error as { message?: string; syscall?: string };
  return new Error(`${what} failed${syscall ? ` (${syscall})` : ''}: ${message ?? String(error)}`);
}

/** Runs `use` on the key opened for reading, closing it after; undefined when the key is missing. */
function withKey<T>(reg: NativeReg, key: string, use: (handle: Handle) => T): T | undefined {
  const { root, path } = splitKey(key);
  let handle: Handle | null;
  try {
    handle = reg.openKey(root, path, 0, KEY_READ);
  } catch (error) {
    throw failed(`opening ${key}`, error);
  }
  if (handle === null) return undefined;
  try {
    return use(handle);
  } finally {
    reg.closeKey(handle);
  }
}

function valuesOf(reg: NativeReg, handle: Handle): Map<string, StoredValue> {
  const values = new Map<string, StoredValue>();
  for (const name of reg.enumValueNames(handle)) {
    const data = reg.queryValue(handle, name);
    if (data) values.set(name.toLowerCase(), decodeStored(data.type, data));
  }
  return values;
}

export const win32Backend: RegistryBackend = {
  async readKey(key, env) {
    const reg = nativeReg(env);
    return withKey(reg, key, (handle) => valuesOf(reg, handle));
  },
  async readSubkeys(key, env) {
    const reg = nativeReg(env);
    return withKey(reg, key, (handle) => {
      const children = new Map<string, Map<string, StoredValue>>();
      for (const name of reg.enumKeyNames(handle)) {
        withKey(reg, `${key}\\${name}`, (child) => children.set(name.toLowerCase(), valuesOf(reg, child)));
      }
      return children;
    });
  },
  async writeValue(key, name, value, env) {
    const reg = nativeReg(env);
    const { type, bytes } = encodeStored(value, `${key}\\${name}`);
    const { root, path } = splitKey(key);
    let handle: Handle | undefined;
    try {
      handle = reg.createKey(root, path, 0, KEY_WRITE);
      reg.setValue(handle, name, type, bytes);
    } catch (error) {
      throw failed(`writing ${key}\\${name}`, error);
    } finally {
      if (handle !== undefined) reg.closeKey(handle);
    }
  },
  async deleteValue(key, name, env) {
    const reg = nativeReg(env);
    const { root, path } = splitKey(key);
    let handle: Handle | null = null;
    try {
      handle = reg.openKey(root, path, 0, KEY_WRITE);
      if (handle !== null) reg.deleteValue(handle, name);
    } catch (error) {
      throw failed(`deleting ${key}\\${name}`, error);
    } finally {
      if (handle !== null) reg.closeKey(handle);
    }
  },
};

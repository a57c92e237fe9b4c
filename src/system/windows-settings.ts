import { parseSettingId } from '../settings/effector.js';
import { sameValue, winHttpFromValue, winHttpValue } from '../settings/setting-value.js';
import { type RegistryValue, readRegistryValues, writeRegistryValue } from './registry.js';
import { readWinHttp, writeWinHttp } from './winhttp.js';

// Every Windows setting GoProxyGuard may change, named "<effector>:<name>" as in the backup.

export const USER_ENV_KEY = 'HKCU\\Environment';
export const WININET_KEY = 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings';
/** WinINet's per-connection state (a binary blob): backed up so restore is exact, flags included. */
export const WININET_CONNECTIONS_KEY = `${WININET_KEY}\\Connections`;

export const USER_ENV_NAMES = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'GOPROXY', 'GOSUMDB'] as const;
export const WININET_NAMES = ['ProxyEnable', 'ProxyServer', 'ProxyOverride'] as const;
/** Read, never written: a PAC file that a fixed proxy overrides while GoProxyGuard manages WinINet. */
export const WININET_PAC = 'wininet:AutoConfigURL';
export const WININET_BLOB = 'wininet:DefaultConnectionSettings';
export const WINHTTP = 'winhttp:proxy';

type Location = { kind: 'registry'; key: string; name: string } | { kind: 'winhttp' };

/** Where a setting lives; an id this version does not know is an error, never a guess. */
export function locate(id: string): Location {
  const { kind: effector, name } = parseSettingId(id) ?? { kind: undefined, name: '' };
  if (effector === 'user-env' && (USER_ENV_NAMES as readonly string[]).includes(name))
    return { kind: 'registry', key: USER_ENV_KEY, name };
  if (effector === 'wininet' && (WININET_NAMES as readonly string[]).includes(name))
    return { kind: 'registry', key: WININET_KEY, name };
  if (id === WININET_BLOB) return { kind: 'registry', key: WININET_CONNECTIONS_KEY, name };
  if (id === WININET_PAC) return { kind: 'registry', key: WININET_KEY, name };
  if (id === WINHTTP) return { kind: 'winhttp' };
  throw new Error(`${id} is not a setting this version of GoProxyGuard knows`);
}

/** Reads settings: one `reg export` per registry key, one `netsh winhttp show proxy`. */
export async function readWindowsSettings(
  ids: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<Record<string, RegistryValue>> {
  const byKey = new Map<string, { id: string; name: string }[]>();
  let winhttp = false;
  for (const id of ids) {
    const where = locate(id);
    if (where.kind === 'winhttp') winhttp = true;
    else byKey.set(where.key, [...(byKey.get(where.key) ?? []), { id, name: where.name }]);
  }
  const found: Record<string, RegistryValue> = {};
  await Promise.all([
    ...[...byKey].map(async ([key, entries]) => {
      const values = await readRegistryValues(
        key,
        entries.map((e) => e.name),
        env,
      );
      for (const { id, name } of entries) found[id] = values[name] as RegistryValue;
    }),
    ...(winhttp ? [readWinHttp(env).then((proxy) => (found[WINHTTP] = winHttpValue(proxy)))] : []),
  ]);
  return found;
}

/** The order to write settings in: WinINet's connection blob first, so the named values after it are what WinINet sees. */
export const writeOrder = (ids: readonly string[]) =>
  [...ids].sort((a, b) => Number(b === WININET_BLOB) - Number(a === WININET_BLOB));

/** Writes one setting with its tool (reg.exe, netsh); throws with the tool's words when it refuses. */
export async function writeWindowsSetting(
  id: string,
  value: RegistryValue,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const where = locate(id);
  if (where.kind === 'winhttp') await writeWinHttp(winHttpFromValue(value), env);
  else await writeRegistryValue(where.key, where.name, value, env);
}

/**
 * Writes settings, then reads them all back. Returns the ids whose readback differs (empty when
 * everything holds), with the tool's words when it refused. The connection blob goes first (see
 * writeOrder). A tool failure stops the writes and throws, unless `keepGoing` (a rollback: put
 * back as much as possible, and let the readback say what could not be).
 */
export async function writeWindowsSettings(
  values: Record<string, RegistryValue>,
  env: NodeJS.ProcessEnv,
  options: { keepGoing?: boolean } = {},
): Promise<string[]> {
  const ids = writeOrder(Object.keys(values));
  const refused = new Map<string, string>();
  for (const id of ids) {
    try {
      await writeWindowsSetting(id, values[id] as RegistryValue, env);
    } catch (error) {
      if (!options.keepGoing) throw error;
      refused.set(id, (error as Error).message);
    }
  }
  const after = await readWindowsSettings(ids, env);
  return ids
    .filter((id) => !sameValue(after[id] as RegistryValue, values[id] as RegistryValue))
    .map((id) => (refused.has(id) ? `${id} (${refused.get(id)})` : id));
}

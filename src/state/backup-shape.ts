import { isIP } from 'node:net';
import { ConfigError } from '../config/errors.js';
import type { SettingId } from '../settings/effector.js';
import { GO_ENV_TYPE, type SettingValue } from '../settings/setting-value.js';
import { MANAGED_GO_KEYS } from '../system/go-env.js';
import { WRITABLE_TYPES } from '../system/registry.js';
import { USER_ENV_NAMES, WINHTTP, WININET_BLOB, WININET_NAMES } from '../system/windows-settings.js';

/**
 * The backup as GoProxyGuard writes it since version 2: the exact previous value of every
 * setting it changed, including "it was not set", each with its type (GOENV for go's env file).
 */
export interface Backup {
  version: 2;
  takenAt: string;
  /** Which go env file the values were read from. */
  goEnvFile: string;
  /**
   * The hosts file the hosts entries were read from, recorded with the first of them: restore
   * puts them back there whatever config it runs with (off Windows the path is settable).
   */
  hostsFile?: string;
  /** Keyed by setting id: go-env:GOPROXY, user-env:HTTPS_PROXY, wininet:ProxyServer, winhttp:proxy. */
  settings: Record<SettingId, SettingValue>;
}

/**
 * Version 1 (before one setting model): go values carried no type, and registry values from
 * before registry types were recorded carry none either (they were REG_SZ).
 */
export interface BackupV1 {
  version: 1;
  takenAt: string;
  goEnvFile: string;
  settings: Record<string, { was: 'set'; value: string; type?: string } | { was: 'unset' }>;
}

/** A backup file as found: either version, its shape checked. */
export type StoredBackup = BackupV1 | Backup;

/** Version 1 -> 2: every set value gets its type (GOENV for go values, REG_SZ when none was recorded). */
export function migrateBackup(stored: StoredBackup): Backup {
  if (stored.version === 2) return stored;
  const settings: Record<string, SettingValue> = {};
  for (const [id, value] of Object.entries(stored.settings)) {
    settings[id] =
      value.was === 'unset'
        ? value
        : {
            was: 'set',
            type: restorableKind(id) === 'go' ? GO_ENV_TYPE : (value.type ?? 'REG_SZ'),
            value: value.value,
          };
  }
  return { ...stored, version: 2, settings: settings as Backup['settings'] };
}

// A backup is input like a config: anyone who can write the state folder can edit it, and restore
// writes what it holds into go's env file and the registry. So it is checked as strictly as a
// config before anything is written, and it may name only the settings GoProxyGuard itself
// changes: an entry such as go-env:GOFLAGS (-toolexec runs any program at the next go build)
// is refused, never written back.

/** How a setting's value is written back, which decides what a backed-up value may look like. */
type ValueKind = 'go' | 'registry' | 'winhttp' | 'hosts';

/** Every setting restore may write back: the ones apply backs up, and nothing else. */
export const RESTORABLE: Readonly<Record<string, ValueKind>> = {
  ...Object.fromEntries(MANAGED_GO_KEYS.map((key) => [`go-env:${key}`, 'go'])),
  ...Object.fromEntries(USER_ENV_NAMES.map((name) => [`user-env:${name}`, 'registry'])),
  ...Object.fromEntries(WININET_NAMES.map((name) => [`wininet:${name}`, 'registry'])),
  [WININET_BLOB]: 'registry',
  [WINHTTP]: 'winhttp',
};

/**
 * The settings whose names are not fixed (issue #20): a hosts file entry per mirror host name,
 * and GOPROXY/GOSUMDB of go inside each WSL distribution. Each pattern is as strict as the
 * effector's own check of a name (src/hosts/block.ts entryProblem, src/effectors/wsl-go-env.ts).
 */
const RESTORABLE_PATTERNS: readonly [RegExp, ValueKind][] = [
  [/^hosts:[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i, 'hosts'],
  // A distribution name is letters, digits, ".", "-" and "_" (what wsl --import accepts).
  [/^wsl-go-env:[\w.-]+\/(GOPROXY|GOSUMDB)$/, 'go'],
];

/** How restore writes the setting with this id back; undefined for every id it never writes. */
export function restorableKind(id: string): ValueKind | undefined {
  // Own keys only: "toString" or "__proto__" must not find something on Object.prototype.
  if (Object.hasOwn(RESTORABLE, id)) return RESTORABLE[id];
  return RESTORABLE_PATTERNS.find(([pattern]) => pattern.test(id))?.[1];
}

/** The fields of a backup file, in the order apply writes them. */
const BACKUP_FIELDS = ['version', 'takenAt', 'goEnvFile', 'hostsFile', 'settings'];

/**
 * The backup as found (version 1 or 2; migrateBackup makes it 2), or a ConfigError (exit 2)
 * whose field names the first bad entry, such as `settings.go-env:GOFLAGS`. Pure: `raw` is the
 * parsed JSON, `file` only names it.
 */
export function checkBackupShape(raw: unknown, file: string): StoredBackup {
  const bad = (field: string, problem: string) => {
    const error = new ConfigError(field, problem);
    error.message = `the backup ${file}, entry "${field}": ${problem}; nothing was changed`;
    return error;
  };
  if (!isObject(raw)) throw bad('(top level)', `must be a JSON object (got ${describe(raw)})`);
  const unknown = Object.keys(raw).find((key) => !BACKUP_FIELDS.includes(key));
  if (unknown !== undefined) throw bad(unknown, 'unknown field: GoProxyGuard never writes it');
  if (raw.version !== 1 && raw.version !== 2)
    throw bad('version', `must be 1 or 2 (got ${describe(raw.version)})`);
  const typed = raw.version === 2;
  if (typeof raw.takenAt !== 'string')
    throw bad('takenAt', `must be a string (got ${describe(raw.takenAt)})`);
  const envFileProblem = lineProblem(raw.goEnvFile);
  if (envFileProblem || raw.goEnvFile === '') throw bad('goEnvFile', envFileProblem ?? 'must not be empty');
  if (raw.hostsFile !== undefined) {
    const hostsFileProblem = lineProblem(raw.hostsFile);
    if (hostsFileProblem || raw.hostsFile === '')
      throw bad('hostsFile', hostsFileProblem ?? 'must not be empty');
  }
  if (!isObject(raw.settings)) throw bad('settings', `must be an object (got ${describe(raw.settings)})`);
  for (const [id, value] of Object.entries(raw.settings)) {
    const field = `settings.${id}`;
    const kind = restorableKind(id);
    if (!kind) {
      throw bad(
        field,
        `${id} is not a setting GoProxyGuard changes, so restore never writes it (it restores GOPROXY and GOSUMDB in go's env file and in WSL distributions, its hosts file entries and the Windows proxy settings it manages); the file was edited or is not GoProxyGuard's: remove the entry, or the file if GoProxyGuard has not changed this machine`,
      );
    }
    const problem = valueProblem(value, kind, typed);
    if (problem) throw bad(`${field}${problem.at ? `.${problem.at}` : ''}`, problem.says);
  }
  return raw as unknown as StoredBackup;
}

/**
 * What is wrong with one backed-up value of this kind, and in which of its fields. `typed`
 * (version 2): every set value names its type, GOENV for go's env file.
 */
function valueProblem(
  value: unknown,
  kind: ValueKind,
  typed: boolean,
): { at?: string; says: string } | undefined {
  if (!isObject(value)) return { says: `must be an object (got ${describe(value)})` };
  const fields = value.was === 'unset' ? ['was'] : value.was === 'set' ? ['was', 'value', 'type'] : undefined;
  if (!fields) return { at: 'was', says: `must be "set" or "unset" (got ${describe(value.was)})` };
  const unknown = Object.keys(value).find(
    (key) => !fields.includes(key) || (key === 'type' && kind === 'go' && !typed),
  );
  if (unknown !== undefined) return { at: unknown, says: `unknown field for a ${kind} value` };
  if (value.was === 'unset') return undefined;
  const text = value.value;
  const textProblem = lineProblem(text);
  if (textProblem) return { at: 'value', says: textProblem };
  if (typed && typeof value.type !== 'string')
    return { at: 'type', says: `must be the value's type (got ${describe(value.type)})` };
  if (kind === 'go') {
    if (typed && value.type !== GO_ENV_TYPE)
      return { at: 'type', says: `must be "${GO_ENV_TYPE}" (got ${describe(value.type)})` };
    return undefined;
  }
  if (kind === 'hosts') {
    if (value.type !== 'HOSTS') return { at: 'type', says: `must be "HOSTS" (got ${describe(value.type)})` };
    const addresses = (text as string).split(' ');
    if (addresses.some((a) => isIP(a) === 0 || a.includes('%')))
      return {
        at: 'value',
        says: `must be IPv4 or IPv6 addresses separated by one space (got ${describe(text)})`,
      };
    return undefined;
  }
  const type = value.type ?? 'REG_SZ'; // backups from before registry types were recorded
  if (kind === 'winhttp') {
    if (type !== 'WINHTTP') return { at: 'type', says: `must be "WINHTTP" (got ${describe(type)})` };
    return winHttpProblem(text as string);
  }
  if (!(WRITABLE_TYPES as readonly unknown[]).includes(type))
    return { at: 'type', says: `must be one of ${WRITABLE_TYPES.join(', ')} (got ${describe(type)})` };
  if (type === 'REG_DWORD' && !(/^\d{1,10}$/.test(text as string) && Number(text) <= 0xffffffff))
    return { at: 'value', says: `must be a REG_DWORD's decimal number (got ${describe(text)})` };
  if (type === 'REG_BINARY' && !/^(?:[0-9a-f]{2})*$/i.test(text as string))
    return { at: 'value', says: `must be REG_BINARY data as hex digits (got ${describe(text)})` };
  return undefined;
}

/** The WinHTTP proxy as the backup holds it: the JSON of {proxyServer, bypassList}. */
function winHttpProblem(text: string): { at: string; says: string } | undefined {
  let proxy: unknown;
  try {
    proxy = JSON.parse(text);
  } catch {
    proxy = undefined;
  }
  const says = 'must be the JSON of {"proxyServer": "host:port", "bypassList": "..."}';
  if (!isObject(proxy) || Object.keys(proxy).some((key) => key !== 'proxyServer' && key !== 'bypassList'))
    return { at: 'value', says: `${says} (got ${describe(text)})` };
  const problem =
    lineProblem(proxy.proxyServer) ??
    (proxy.bypassList === undefined ? undefined : lineProblem(proxy.bypassList));
  if (problem || proxy.proxyServer === '')
    return { at: 'value', says: `${says}: ${problem ?? 'empty proxyServer'}` };
  return undefined;
}

/**
 * Why a text cannot be a setting's value: not a string, or it holds a line break or NUL. go
 * refuses such values itself, but only after they reach it; a registry value with a newline
 * would be a second line in go's view of the environment.
 */
function lineProblem(text: unknown): string | undefined {
  if (typeof text !== 'string') return `must be a string (got ${describe(text)})`;
  if (/[\r\n\0]/.test(text)) return `must be one line: it holds a line break or NUL (${describe(text)})`;
  return undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A value for the message: JSON, cut short (a hostile file can hold anything). */
function describe(value: unknown): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

// Setting values as plans, backups and reports hold them. Pure: safe to load at start-up.

/**
 * One setting exactly as found, written and backed up, or its absence (never ""). Go env file
 * values have type GOENV; registry strings (REG_SZ, REG_EXPAND_SZ) are the text itself, never
 * expanded; REG_DWORD is its decimal number; REG_BINARY and other types keep their raw bytes as
 * hex (reg add takes REG_BINARY data as hex digits); WinHTTP is the JSON of {proxyServer,
 * bypassList} with type WINHTTP.
 */
export type SettingValue = { was: 'set'; type: string; value: string } | { was: 'unset' };
/** The same type under the name the registry code uses. */
export type RegistryValue = SettingValue;

/** The type of a value in go's env file (a plain KEY=VALUE line). */
export const GO_ENV_TYPE = 'GOENV';

/** A go env file value as a setting value: absent (undefined) is unset. */
export const goEnvValue = (value: string | undefined): SettingValue =>
  value === undefined ? { was: 'unset' } : { was: 'set', type: GO_ENV_TYPE, value };

/** The text of a set value, undefined when unset. */
export const textOf = (value: SettingValue | undefined): string | undefined =>
  value?.was === 'set' ? value.value : undefined;

/** The machine-wide WinHTTP proxy as netsh shows it; absent ("unset") means direct access. */
export interface WinHttpProxy {
  proxyServer: string;
  /** `;`-separated, "" when there is none. */
  bypassList: string;
}

/** Equal in presence, type and data: REG_SZ and REG_EXPAND_SZ with the same text differ. */
export function sameValue(a: RegistryValue, b: RegistryValue): boolean {
  if (a.was === 'unset' || b.was === 'unset') return a.was === b.was;
  return a.type === b.type && a.value === b.value;
}

/**
 * Hides the password of any URL in a text (http://zoe:secret@proxy -> http://zoe:***@proxy):
 * proxy credentials belong in HTTPS_PROXY and the backup, not in output, history or event logs.
 */
export function hideSecrets(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:@/\s]*):[^@/\s]+@/gi, '$1:***@');
}

/** A value for people: the data, its type when not REG_SZ, or "(not set)"; passwords hidden. */
export function showValue(value: RegistryValue): string {
  return hideSecrets(describe(value));
}

function describe(value: RegistryValue): string {
  if (value.was === 'unset') return '(not set)';
  if (value.type === 'WINHTTP') {
    const { proxyServer, bypassList } = winHttpFromValue(value) as WinHttpProxy;
    return `${proxyServer}${bypassList ? ` (bypass ${bypassList})` : ''} (WinHTTP)`;
  }
  return value.type === 'REG_SZ' || value.type === GO_ENV_TYPE
    ? value.value
    : `${value.value} (${value.type})`;
}

export function winHttpValue(proxy: WinHttpProxy | null): RegistryValue {
  if (!proxy) return { was: 'unset' };
  // One key order, so equal settings compare equal as text.
  return {
    was: 'set',
    type: 'WINHTTP',
    value: JSON.stringify({ proxyServer: proxy.proxyServer, bypassList: proxy.bypassList }),
  };
}

export function winHttpFromValue(value: RegistryValue): WinHttpProxy | null {
  if (value.was === 'unset') return null;
  const parsed = JSON.parse(value.value) as WinHttpProxy;
  return { proxyServer: parsed.proxyServer, bypassList: parsed.bypassList ?? '' };
}

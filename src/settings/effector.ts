// The contract every kind of machine setting fulfils (issue #16). Types and one error class
// only: safe to load at start-up. The effectors themselves (one file per kind, in src/effectors/) do the I/O.
import type { Config } from '../config/schema.js';
import type { SettingValue } from './setting-value.js';

export type { SettingValue };

/**
 * Every kind of setting GoProxyGuard may change. A setting's id is "<kind>:<name>", exactly as
 * backup.json keys it ("go-env:GOPROXY", "user-env:HTTPS_PROXY", "wininet:ProxyServer",
 * "winhttp:proxy", "hosts:goproxy.cn", "wsl-go-env:Ubuntu/GOPROXY"). Adding a kind: one arm
 * here and one effector file.
 */
export const SETTING_KINDS = ['go-env', 'user-env', 'wininet', 'winhttp', 'hosts', 'wsl-go-env'] as const;
export type SettingKind = (typeof SETTING_KINDS)[number];
export type SettingId = `${SettingKind}:${string}`;

/** The id of a setting of a kind: settingId('go-env', 'GOPROXY') is "go-env:GOPROXY". */
export const settingId = (kind: SettingKind, name: string): SettingId => `${kind}:${name}`;

/**
 * The one place a text becomes a SettingId: its kind and name, or undefined when the text names
 * no kind GoProxyGuard has (a backup entry, a history line). The name may hold ":" itself.
 */
export function parseSettingId(id: string): { id: SettingId; kind: SettingKind; name: string } | undefined {
  const colon = id.indexOf(':');
  if (colon <= 0) return undefined;
  const kind = SETTING_KINDS.find((k) => k === id.slice(0, colon));
  const name = id.slice(colon + 1);
  return kind && name ? { id: settingId(kind, name), kind, name } : undefined;
}

/** One setting to change: what is there now and what it becomes. */
export interface Change {
  setting: SettingId;
  from: SettingValue;
  to: SettingValue;
}

/** What an effector may consult: the process environment and the validated config. */
export interface EffectorContext {
  env: NodeJS.ProcessEnv;
  config: Readonly<Config>;
}

/**
 * Reads and writes the settings of one kind. Names are ids without the "<kind>:" prefix.
 * The one apply/restore loop (back up, write, read back, roll back everything on a mismatch)
 * drives every effector the same way; an effector never backs up or verifies by itself.
 */
export interface Effector {
  readonly kind: SettingKind;
  /** Whether a name read from a backup is one this kind manages; an unknown one is refused. */
  knows(name: string): boolean;
  /** The current value of each name (every name answered, absent as unset). */
  read(names: readonly string[], context: EffectorContext): Promise<Record<string, SettingValue>>;
  /**
   * Writes the values, in the order given (or the order the kind needs). Throws on a tool
   * failure: the loop rolls back. An effector that writes values one by one writes all it can
   * and then throws WriteRefused naming each refused one.
   */
  write(values: Record<string, SettingValue>, context: EffectorContext): Promise<void>;
  /**
   * Tells the system once values of this kind are written and verified (an environment
   * broadcast, a DNS cache flush). Returns lines for the history; never throws.
   */
  notify?(changes: readonly Change[], context: EffectorContext): Promise<string[]>;
  /**
   * A byte copy of the file behind this kind before the first change (go's env file, the hosts
   * file), kept in the state folder as a last resort beside backup.json.
   */
  snapshot?(stateFolder: string, context: EffectorContext): Promise<void>;
}

/** A write that refused some values after writing all it could: each refused name, in the tool's words. */
export class WriteRefused extends Error {
  override name = 'WriteRefused';
  constructor(readonly refused: Readonly<Record<string, string>>) {
    super(Object.values(refused).join('; '));
  }
}

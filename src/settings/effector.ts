// The contract every kind of machine setting fulfils (issue #16). Types only: safe to load at
// start-up. The effectors themselves (one file per kind, in src/effectors/) do the I/O.
import type { Config } from '../config/schema.js';
import type { RegistryValue } from './setting-value.js';

/**
 * Every kind of setting GoProxyGuard may change. A setting's id is "<kind>:<name>", exactly as
 * backup.json keys it ("go-env:GOPROXY", "user-env:HTTPS_PROXY", "wininet:ProxyServer",
 * "winhttp:proxy", "hosts:goproxy.cn", "wsl-go-env:Ubuntu/GOPROXY"). Adding a kind: one arm
 * here and one effector file.
 */
export const SETTING_KINDS = ['go-env', 'user-env', 'wininet', 'winhttp', 'hosts', 'wsl-go-env'] as const;
export type SettingKind = (typeof SETTING_KINDS)[number];
export type SettingId = `${SettingKind}:${string}`;

/** A value as found, written and backed up; absent is `{ was: 'unset' }`, never "". */
export type SettingValue = RegistryValue;

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
  /** Writes the values, in the order given. Throws on a tool failure: the loop rolls back. */
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

import { expandVariables } from '../text/windows-variables.js';
import { configErrorFromZod } from './errors.js';
import { valueAt, withValueAt } from './fields.js';
import { LOCK_LOCAL_SETTINGS, POLICY_FIELDS, type PolicyField, type PolicyScope } from './policy-fields.js';
import { configSchema } from './schema.js';

// Turns what was read from one policy key into config values: pure, so that every rule about
// policy values (types, ranges, what a bad value means) is here and the registry I/O is not.

/** One registry value as read: its type (REG_SZ, REG_DWORD, ...) and data (a DWORD as decimal text). */
export interface RegistryData {
  type: string;
  value: string;
}

/** One policy key as read: its values and its subkeys' values, by lower-case name. */
export interface PolicyKeyReading {
  /** The key, e.g. HKLM\SOFTWARE\Policies\GoProxyGuard. */
  key: string;
  values: ReadonlyMap<string, RegistryData>;
  subkeys: ReadonlyMap<string, ReadonlyMap<string, RegistryData>>;
}

/** Both policy keys; a key that is absent is undefined. */
export interface PolicyReadings {
  machine?: PolicyKeyReading;
  user?: PolicyKeyReading;
  /** Keys that exist but could not be read, with why: their policies are not applied. */
  unreadable: string[];
}

export const SCOPE_NAMES: Record<PolicyScope, 'machine policy' | 'user policy'> = {
  machine: 'machine policy',
  user: 'user policy',
};

/** A policy value that set a field. */
export interface PolicyValue {
  policy: PolicyField;
  scope: PolicyScope;
  /** Where it is, e.g. HKLM\SOFTWARE\Policies\GoProxyGuard\DeadlineMs. */
  at: string;
  /** The field's raw value (as a config file would hold it). */
  raw: unknown;
  /** The same after the schema's checks and normalisation, for comparing with a config file. */
  value: unknown;
}

/** A policy value of the wrong type or out of range: ignored, with the reason. */
export interface BadPolicyValue {
  policy: PolicyField;
  scope: PolicyScope;
  at: string;
  /** The data as read, e.g. REG_SZ "abc". */
  shown: string;
  problem: string;
}

export interface ScopePolicies {
  values: PolicyValue[];
  bad: BadPolicyValue[];
  /** LockLocalSettings as this key sets it, undefined when it does not. */
  lock?: boolean;
}

const show = (data: RegistryData) =>
  data.type === 'REG_DWORD' ? `${data.type} ${data.value}` : `${data.type} ${JSON.stringify(data.value)}`;

const STRING_TYPES = ['REG_SZ', 'REG_EXPAND_SZ'];

/** %NAME% as Windows expands a REG_EXPAND_SZ; an unknown name is left as it is. */
function expand(data: RegistryData, env: NodeJS.ProcessEnv): string {
  return data.type === 'REG_EXPAND_SZ' ? expandVariables(data.value, env) : data.value;
}

/** A list policy's entries: values named 1, 2, ... in numeric order (others after, by name). */
function listEntries(values: ReadonlyMap<string, RegistryData>): Array<[string, RegistryData]> {
  const rank = (name: string) => (/^\d+$/.test(name) ? Number(name) : Number.POSITIVE_INFINITY);
  return [...values].sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
}

/** The registry data of one policy as the kind expects it, or why it is not. */
function dataOf(
  policy: PolicyField,
  reading: PolicyKeyReading,
  env: NodeJS.ProcessEnv,
): { data: unknown; shown: string } | { problem: string; shown: string } | undefined {
  if (policy.kind === 'list') {
    const values = reading.subkeys.get(policy.name.toLowerCase());
    if (!values || values.size === 0) return undefined;
    const entries = listEntries(values);
    const shown = `[${entries.map(([, data]) => JSON.stringify(data.value)).join(', ')}]`;
    const wrong = entries.find(([, data]) => !STRING_TYPES.includes(data.type));
    if (wrong)
      return { shown, problem: `entry "${wrong[0]}" is ${wrong[1].type}; every entry must be a REG_SZ` };
    return { shown, data: entries.map(([, data]) => expand(data, env)) };
  }
  const data = reading.values.get(policy.name.toLowerCase());
  if (!data) return undefined;
  const shown = show(data);
  if (policy.kind === 'text') {
    if (!STRING_TYPES.includes(data.type)) return { shown, problem: 'must be a REG_SZ or REG_EXPAND_SZ' };
    return { shown, data: expand(data, env) };
  }
  if (data.type !== 'REG_DWORD') return { shown, problem: 'must be a REG_DWORD' };
  const number = Number(data.value);
  if (policy.kind === 'boolean') {
    if (number !== 0 && number !== 1) return { shown, problem: 'must be 1 (on) or 0 (off)' };
    return { shown, data: number === 1 };
  }
  if (policy.range && (number < policy.range.min || number > policy.range.max)) {
    return { shown, problem: `must be ${policy.range.min}-${policy.range.max}` };
  }
  return { shown, data: number };
}

/**
 * The policies one key sets, each checked by the config's own schema (with every other field
 * at its default), so a policy value is held to exactly the rules a config file is.
 */
export function readScope(
  scope: PolicyScope,
  reading: PolicyKeyReading,
  env: NodeJS.ProcessEnv,
): ScopePolicies {
  const result: ScopePolicies = { values: [], bad: [] };
  for (const policy of POLICY_FIELDS) {
    const found = dataOf(policy, reading, env);
    if (!found) continue;
    const at = `${reading.key}\\${policy.name}`;
    const bad = (problem: string) => result.bad.push({ policy, scope, at, shown: found.shown, problem });
    if ('problem' in found) {
      bad(found.problem);
      continue;
    }
    if (policy.field === undefined) {
      if (policy.name === LOCK_LOCAL_SETTINGS) result.lock = found.data as boolean;
      continue;
    }
    let raw: unknown;
    try {
      raw = policy.toConfig ? (policy.toConfig as (data: unknown) => unknown)(found.data) : found.data;
    } catch (error) {
      bad((error as Error).message);
      continue;
    }
    const alone = withValueAt({}, policy.field, raw);
    const checked = configSchema.safeParse(alone);
    if (!checked.success) {
      bad(configErrorFromZod(checked.error, alone).message);
      continue;
    }
    result.values.push({ policy, scope, at, raw, value: valueAt(checked.data, policy.field) });
  }
  return result;
}

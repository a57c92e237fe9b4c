import { configFields, valueAt, withValueAt } from './fields.js';
import {
  type BadPolicyValue,
  type PolicyReadings,
  type PolicyValue,
  readScope,
  SCOPE_NAMES,
} from './policy.js';
import { LOCK_LOCAL_SETTINGS, type PolicyScope } from './policy-fields.js';
import { configSchema } from './schema.js';

// Which layer sets each field: machine policy, then user policy, then the config file (--config
// or GOPROXYGUARD_CONFIG), then the built-in defaults. Pure: the policy keys and the file are
// read by the caller.

export type SettingSource = 'machine policy' | 'user policy' | 'config file' | 'command line' | 'default';

/** One effective setting and where it came from. */
export interface EffectiveSetting {
  /** Dotted config path, e.g. "guard.enabled". */
  field: string;
  value: unknown;
  source: SettingSource;
  /** The registry value, the file, the option or "built-in default" that set it. */
  origin: string;
}

export interface LayeredRaw {
  /** The config to validate: the file's fields with every policy value put over them. */
  raw: Record<string, unknown>;
  /** Who set each field; a field missing here takes its default. */
  setBy: Map<string, { source: SettingSource; origin: string }>;
  /** Fields no local setting may change: set by policy, or every field under LockLocalSettings. */
  locked: (field: string) => boolean;
  /** Warnings ready to show: a config file value overridden, local settings refused. */
  warnings: string[];
  /** A policy key that exists but could not be read, as a warning. */
  unreadable: string[];
  /** Bad policy values; the warning names what was used instead, known once the config is validated. */
  bad: BadPolicyValue[];
}

const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The file's value of a field as the schema normalises it, or undefined when it is invalid. */
function normalised(field: string, value: unknown): unknown {
  const checked = configSchema.safeParse(withValueAt({}, field, value));
  return checked.success ? valueAt(checked.data, field) : undefined;
}

const show = (value: unknown) => JSON.stringify(value);

/** Each policy key that exists, machine first, with the policies read from it. */
function policyScopes(readings: PolicyReadings | undefined, env: NodeJS.ProcessEnv) {
  return (['machine', 'user'] as const)
    .map((scope) => ({ scope, reading: readings?.[scope] }))
    .filter((s): s is { scope: PolicyScope; reading: NonNullable<typeof s.reading> } => !!s.reading)
    .map(({ scope, reading }) => ({ scope, reading, policies: readScope(scope, reading, env) }));
}

/**
 * The policy value that forbids local settings, as a name for messages, or undefined when local
 * settings are allowed. The first key that sets LockLocalSettings decides (machine first).
 */
export function localSettingsLockedBy(
  readings: PolicyReadings | undefined,
  env: NodeJS.ProcessEnv,
): string | undefined {
  const decides = policyScopes(readings, env).find(({ policies }) => policies.lock !== undefined);
  return decides?.policies.lock
    ? `${SCOPE_NAMES[decides.scope]} ${decides.reading.key}\\${LOCK_LOCAL_SETTINGS}`
    : undefined;
}

export function layerSettings(
  file: { path: string; raw: Record<string, unknown> } | undefined,
  readings: PolicyReadings | undefined,
  env: NodeJS.ProcessEnv,
): LayeredRaw {
  const warnings: string[] = [];
  const unreadable = (readings?.unreadable ?? []).map(
    (problem) => `a policy key could not be read, so its policies are not applied: ${problem}`,
  );
  const scopes = policyScopes(readings, env);
  // Machine first: the first scope to set a field wins.
  const byField = new Map<string, PolicyValue>();
  for (const { policies } of scopes) {
    for (const value of policies.values) {
      const field = value.policy.field as string;
      if (!byField.has(field)) byField.set(field, value);
    }
  }
  const lockedBy = scopes.find(({ policies }) => policies.lock !== undefined);
  const lockLocal = lockedBy?.policies.lock === true;

  const setBy = new Map<string, { source: SettingSource; origin: string }>();
  let raw: Record<string, unknown> = {};
  if (file) {
    const fileFields = configFields()
      .map((f) => f.path)
      .filter((path) => valueAt(file.raw, path) !== undefined);
    if (lockLocal && lockedBy) {
      const refused = fileFields.filter((path) => !byField.has(path));
      if (refused.length > 0) {
        warnings.push(
          `${SCOPE_NAMES[lockedBy.scope]} ${lockedBy.reading.key}\\${LOCK_LOCAL_SETTINGS} forbids local settings: config file ${file.path} is not used for ${refused.join(', ')}; ${refused.length === 1 ? 'it takes its' : 'they take their'} default`,
        );
      }
    } else {
      raw = file.raw;
      for (const path of fileFields) setBy.set(path, { source: 'config file', origin: file.path });
    }
    for (const [field, policy] of byField) {
      const fileValue = valueAt(file.raw, field);
      if (fileValue === undefined || sameValue(normalised(field, fileValue), policy.value)) continue;
      warnings.push(
        `config file ${file.path} sets ${field} to ${show(fileValue)}, but ${SCOPE_NAMES[policy.scope]} ${policy.at} sets ${show(policy.value)}, which is used`,
      );
    }
  }
  for (const [field, policy] of byField) {
    raw = withValueAt(raw, field, policy.raw);
    setBy.set(field, { source: SCOPE_NAMES[policy.scope], origin: policy.at });
  }
  return {
    raw,
    setBy,
    locked: (field) => lockLocal || byField.has(field),
    warnings,
    unreadable,
    bad: scopes.flatMap(({ policies }) => policies.bad),
  };
}

/** Every field of a validated config with its source ("default" for those nobody set). */
export function effectiveSettings(config: unknown, layered: Pick<LayeredRaw, 'setBy'>): EffectiveSetting[] {
  return configFields().map(({ path }) => ({
    field: path,
    value: valueAt(config, path) ?? null,
    ...(layered.setBy.get(path) ?? { source: 'default' as const, origin: 'built-in default' }),
  }));
}

/** The warning for a bad policy value, naming the value and what was used instead. */
export function badValueWarning(bad: BadPolicyValue, settings: readonly EffectiveSetting[]): string {
  const used = settings.find((s) => s.field === bad.policy.field);
  const instead = used
    ? `using ${show(used.value)} from the ${used.source === 'default' ? 'built-in default' : `${used.source} (${used.origin})`}`
    : `${LOCK_LOCAL_SETTINGS} is left as the other policy key or the default sets it`;
  return `${SCOPE_NAMES[bad.scope]} ${bad.at} = ${bad.shown} is ignored (${bad.problem}); ${instead}`;
}

import type { z } from 'zod';
import { configSchema } from './schema.js';

// The config's fields as a flat list of dotted paths ("guard.enabled"), read from the schema
// itself, so that policy, precedence and the generated templates can never list a field the
// schema lacks or miss one it has. Lists (mirrors) are one field: policy sets them whole.

type AnySchema = z.ZodType;

interface Def {
  type: string;
  innerType?: AnySchema;
  in?: AnySchema;
  shape?: Record<string, AnySchema>;
}

const defOf = (schema: AnySchema) => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The schema under defaults, optionals and transforms: what a value is checked against first. */
export function innermost(schema: AnySchema): AnySchema {
  let current = schema;
  for (;;) {
    const def = defOf(current);
    if (def.innerType && ['default', 'prefault', 'optional', 'nullable'].includes(def.type)) {
      current = def.innerType;
    } else if (def.type === 'pipe' && def.in) current = def.in;
    else return current;
  }
}

const shapeOf = (schema: AnySchema) => {
  const inner = innermost(schema);
  return defOf(inner).type === 'object'
    ? (inner as unknown as { shape: Record<string, AnySchema> }).shape
    : undefined;
};

export interface ConfigField {
  /** Dotted path, e.g. "policy.failAfter". */
  path: string;
  /** The field's own schema, with its default: parsing undefined gives the default. */
  schema: AnySchema;
}

/** Objects that are one setting, never set in part: the canary is a module at a version. */
const WHOLE_FIELDS = new Set(['canary']);

/** Every leaf field of the config (and every whole object), in schema order. */
export function configFields(): ConfigField[] {
  const fields: ConfigField[] = [];
  const walk = (schema: AnySchema, path: string) => {
    const shape = shapeOf(schema);
    if (!shape || WHOLE_FIELDS.has(path)) fields.push({ path, schema });
    else for (const [key, child] of Object.entries(shape)) walk(child, path ? `${path}.${key}` : key);
  };
  walk(configSchema, '');
  return fields;
}

/** The schema of one field, or undefined when the config has no such field. */
export function fieldSchema(path: string): AnySchema | undefined {
  return configFields().find((field) => field.path === path)?.schema;
}

/** The numeric bounds a number field's schema sets (for the templates' decimal policies). */
export function numberRange(schema: AnySchema): { min: number; max: number } | undefined {
  const inner = innermost(schema) as unknown as { minValue?: number | null; maxValue?: number | null };
  if (defOf(innermost(schema)).type !== 'number') return undefined;
  if (typeof inner.minValue !== 'number' || typeof inner.maxValue !== 'number') return undefined;
  return { min: inner.minValue, max: inner.maxValue };
}

/** The value at a dotted path of a plain object, or undefined. */
export function valueAt(object: unknown, path: string): unknown {
  let current = object;
  for (const key of path.split('.')) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** A copy of a plain object with the value at a dotted path set (or removed for undefined). */
export function withValueAt(
  object: Record<string, unknown>,
  path: string,
  value: unknown,
): Record<string, unknown> {
  const [key = '', ...rest] = path.split('.');
  const copy = { ...object };
  if (rest.length === 0) {
    if (value === undefined) delete copy[key];
    else copy[key] = value;
    return copy;
  }
  const child = copy[key];
  const base =
    typeof child === 'object' && child !== null && !Array.isArray(child)
      ? (child as Record<string, unknown>)
      : {};
  copy[key] = withValueAt(base, rest.join('.'), value);
  return copy;
}

/** Freezes an object and everything in it: a validated config is never changed afterwards. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

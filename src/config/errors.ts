import type { z } from 'zod';

/** Bad input: names the field (as a path such as mirrors[0].url) and how to fix it. */
export class ConfigError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(field ? `config field "${field}": ${message}` : message);
    this.name = 'ConfigError';
    this.field = field;
  }
}

/** Renders a zod path the way a person writes it in JSON: mirrors[0].url. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

/** The first validation problem as a ConfigError; one precise message beats a wall of them. */
export function configErrorFromZod(error: z.ZodError, raw: unknown): ConfigError {
  const issue = error.issues[0];
  if (!issue) return new ConfigError('', 'the config is invalid');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    return new ConfigError(
      fieldPath([...issue.path, key]),
      'unknown field; remove it or check its spelling against the README',
    );
  }
  if (issue.code === 'invalid_type') {
    const got = valueAt(raw, issue.path);
    const gotText = got === undefined ? ' (it is missing)' : ` (got ${JSON.stringify(got)})`;
    // A message written in the schema (e.g. "must be a whole number of minutes") says it best.
    if (!issue.message.startsWith('Invalid input'))
      return new ConfigError(fieldPath(issue.path), `${issue.message}${gotText}`);
    const expected = KIND_NAMES[issue.expected] ?? issue.expected;
    return new ConfigError(fieldPath(issue.path), `must be ${expected}${gotText}`);
  }
  return new ConfigError(fieldPath(issue.path), issue.message);
}

const KIND_NAMES: Record<string, string> = {
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  int: 'a whole number',
};

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let value = raw;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

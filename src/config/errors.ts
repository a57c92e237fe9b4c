import type { z } from 'zod';

/**
 * The PowerShell ErrorCategory an error report carries (ps-templates/GoProxyGuard.psm1 parses
 * the name into [System.Management.Automation.ErrorCategory]).
 */
export type PsCategory =
  | 'InvalidArgument'
  | 'InvalidData'
  | 'PermissionDenied'
  | 'ResourceUnavailable'
  | 'ObjectNotFound'
  | 'NotInstalled'
  | 'SecurityError'
  | 'InvalidType'
  | 'InvalidResult'
  | 'WriteError'
  | 'ResourceBusy';

/**
 * Whose fault a failure is. cli/failure.ts maps each to an exit code, once: `input` (bad config,
 * argv, backup, GOENV) and `environment` (a tool missing, a state folder that is read-only, full
 * or under a file) are what the user must change: 2. `tool` (a tool that ran and failed) and
 * `unverified` (a change that did not read back) are 3, `busy` (the lock) is 4. Anything thrown
 * that is not a GuardError is a bug: 3, "internal error".
 */
export type Fault = 'input' | 'environment' | 'tool' | 'unverified' | 'busy';

/** An error GoProxyGuard raises on purpose: one sentence that names the cause and the fix. */
export class GuardError extends Error {
  constructor(
    readonly fault: Fault,
    message: string,
    /** The error report's errorId, e.g. ConfigInvalid. */
    readonly errorId: string,
    readonly category: PsCategory,
    /** What it is about (a config field, a file); empty: the command. */
    readonly target = '',
  ) {
    super(message);
  }
}

/** Bad input the user must change: argv, config, a backup taken under another GOENV. */
export class InputError extends GuardError {
  override name = 'InputError';
  constructor(
    message: string,
    target = '',
    errorId = 'InputInvalid',
    category: PsCategory = 'InvalidArgument',
  ) {
    super('input', message, errorId, category, target);
  }
}

/** Bad config: names the field (as a path such as mirrors[0].url) and how to fix it. */
export class ConfigError extends InputError {
  override name = 'ConfigError';
  readonly field: string;
  constructor(field: string, message: string, errorId = 'ConfigInvalid') {
    super(field ? `config field "${field}": ${message}` : message, field, errorId);
    this.field = field;
  }
}

/** The machine, not the input: a tool that is not there, a state folder that cannot be written. */
export class EnvironmentError extends GuardError {
  override name = 'EnvironmentError';
  constructor(message: string, errorId: string, category: PsCategory, target = '') {
    super('environment', message, errorId, category, target);
  }
}

/** A tool that ran and failed (go env -w, reg.exe): its words are in the message. */
export class ToolFailedError extends GuardError {
  override name = 'ToolFailedError';
  constructor(message: string, tool: string) {
    super('tool', message, 'ToolFailed', 'InvalidResult', tool);
  }
}

/** A missing tool: the user installs it or points its override variable at it. */
export const toolMissing = (tool: string, message: string) =>
  new EnvironmentError(message, 'ToolMissing', 'NotInstalled', tool);

/** What each refusal of the file system means, in words, and its category. */
const FILE_REFUSALS: Record<string, { says: string; fix: string; category: PsCategory }> = {
  EACCES: { says: 'permission denied', fix: 'give this user access to it', category: 'PermissionDenied' },
  EPERM: { says: 'not permitted', fix: 'give this user access to it', category: 'PermissionDenied' },
  EROFS: { says: 'the file system is read-only', fix: 'make it writable', category: 'PermissionDenied' },
  ENOSPC: { says: 'no space left on the device', fix: 'free some space', category: 'ResourceUnavailable' },
  EDQUOT: { says: 'the disk quota is used up', fix: 'free some space', category: 'ResourceUnavailable' },
  ENOTDIR: {
    says: 'a part of its path is a file, not a folder',
    fix: 'move that file away',
    category: 'ObjectNotFound',
  },
  EISDIR: { says: 'it is a folder, not a file', fix: 'remove that folder', category: 'InvalidType' },
  ELOOP: {
    says: 'it is a symbolic link, which GoProxyGuard does not follow there',
    fix: 'remove the link',
    category: 'SecurityError',
  },
  ENXIO: {
    says: 'it is a pipe or a device with nothing at the other end',
    fix: 'remove it',
    category: 'InvalidType',
  },
  // Not errno codes: the state folder's own refusals (state/safe-file.ts), worded the same way.
  ENOTREG: {
    says: 'it is not a regular file (a device or a pipe)',
    fix: 'remove it',
    category: 'InvalidType',
  },
  EHARDLINK: {
    says: 'it is a hard link, so writing to it would change another file',
    fix: 'remove the link',
    category: 'SecurityError',
  },
};

const VERBS: Record<string, string> = {
  open: 'open',
  read: 'read',
  write: 'write',
  fsync: 'write',
  mkdir: 'create the folder',
  rename: 'replace',
  unlink: 'remove',
};

/** What the system said about a file-system refusal, and the fix: "permission denied (EACCES); ...". */
export function refusalOf(error: unknown): { says: string; category: PsCategory } | undefined {
  const { code } = (error ?? {}) as NodeJS.ErrnoException;
  const refusal = code ? FILE_REFUSALS[code] : undefined;
  return refusal && { says: `${refusal.says} (${code}); ${refusal.fix}`, category: refusal.category };
}

/**
 * A file-system refusal (EACCES, EROFS, ENOSPC, ENOTDIR, ...) as an EnvironmentError naming the
 * file, what the system said and the fix; undefined for anything else (a bug stays a bug).
 */
export function fileSystemError(error: unknown): EnvironmentError | undefined {
  const { path, syscall } = (error ?? {}) as NodeJS.ErrnoException;
  const refusal = refusalOf(error);
  if (!refusal || !path) return undefined;
  const verb = VERBS[syscall ?? 'open'] ?? 'use';
  return new EnvironmentError(
    `cannot ${verb} ${path}: ${refusal.says}`,
    'FileSystemRefused',
    refusal.category,
    path,
  );
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

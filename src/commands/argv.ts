import type { OptionSpecs, OptionValues } from '../commands/definition.js';
import { ConfigError } from '../config/errors.js';

/** Flags every command takes. */
export interface GlobalFlags {
  json: boolean;
  /** Write progress and log events to stderr as JSON lines (used by the PowerShell module). */
  events: boolean;
  verbose: boolean;
  help: boolean;
}

export interface ParsedArgs<T extends OptionSpecs> {
  options: OptionValues<T>;
  flags: GlobalFlags;
  positionals: string[];
}

/** Bad argv: names the option and the fix; exit code 2 like a bad config. */
export class UsageError extends ConfigError {
  override name = 'UsageError';
  constructor(option: string, message: string) {
    super(option, message, 'UsageInvalid');
    this.message = `option "${option}": ${message}`;
  }
}

const GLOBAL: Record<string, keyof GlobalFlags> = {
  '--json': 'json',
  '--events': 'events',
  '--verbose': 'verbose',
  '-v': 'verbose',
  '--help': 'help',
  '-h': 'help',
};

/** Parses `--flag value`, `--flag=value` and switches against a command's option specs. */
export function parseArgs<T extends OptionSpecs>(
  command: string,
  specs: T,
  argv: readonly string[],
): ParsedArgs<T> {
  const flags: GlobalFlags = { json: false, events: false, verbose: false, help: false };
  const options: Record<string, string | number | boolean | string[]> = {};
  const positionals: string[] = [];
  const byFlag = new Map(Object.entries(specs).map(([key, spec]) => [`--${spec.flag}`, { key, spec }]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const global = GLOBAL[arg];
    if (global) {
      flags[global] = true;
      continue;
    }
    if (!arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const found = byFlag.get(name);
    if (!found) {
      throw new UsageError(name, `unknown option for '${command}'; run: goproxy-guard ${command} --help`);
    }
    const { key, spec } = found;
    if (spec.kind === 'switch') {
      options[key] = true;
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined)
      throw new UsageError(name, `needs a value: ${name} ${spec.valueName ?? 'VALUE'}`);
    options[key] = convert(name, spec, value);
  }
  return { options: options as OptionValues<T>, flags, positionals };
}

function convert(name: string, spec: OptionSpecs[string], value: string): string | number | string[] {
  if (spec.kind === 'list') {
    const items = value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
    if (items.length === 0) throw new UsageError(name, `needs at least one name: ${name} a,b`);
    return items;
  }
  if (spec.kind === 'integer') {
    const number = /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
    const { min = -Infinity, max = Infinity } = spec;
    if (!Number.isSafeInteger(number) || number < min || number > max) {
      throw new UsageError(name, `must be a whole number from ${min} to ${max} (got "${value}")`);
    }
    return number;
  }
  if (spec.kind === 'choice' && !spec.choices?.includes(value)) {
    throw new UsageError(name, `must be one of ${spec.choices?.join(', ')} (got "${value}")`);
  }
  if (value === '') throw new UsageError(name, 'must not be empty');
  return value;
}

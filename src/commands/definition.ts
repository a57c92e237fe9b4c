/**
 * The single description of a user-facing command. The CLI parses argv from it, and the
 * PowerShell generator (src/codegen) reads the same object literal and its TSDoc with ts-morph,
 * so a cmdlet cannot drift from the runtime. Keep every field a literal the generator can read.
 */
/**
 * `list` is a comma-separated CLI value and a string[] parameter (pipeline-friendly). `lines` is
 * a file (or - for stdin) on the CLI; the cmdlet takes a -<Parameter> path or text lines from the
 * pipeline, which it hands over in a temporary file (never as an argument).
 */
export type OptionKind = 'path' | 'string' | 'integer' | 'switch' | 'choice' | 'list' | 'lines';

export interface OptionSpec {
  kind: OptionKind;
  /** Long CLI flag without the dashes: "config" means --config. */
  flag: string;
  /** PowerShell parameter name: "ConfigPath" means -ConfigPath. */
  parameter: string;
  /** Placeholder shown in CLI help: --config FILE. */
  valueName?: string;
  min?: number;
  max?: number;
  choices?: readonly string[];
  /** The cmdlet takes this parameter from the pipeline (by value and by property name). */
  pipeline?: boolean;
}

export type OptionSpecs = Record<string, OptionSpec>;

type ValueOf<S extends OptionSpec> = S['kind'] extends 'integer'
  ? number
  : S['kind'] extends 'switch'
    ? boolean
    : S['kind'] extends 'list'
      ? string[]
      : string;

export type OptionValues<T extends OptionSpecs> = { [K in keyof T]?: ValueOf<T[K]> };

/** A structured event for the caller: progress and log lines, never the result itself. */
export type RuntimeEvent =
  | { type: 'progress'; activity: string; status: string; percent: number }
  | { type: 'log'; level: 'verbose' | 'warning'; message: string };

export interface CommandIO {
  env: NodeJS.ProcessEnv;
  emit(event: RuntimeEvent): void;
  /**
   * For a long-running command (serve): prints its one "ready" line at once, as one JSON line
   * with --json, else the text, while run() goes on until the command ends.
   */
  announce?(document: unknown, text: string): void;
}

export interface CommandOutcome {
  exitCode: number;
  /**
   * The --json document; the cmdlet emits document[outputProperty] as objects. Undefined for a
   * command that announced its result while running: then only `text` is printed, and only
   * without --json (stdout keeps the one announced JSON object).
   */
  document: unknown;
  /** The human rendering, printed without --json. */
  text: string;
}

/** Help text extracted from the command TSDoc at build time (src/codegen writes it). */
export interface CommandHelp {
  synopsis: string;
  description: string;
  options: Record<string, string>;
  cliExamples: string[];
}

/** A column of the PowerShell table view; `property` is the PascalCase name on the object. */
export interface ViewColumn {
  label: string;
  property: string;
  /** The property is a list, shown joined with "; ". */
  list?: boolean;
}

export interface CommandDefinition<T extends OptionSpecs = OptionSpecs> {
  /** CLI name: goproxy-guard <name>. */
  name: string;
  /** The generated cmdlet, an approved verb plus a GoProxy noun. */
  cmdlet: string;
  /** Former names of the cmdlet: exported as aliases, so scripts written for them keep working. */
  cmdletAliases?: readonly string[];
  /** PSTypeName given to each emitted object; the format view is keyed on it. */
  outputType: string;
  /** Property of the JSON document holding the objects the cmdlet emits; "." emits the document. */
  outputProperty: string;
  /** The default table view of outputType objects. */
  columns: readonly ViewColumn[];
  /** Whether the command changes the machine; such cmdlets support -WhatIf and -Confirm. */
  changesMachine: boolean;
  /** The option that takes the first bare argument (verify MODULE@VERSION); Position 0 in PowerShell. */
  positional?: string;
  /** No cmdlet: a command only the CLI (or the scheduled task) runs. */
  cliOnly?: boolean;
  /** The cmdlet writes a non-terminating ErrorRecord for every emitted object whose Healthy is false. */
  reportsUnhealthy?: boolean;
  /**
   * For changing commands: what ShouldProcess names. -WhatIf (or declining -Confirm) runs the
   * command's --dry-run instead, so a person sees exactly what would change.
   */
  whatIf?: { target: string; action: string };
  options: T;
  run(options: OptionValues<T>, io: CommandIO): Promise<CommandOutcome>;
}

export function defineCommand<const T extends OptionSpecs>(
  definition: CommandDefinition<T>,
): CommandDefinition<T> {
  return definition;
}

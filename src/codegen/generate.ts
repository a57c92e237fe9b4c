import type { CommandHelp, OptionSpec } from '../commands/definition.js';
import { VERDICT_ERROR_CATEGORY } from '../probe/verdict-category.js';
import { type TemplateValues, templateReader } from '../text/template.js';
import { COMPOUND_WORDS, powerShellPropertyName } from './property-names.js';
import type { CommandModel } from './read-commands.js';

export interface GeneratedModule {
  /** Relative path inside dist-psm/GoProxyGuard -> file content. */
  files: Map<string, string>;
  /** CLI help per command, from the same TSDoc as Get-Help. */
  help: Record<string, CommandHelp>;
}

export interface ModuleInfo {
  version: string;
  description: string;
  minimumNodeMajor: number;
  /** Completion candidates when no config names the mirrors. */
  defaultMirrorNames: string[];
}

// Text placed inside PowerShell comment-based help, single-quoted strings and XML.
const helpText = (text: string) => text.replace(/#>/g, '# >');
const quoted = (text: string) => `'${text.replace(/'/g, "''")}'`;
const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Fills ps-templates/ from the command models: the generator only turns definitions into
 * template values; all PowerShell, XML and help text lives in the templates.
 */
export function generateModule(
  allCommands: CommandModel[],
  info: ModuleInfo,
  templatesDir: string,
): GeneratedModule {
  const commands = allCommands.filter((command) => !command.cliOnly).map(withCurrentNames(allCommands));
  const render = templateReader(templatesDir);
  const exports = commands.map((c) => quoted(c.cmdlet)).join(', ');
  const aliasExports = commands
    .flatMap((c) => c.cmdletAliases)
    .map(quoted)
    .join(', ');
  const completers = commands.flatMap((command) =>
    command.options
      .filter(({ spec }) => spec.kind === 'list' && spec.pipeline)
      .map(({ spec }) => ({ cmdlet: command.cmdlet, parameter: spec.parameter })),
  );
  const files = new Map<string, string>();
  files.set(
    'GoProxyGuard.psm1',
    render('GoProxyGuard.psm1', {
      version: info.version,
      minimumNodeMajor: info.minimumNodeMajor,
      commands: commands.map(functionValues),
      completes: completers.length > 0,
      completers,
      defaultMirrorNames: info.defaultMirrorNames.map(quoted).join(', '),
      verdicts: Object.entries(VERDICT_ERROR_CATEGORY).map(([verdict, category]) => ({ verdict, category })),
      compoundWords: Object.entries(COMPOUND_WORDS).map(([word, powerShell]) => ({ word, powerShell })),
      exports,
      aliasExports,
    }),
  );
  files.set('GoProxyGuard.Native.cs', render('GoProxyGuard.Native.cs', {}));
  files.set('bin/native-helper.ps1', render('native-helper.ps1', {}));
  files.set(
    'GoProxyGuard.psd1',
    render('GoProxyGuard.psd1', {
      version: info.version,
      description: info.description.replace(/'/g, "''"),
      exports,
      aliasExports,
      minimumNodeMajor: info.minimumNodeMajor,
    }),
  );
  files.set(
    'GoProxyGuard.Format.ps1xml',
    render('GoProxyGuard.Format.ps1xml', { views: tableViews(commands) }),
  );
  files.set(
    'en-US/about_GoProxyGuard.help.txt',
    render('en-US/about_GoProxyGuard.help.txt', {
      minimumNodeMajor: info.minimumNodeMajor,
      commands: commands.map((c) => ({
        cmdlet: c.cmdlet,
        synopsis: c.synopsis,
        aliases: c.cmdletAliases.length > 0 ? [{ formerly: c.cmdletAliases.join(', ') }] : [],
      })),
      verdictList: wrap(`${Object.keys(VERDICT_ERROR_CATEGORY).join(', ')}.`, 72, '    '),
    }),
  );
  const help: Record<string, CommandHelp> = {};
  for (const command of allCommands.map(withCurrentNames(allCommands))) {
    help[command.name] = {
      synopsis: command.synopsis,
      description: command.description,
      options: Object.fromEntries(command.options.map((o) => [o.key, o.help])),
      cliExamples: command.cliExamples,
    };
  }
  return { files, help };
}

/**
 * Help always shows today's cmdlet names: a TSDoc that still says an old name (an alias now)
 * is read with the current one, so a rename never leaves help pointing at the alias.
 */
function withCurrentNames(commands: CommandModel[]): (command: CommandModel) => CommandModel {
  const renames = commands.flatMap((c) =>
    c.cmdletAliases.map((alias) => [new RegExp(`(?<![\\w-])${alias}(?![\\w-])`, 'g'), c.cmdlet] as const),
  );
  const current = (text: string) => renames.reduce((out, [alias, name]) => out.replace(alias, name), text);
  return (command) => ({
    ...command,
    synopsis: current(command.synopsis),
    description: current(command.description),
    examples: command.examples.map((e) => ({ code: current(e.code), remarks: current(e.remarks) })),
    options: command.options.map((o) => ({ ...o, help: current(o.help) })),
  });
}

/** The dry-run switch of a changing command is not a parameter: -WhatIf maps onto it. */
const isWhatIfSwitch = (command: CommandModel, spec: { flag: string }) =>
  command.changesMachine && spec.flag === 'dry-run';

/** What function.ps1 needs to know about one command. */
function functionValues(command: CommandModel): TemplateValues {
  const options = command.options.filter(({ spec }) => !isWhatIfSwitch(command, spec));
  const collecting = options.filter(
    ({ spec }) => spec.kind === 'lines' || (spec.kind === 'list' && spec.pipeline),
  );
  if (collecting.length > 1)
    throw new Error(
      `${command.file}: at most one option per command takes pipeline input (the pipeline collects into one list)`,
    );
  const lines = options.find(({ spec }) => spec.kind === 'lines');
  if (lines?.spec.pipeline)
    throw new Error(
      `${command.file}: option ${lines.key} is 'lines': its pipeline input is -InputObject, so it cannot be pipeline: true`,
    );
  return {
    cmdlet: command.cmdlet,
    aliases:
      command.cmdletAliases.length > 0 ? [{ names: command.cmdletAliases.map(quoted).join(', ') }] : [],
    synopsis: helpText(command.synopsis),
    description: helpText(command.description),
    options: options.map(({ key, spec, help }) =>
      optionValues(spec, command.positional === key, helpText(help)),
    ),
    examples: command.examples.map((example) => ({
      code: helpText(example.code),
      remarks: helpText(example.remarks),
    })),
    outputType: command.outputType,
    outputProperty: command.outputProperty,
    commandName: command.name,
    commandArgs: command.name.split(' ').map(quoted).join(', '),
    sourceFile: command.file,
    whatIf: command.whatIf
      ? [
          {
            target: command.whatIf.target.replace(/'/g, "''"),
            action: command.whatIf.action.replace(/'/g, "''"),
          },
        ]
      : [],
    resolvesPaths: options.some(({ spec }) => spec.kind === 'path' || spec.kind === 'lines'),
    collects: collecting.length > 0,
    tempFile: lines !== undefined,
    reportsUnhealthy: command.reportsUnhealthy,
  };
}

function optionValues(spec: OptionSpec, positional: boolean, help: string): TemplateValues {
  const pipeline = spec.pipeline === true;
  return {
    parameter: spec.parameter,
    flag: spec.flag,
    help,
    positional,
    pipeline,
    attributes: positional || pipeline,
    switch: spec.kind === 'switch',
    string: spec.kind === 'string',
    integer: spec.kind === 'integer',
    choice: spec.kind === 'choice',
    path: spec.kind === 'path',
    list: spec.kind === 'list',
    lines: spec.kind === 'lines',
    // passed on as text: --flag VALUE
    value: spec.kind === 'string' || spec.kind === 'integer' || spec.kind === 'choice',
    ...(spec.kind === 'integer' ? { min: spec.min ?? -2147483648, max: spec.max ?? 2147483647 } : {}),
    ...(spec.kind === 'choice' ? { choices: (spec.choices ?? []).map(quoted).join(', ') } : {}),
  };
}

/** One table view per output type; its columns name the objects' PowerShell-cased properties. */
function tableViews(commands: CommandModel[]): TemplateValues[] {
  const withColumns = commands.filter((c) => c.columns.length > 0);
  for (const command of withColumns) {
    const other = withColumns.find((c) => c.outputType === command.outputType);
    if (other && JSON.stringify(other.columns) !== JSON.stringify(command.columns)) {
      throw new Error(
        `${command.file} and ${other.file} give ${command.outputType} different table columns; use one view per type`,
      );
    }
  }
  return uniqueBy(withColumns, (c) => c.outputType).map((command) => ({
    outputType: xml(command.outputType),
    columns: command.columns.map((column) => ({
      label: xml(column.label),
      property: powerShellPropertyName(column.property),
      list: column.list === true,
    })),
  }));
}

/** Wraps a paragraph of help text at width, each line indented. */
function wrap(text: string, width: number, indent: string): string {
  const lines: string[] = [];
  for (const word of text.split(' ')) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + 1 + word.length <= width)
      lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines.map((line) => indent + line).join('\n');
}

function uniqueBy<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => !seen.has(key(item)) && seen.add(key(item)) !== undefined);
}

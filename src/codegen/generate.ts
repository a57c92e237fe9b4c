import type { CommandHelp } from '../cli/help.js';
import type { CommandModel } from './read-commands.js';
import { templateReader } from './template.js';

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

/** Fills ps-templates/ from the command models; all PowerShell text comes from the templates. */
export function generateModule(
  allCommands: CommandModel[],
  info: ModuleInfo,
  templatesDir: string,
): GeneratedModule {
  const commands = allCommands.filter((command) => !command.cliOnly);
  const render = templateReader(templatesDir);
  const exports = commands.map((c) => quoted(c.cmdlet)).join(', ');
  const functions = commands.map((command) => renderFunction(command, render)).join('\n\n');
  const files = new Map<string, string>();
  const completers = commands.flatMap((command) =>
    command.options
      .filter(({ spec }) => spec.kind === 'list' && spec.pipeline)
      .map(({ spec }) => render('completer.ps1', { cmdlet: command.cmdlet, parameter: spec.parameter })),
  );
  files.set(
    'GoProxyGuard.psm1',
    render('GoProxyGuard.psm1', {
      version: info.version,
      minimumNodeMajor: info.minimumNodeMajor,
      functions,
      completers: completers.join('\n'),
      defaultMirrorNames: info.defaultMirrorNames.map(quoted).join(', '),
      exports,
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
      minimumNodeMajor: info.minimumNodeMajor,
    }),
  );
  for (const command of commands) {
    const other = commands.find(
      (c) => c.outputType === command.outputType && c.columns.length > 0 && command.columns.length > 0,
    );
    if (other && JSON.stringify(other.columns) !== JSON.stringify(command.columns)) {
      throw new Error(
        `${command.file} and ${other.file} give ${command.outputType} different table columns; use one view per type`,
      );
    }
  }
  const views = uniqueBy(
    commands.filter((c) => c.columns.length > 0),
    (c) => c.outputType,
  ).map((command) =>
    render('format-view.xml', {
      outputType: xml(command.outputType),
      headers: command.columns
        .map((column) => render('format-header.xml', { label: xml(column.label) }))
        .join(''),
      items: command.columns
        .map((column) =>
          render(column.list ? 'format-item-list.xml' : 'format-item-property.xml', {
            property: column.property,
          }),
        )
        .join(''),
    }),
  );
  files.set('GoProxyGuard.Format.ps1xml', render('GoProxyGuard.Format.ps1xml', { views: views.join('') }));
  files.set(
    'en-US/about_GoProxyGuard.help.txt',
    render('en-US/about_GoProxyGuard.help.txt', {
      minimumNodeMajor: info.minimumNodeMajor,
      commandList: commands
        .map((c) => render('about-command.txt', { cmdlet: c.cmdlet, synopsis: c.synopsis }))
        .join(''),
    }),
  );
  const help: Record<string, CommandHelp> = {};
  for (const command of allCommands) {
    help[command.name] = {
      synopsis: command.synopsis,
      description: command.description,
      options: Object.fromEntries(command.options.map((o) => [o.key, o.help])),
      cliExamples: command.cliExamples,
    };
  }
  return { files, help };
}

/** The dry-run switch of a changing command is not a parameter: -WhatIf maps onto it. */
const isWhatIfSwitch = (command: CommandModel, spec: { flag: string }) =>
  command.changesMachine && spec.flag === 'dry-run';

function renderFunction(command: CommandModel, render: ReturnType<typeof templateReader>): string {
  const options = command.options.filter(({ spec }) => !isWhatIfSwitch(command, spec));
  const parameters = options
    .map(({ key, spec }) =>
      render(`parameters/${spec.kind}.ps1`, {
        parameter: spec.parameter,
        ...(spec.kind === 'switch'
          ? {}
          : {
              pipelineAttribute: [
                ...(command.positional === key ? ['Mandatory = $true', 'Position = 0'] : []),
                ...(spec.pipeline
                  ? ['ValueFromPipeline = $true', 'ValueFromPipelineByPropertyName = $true']
                  : []),
              ].join(', '),
            }),
        ...(spec.kind === 'integer' ? { min: spec.min ?? -2147483648, max: spec.max ?? 2147483647 } : {}),
        ...(spec.kind === 'choice' ? { choices: (spec.choices ?? []).map(quoted).join(', ') } : {}),
      }),
    )
    .join('');
  const lists = options.filter(({ spec }) => spec.kind === 'list' || spec.kind === 'lines');
  if (lists.length > 1)
    throw new Error(
      `${command.file}: at most one list option per command (the pipeline collects into one list)`,
    );
  const argumentTemplate = (kind: string) =>
    ['switch', 'path', 'list', 'lines'].includes(kind) ? kind : 'value';
  const argumentLines = options
    .map(({ spec }) =>
      render(
        `arguments/${argumentTemplate(spec.kind)}.ps1`,
        spec.kind === 'list' ? { flag: spec.flag } : { parameter: spec.parameter, flag: spec.flag },
      ),
    )
    .join('');
  const collectLines = lists
    .map(({ spec }) =>
      spec.kind === 'lines'
        ? render('collect-lines.ps1', {})
        : render('collect.ps1', { parameter: spec.parameter }),
    )
    .join('');
  const shouldProcess = command.whatIf
    ? render('should-process.ps1', {
        target: command.whatIf.target.replace(/'/g, "''"),
        action: command.whatIf.action.replace(/'/g, "''"),
      })
    : '';
  return render('function.ps1', {
    cmdlet: command.cmdlet,
    synopsis: helpText(command.synopsis),
    description: helpText(command.description),
    parameterHelp: options
      .map(
        ({ spec, help }) =>
          render('parameter-help.ps1', { parameter: spec.parameter, help: helpText(help) }) +
          (spec.kind === 'lines'
            ? `\n${render('parameter-help-lines.ps1', { parameter: spec.parameter })}`
            : ''),
      )
      .join('\n'),
    examples: command.examples
      .map((example) =>
        render('example.ps1', { code: helpText(example.code), remarks: helpText(example.remarks) }),
      )
      .join('\n'),
    outputType: command.outputType,
    commandName: command.name,
    commandArgs: command.name.split(' ').map(quoted).join(', '),
    sourceFile: command.file,
    outputProperty: command.outputProperty,
    cmdletBinding: command.changesMachine ? "SupportsShouldProcess = $true, ConfirmImpact = 'Medium'" : '',
    parameters: parameters.trimEnd(),
    argumentLines: `${argumentLines}${shouldProcess}`.trimEnd(),
    collectLines: collectLines.trimEnd(),
    reportsUnhealthy: command.reportsUnhealthy ? 'true' : 'false',
  }).trimEnd();
}

function uniqueBy<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => !seen.has(key(item)) && seen.add(key(item)) !== undefined);
}

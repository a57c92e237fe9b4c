import { readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateModule } from '../src/codegen/generate.js';
import { powerShellPropertyName } from '../src/codegen/property-names.js';
import { type CommandModel, readCommands } from '../src/codegen/read-commands.js';
import { VERDICTS } from '../src/probe/types.js';
import { fill } from '../src/text/template.js';

const commands = readCommands(['src/commands/health.ts']);
const info = {
  version: '9.8.7',
  description: "Keeps Go's downloads working",
  minimumNodeMajor: 20,
  defaultMirrorNames: ['a', 'b'],
};

describe('reading command definitions with ts-morph', () => {
  it('reads the health command, its options and their TSDoc', () => {
    expect(commands).toHaveLength(1);
    const [health] = commands;
    expect(health).toMatchObject({
      name: 'health',
      cmdlet: 'Invoke-GoProxyHealth',
      outputType: 'GoProxyGuard.MirrorHealth',
      outputProperty: 'mirrors',
      changesMachine: false,
      synopsis: 'Probes every configured Go module mirror at once and gives each a verdict with evidence.',
    });
    // constants such as MIN_DEADLINE_MS are followed to their values
    expect(health?.options.find((o) => o.key === 'deadline')?.spec).toMatchObject({ min: 100, max: 120000 });
    expect(health?.options.find((o) => o.key === 'config')?.help).toMatch(
      /^Path of the JSON config file \(else GOPROXYGUARD_CONFIG/,
    );
    expect(health?.examples[0]).toEqual({
      code: 'Invoke-GoProxyHealth',
      remarks: 'Probes the built-in public mirrors (goproxy.cn, aliyun, goproxy.io, proxy.golang.org).',
    });
    expect(health?.cliExamples).toEqual(['goproxy-guard health --config goproxy-guard.json --json']);
  });

  const dir = mkdtemp(join(tmpdir(), 'gpg-codegen-'));
  afterAll(async () => rm(await dir, { recursive: true, force: true }));

  it('fails the build when a command has no TSDoc example', async () => {
    const file = join(await dir, 'nodoc.ts');
    await writeFile(
      file,
      "/** Synopsis only. */\nexport const x = defineCommand({ name: 'x', cmdlet: 'Get-X', outputType: 'T', outputProperty: 'p', changesMachine: false, columns: [], options: {} });\n",
    );
    expect(() => readCommands([file])).toThrow('nodoc.ts: command x has no @example in its TSDoc');
  });
});

describe('generating the module from templates', () => {
  const { files, help } = generateModule(commands, info, 'ps-templates');
  const psm1 = files.get('GoProxyGuard.psm1') ?? '';

  it('derives validation attributes from the option specs', () => {
    expect(psm1).toContain('[ValidateRange(100, 120000)]\n        [int] $DeadlineMs,');
    expect(psm1).toContain('[ValidateNotNullOrEmpty()]\n        [string] $ConfigPath,');
    expect(psm1).toContain("$arguments += @('--deadline-ms', [string]$DeadlineMs)");
  });

  it('writes the manifest with explicit exports and the version', () => {
    const psd1 = files.get('GoProxyGuard.psd1') ?? '';
    expect(psd1).toContain("ModuleVersion        = '9.8.7'");
    expect(psd1).toContain("FunctionsToExport    = @('Invoke-GoProxyHealth')");
    expect(psd1).toContain('AliasesToExport      = @()');
    expect(psd1).toContain("Description          = 'Keeps Go''s downloads working'");
  });

  it('writes a table view keyed on the output type', () => {
    const format = files.get('GoProxyGuard.Format.ps1xml') ?? '';
    expect(format).toContain('<TypeName>GoProxyGuard.MirrorHealth</TypeName>');
    expect(format).toContain("<ScriptBlock>$_.Evidence -join '; '</ScriptBlock>");
  });

  it('hands the same TSDoc to the CLI help', () => {
    expect(help.health?.options.deadline).toBe(
      "Milliseconds the probes may take (overrides the config's deadlineMs).",
    );
  });
});

describe('fill', () => {
  it('replaces placeholders', () => expect(fill('a {{x}} b', { x: 1 })).toBe('a 1 b'));
  it('refuses a placeholder without a value', () =>
    expect(() => fill('{{x}}', {}, 't')).toThrow('t: no value for {{x}}'));
  it('refuses a value no placeholder uses', () =>
    expect(() => fill('{{x}}', { x: 1, y: 2 }, 't')).toThrow('t: values never used: y'));

  it('keeps or drops a conditional section, and its inverse, without leaving blank lines', () => {
    const template = 'a\n{{#on}}\n  on {{x}}\n{{/on}}\n{{^on}}\n  off\n{{/on}}\nb\n';
    expect(fill(template, { on: true, x: 1 })).toBe('a\n  on 1\nb\n');
    // a value named only inside a section left out still counts as used
    expect(fill(template, { on: false, x: 1 })).toBe('a\n  off\nb\n');
  });

  it('repeats a list section per item; the item is looked in first, then the outer values', () =>
    expect(
      fill('{{#items}}{{name}}{{sep}}{{/items}}.', { sep: ';', items: [{ name: 'a' }, { name: 'b' }] }),
    ).toBe('a;b;.'));

  it('renders an inverse section for an empty list', () =>
    expect(fill('{{#items}}{{name}}{{/items}}{{^items}}none{{/items}}', { items: [] })).toBe('none'));

  it('indents a partial alone on its line as deep as its tag', () =>
    expect(fill('{\n    {{>body}}\n}\n', { x: 1 }, 't', () => 'one {{x}}\ntwo\n\nthree\n')).toBe(
      '{\n    one 1\n    two\n\n    three\n}\n',
    ));

  it('refuses an item value no placeholder uses', () =>
    expect(() => fill('{{#items}}{{name}}{{/items}}', { items: [{ name: 'a', extra: 'b' }] }, 't')).toThrow(
      't: values never used: extra',
    ));

  it('refuses sections that do not nest, or never close', () => {
    expect(() => fill('{{#a}}{{#b}}{{/a}}{{/b}}', { a: true, b: true }, 't')).toThrow(
      't: {{/a}} closes {{#b}}',
    );
    expect(() => fill('{{#a}}x', { a: true }, 't')).toThrow('t: {{#a}} is never closed');
    expect(() => fill('x{{/a}}', { a: true }, 't')).toThrow('t: {{/a}} closes nothing');
  });

  it('refuses a text value used as a section and a section value used as text', () => {
    expect(() => fill('{{#a}}x{{/a}}', { a: 'yes' }, 't')).toThrow('t: {{#a}} needs true, false or a list');
    expect(() => fill('{{a}}', { a: true }, 't')).toThrow('t: {{a}} is a section value');
  });
});

describe('the whole module, from every command in src/commands', () => {
  const all = readCommands(
    readdirSync('src/commands')
      .filter((name) => name.endsWith('.ts') && name !== 'definition.ts' && name !== 'index.ts')
      .map((name) => join('src/commands', name)),
  );
  const { files } = generateModule(all, info, 'ps-templates');
  const psm1 = files.get('GoProxyGuard.psm1') ?? '';
  // Each generated function, from its first line to the closing brace at column 0.
  const functionText = (name: string) => {
    const match = new RegExp(`^function ${name} \\{\\n[\\s\\S]*?^\\}$`, 'm').exec(psm1);
    if (!match) throw new Error(`no function ${name} in the psm1`);
    return match[0];
  };
  const code = (name: string) => functionText(name).replace(/<#[\s\S]*?#>/, '');

  it('a function without pipeline input has no begin/process blocks, $collected or temp file', () => {
    const status = code('Get-GoProxyStatus');
    expect(status).not.toMatch(/\bprocess \{/);
    expect(status).not.toMatch(/\bbegin \{/);
    expect(status).not.toContain('$collected');
    expect(status).not.toContain('$linesFile');
    expect(status).not.toContain('try {');
    expect(status).toContain("    $arguments = @('status')\n");
  });

  it('a function with a lines parameter collects the pipeline and removes its temp file', () => {
    const doctor = code('Invoke-GoProxyDoctor');
    expect(doctor).toContain('    process {\n');
    expect(doctor).toContain('foreach ($value in $InputObject) { $collected.Add([string]$value) }');
    expect(doctor).toContain("        $arguments = @('doctor')\n");
    expect(doctor).toMatch(
      /try \{\n\s+Invoke-GoProxyGuardCommand [^\n]+\n\s+\} finally \{\n\s+if \(\$linesFile\) \{ Remove-Item/,
    );
  });

  it('a function with a pipeline list collects it, but needs no temp file', () => {
    const health = code('Invoke-GoProxyHealth');
    expect(health).toContain('foreach ($value in $Mirror) { $collected.Add($value) }');
    expect(health).toContain(
      "if ($collected.Count -gt 0) { $arguments += @('--mirror', ($collected -join ',')) }",
    );
    expect(health).not.toContain('$linesFile');
  });

  it('only a changing command supports ShouldProcess, and only the health cmdlet reports unhealthy mirrors', () => {
    expect(code('Set-GoProxy')).toContain('[CmdletBinding(SupportsShouldProcess = $true');
    expect(code('Set-GoProxy')).toContain('$PSCmdlet.ShouldProcess(');
    expect(code('Get-GoProxyPlan')).toContain('    [CmdletBinding()]\n');
    expect(code('Get-GoProxyPlan')).not.toContain('ShouldProcess');
    expect(psm1.match(/ -ReportUnhealthy\b/g)).toHaveLength(1);
    expect(code('Invoke-GoProxyHealth')).toContain(' -ReportUnhealthy -AsJson:$AsJson');
  });

  it('maps every verdict of the TypeScript type to an ErrorCategory', () => {
    const map = /\$script:VerdictCategories = @\{\n([\s\S]*?)\n\}/.exec(psm1)?.[1] ?? '';
    const verdicts = [...map.matchAll(/^ {4}'([\w-]+)' = '(\w+)'$/gm)].map((m) => m[1]);
    expect(verdicts).toEqual([...VERDICTS]);
  });

  it('defines no function that nothing calls or exports', () => {
    const defined = [...psm1.matchAll(/^function ([\w-]+) \{/gm)].map((m) => m[1] ?? '');
    expect(defined).toContain('Get-GoProxyGuardMirrorName');
    const exported = /^Export-ModuleMember -Function @\(([^)]*)\)/m.exec(psm1)?.[1] ?? '';
    const unused = defined.filter((name) => {
      const uses = psm1.split(new RegExp(`(?<![\\w-])${name}(?![\\w-])`)).length - 1;
      return uses < 2 && !exported.includes(`'${name}'`);
    });
    expect(unused).toEqual([]);
    expect(psm1).not.toContain('Initialize-GoProxyGuardNative');
  });

  it('exports the former cmdlet names as aliases from the manifest and the module', () => {
    expect(code('Restore-GoProxySetting')).toContain("    [Alias('Restore-GoProxySettings')]\n");
    expect(files.get('GoProxyGuard.psd1')).toMatch(/AliasesToExport {6}= @\([^)]*'Test-GoModuleIntegrity'/);
    expect(psm1).toMatch(/-Alias @\([^)]*'Restore-GoProxySettings'/);
  });

  it('shows the current cmdlet names in help even where a TSDoc still says the former one', () => {
    const renamed = newCommand({
      cmdletAliases: ['Export-GoProxyGuardReport'],
      description: 'Like Export-GoProxyGuardReport, not Export-GoProxyGuardReports.',
      examples: [
        {
          code: 'Export-GoProxyGuardReport -OutputPath r.json',
          remarks: 'Export-GoProxyGuardReport writes.',
        },
      ],
    });
    const { files: generated, help } = generateModule([renamed], info, 'ps-templates');
    const text = generated.get('GoProxyGuard.psm1') ?? '';
    expect(text).toContain('PS> Export-GoProxyReport -OutputPath r.json\n\nExport-GoProxyReport writes.');
    expect(text).toContain('Like Export-GoProxyReport, not Export-GoProxyGuardReports.');
    expect(text).toContain("    [Alias('Export-GoProxyGuardReport')]\n");
    expect(help['export report']?.description).toBe(
      'Like Export-GoProxyReport, not Export-GoProxyGuardReports.',
    );
  });

  it('names the table columns by the PowerShell-cased properties', () => {
    const format = files.get('GoProxyGuard.Format.ps1xml') ?? '';
    expect(format).toContain('<PropertyName>GoProxy</PropertyName>');
    expect(format).toContain('<PropertyName>GoProxySource</PropertyName>');
    expect(format).not.toMatch(/Goproxy|Gosumdb/);
  });

  it('lists every verdict in about_GoProxyGuard', () => {
    const about = files.get('en-US/about_GoProxyGuard.help.txt') ?? '';
    for (const verdict of VERDICTS) expect(about).toMatch(new RegExp(`[ ,]${verdict}[,.]`));
  });

  it('makes no assumptions about the command list: a new command with a path and a plain list', () => {
    const extra = newCommand({
      options: [
        { key: 'output', spec: { kind: 'path', flag: 'output', parameter: 'OutputPath' }, help: 'Where.' },
        { key: 'only', spec: { kind: 'list', flag: 'only', parameter: 'Only' }, help: 'Which.' },
      ],
    });
    const alone = generateModule([extra], info, 'ps-templates').files.get('GoProxyGuard.psm1') ?? '';
    const body = alone.slice(alone.indexOf('function Export-GoProxyReport'));
    expect(body).toContain(
      "if ($PSBoundParameters.ContainsKey('OutputPath')) { $arguments += @('--output', $PSCmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath($OutputPath)) }",
    );
    expect(body).toContain(
      "if ($PSBoundParameters.ContainsKey('Only')) { $arguments += @('--only', ($Only -join ',')) }",
    );
    expect(body).not.toContain('$collected');
    expect(body).toContain("    $arguments = @('export', 'report')\n");
    // no list takes mirror names from the pipeline, so no completer and no helper for one
    expect(alone).not.toContain('Get-GoProxyGuardMirrorName');
  });
});

/** A command no src/commands file defines, as another engineer might add it. */
function newCommand(fields: Partial<CommandModel>): CommandModel {
  return {
    file: 'export.ts',
    name: 'export report',
    cmdlet: 'Export-GoProxyReport',
    cmdletAliases: [],
    outputType: 'GoProxyGuard.Report',
    outputProperty: '.',
    changesMachine: false,
    reportsUnhealthy: false,
    cliOnly: false,
    columns: [],
    synopsis: 'Writes a report.',
    description: 'Writes it.',
    examples: [{ code: 'Export-GoProxyReport -OutputPath r.json', remarks: 'Writes r.json.' }],
    cliExamples: [],
    options: [],
    ...fields,
  };
}

describe('PowerShell property names', () => {
  it.each([
    ['goproxy', 'GoProxy'],
    ['goproxySource', 'GoProxySource'],
    ['gosumdb', 'GoSumDb'],
    ['sumdbHeads', 'SumDbHeads'],
    ['latencyMs', 'LatencyMs'],
    ['nxdomainHijack', 'NxDomainHijack'],
    ['Goproxy', 'GoProxy'],
    ['GoProxy', 'GoProxy'],
    ['constructor', 'Constructor'],
  ])('%s -> %s', (json, powerShell) => expect(powerShellPropertyName(json)).toBe(powerShell));
});

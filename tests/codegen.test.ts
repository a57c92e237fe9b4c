import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateModule } from '../src/codegen/generate.js';
import { readCommands } from '../src/codegen/read-commands.js';
import { fill } from '../src/codegen/template.js';

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
});

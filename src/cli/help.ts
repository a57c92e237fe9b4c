import type { CommandDefinition, CommandHelp } from '../commands/definition.js';

declare const __COMMAND_HELP__: Record<string, CommandHelp> | undefined;

// Injected by the bundler; absent when the sources run directly (tests), where help is terse.
const HELP: Record<string, CommandHelp> = typeof __COMMAND_HELP__ === 'undefined' ? {} : __COMMAND_HELP__;

export function commandHelp(command: CommandDefinition): string {
  const help = HELP[command.name];
  const lines = [`Usage: goproxy-guard ${command.name} [options]`, ''];
  if (help) lines.push(help.synopsis, '', wrap(help.description), '');
  lines.push('Options:');
  for (const [key, spec] of Object.entries(command.options)) {
    const flag = spec.kind === 'switch' ? `--${spec.flag}` : `--${spec.flag} ${spec.valueName ?? 'VALUE'}`;
    lines.push(`  ${flag.padEnd(24)} ${help?.options[key] ?? ''}`.trimEnd());
  }
  lines.push(`  ${'--json'.padEnd(24)} print one JSON document instead of a table`);
  lines.push(`  ${'--verbose'.padEnd(24)} log what is done to stderr`);
  if (help?.cliExamples.length) lines.push('', 'Examples:', ...help.cliExamples.map((e) => `  ${e}`));
  lines.push('', `PowerShell: ${command.cmdlet} (Get-Help ${command.cmdlet} -Full)`);
  return lines.join('\n');
}

export function mainHelp(commands: readonly CommandDefinition[], version: string): string {
  return [
    `goproxy-guard ${version}: keeps Go module downloads working by probing mirrors and proxies.`,
    '',
    'Usage: goproxy-guard <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(10)} ${HELP[c.name]?.synopsis ?? ''}`.trimEnd()),
    `  ${'lab'.padEnd(10)} start loopback test mirrors and print a config that points at them`,
    '',
    'Run goproxy-guard <command> --help for its options. Exit codes: 0 ok, 1 nothing healthy (or',
    'nothing to restore), 2 bad input or a machine to fix first, e.g. a read-only state folder (nothing',
    'changed), 3 a tool failed, a change did not verify, or a bug, 4 another run holds the lock.',
  ].join('\n');
}

function wrap(text: string, width = 96): string {
  const out: string[] = [];
  for (const paragraph of text.split(/\n\s*\n/)) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (line && line.length + word.length + 1 > width) {
        out.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    out.push(line, '');
  }
  return out.join('\n').trimEnd();
}

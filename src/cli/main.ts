import { parseArgs, UsageError } from '../commands/argv.js';
import type { CommandDefinition, RuntimeEvent } from '../commands/definition.js';
import { EXIT } from '../commands/exit-codes.js';
import { COMMANDS } from '../commands/index.js';
import { VERSION } from '../commands/version.js';
import { describeFailure } from './failure.js';
import { commandHelp, mainHelp } from './help.js';

export interface CliStreams {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

/** Runs one CLI invocation and returns its exit code; never calls process.exit itself. */
export async function runCli(argv: readonly string[], io: CliStreams): Promise<number> {
  const [name, ...rest] = [...argv];
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(mainHelp(COMMANDS, VERSION));
    return name === undefined ? EXIT.badInput : EXIT.ok;
  }
  if (name === '--version' || name === 'version') {
    io.stdout(VERSION);
    return EXIT.ok;
  }
  if (name === 'lab' && (rest.includes('--demo') || rest[0] === 'demo')) {
    // `lab --demo` and `lab demo` are the demo command; the long-running lab is below.
    const demoCommand = COMMANDS.find((c) => c.name === 'lab demo') as CommandDefinition;
    return runCommand(
      demoCommand,
      rest.filter((arg) => arg !== 'demo'),
      io,
    );
  }
  if (name === 'lab') {
    const { runLab } = await import('../commands/lab.js'); // loaded only when asked: keeps start-up light
    return runLab(rest, io);
  }
  // Two-word commands (task xml, task register, ...) are named by their first two words.
  const twoWords = rest[0] !== undefined ? `${name} ${rest[0]}` : '';
  const command = COMMANDS.find((c) => c.name === twoWords) ?? COMMANDS.find((c) => c.name === name);
  if (command?.name === twoWords) rest.shift();
  if (!command) {
    io.stderr(
      `goproxy-guard: unknown command "${name}"; commands: ${[...COMMANDS.map((c) => c.name), 'lab'].join(', ')}`,
    );
    return EXIT.badInput;
  }
  return runCommand(command, rest, io);
}

async function runCommand(
  command: CommandDefinition,
  argv: readonly string[],
  io: CliStreams,
): Promise<number> {
  const wantsJson = argv.includes('--json');
  const wantsEvents = argv.includes('--events');
  try {
    const { options, flags, positionals } = parseArgs(command.name, command.options, argv);
    if (flags.help) {
      io.stdout(commandHelp(command));
      return EXIT.ok;
    }
    if (
      command.positional &&
      positionals.length > 0 &&
      (options as Record<string, unknown>)[command.positional] === undefined
    ) {
      (options as Record<string, unknown>)[command.positional] = positionals.shift();
    }
    if (positionals.length > 0) {
      throw new UsageError(positionals[0] as string, `unexpected argument for '${command.name}'`);
    }
    const emit = (event: RuntimeEvent) => {
      if (flags.events) io.stderr(JSON.stringify(event));
      else if (event.type === 'log' && (flags.verbose || event.level === 'warning')) io.stderr(event.message);
    };
    const announce = (document: unknown, text: string) =>
      io.stdout(flags.json ? JSON.stringify(document) : text);
    const outcome = await command.run(options, { env: io.env, emit, announce });
    if (outcome.document !== undefined) {
      io.stdout(flags.json ? JSON.stringify(outcome.document, null, 2) : outcome.text);
    } else if (!flags.json) io.stderr(outcome.text);
    return outcome.exitCode;
  } catch (error) {
    const { report, exitCode } = describeFailure(error, command.name, io.env);
    if (wantsEvents) io.stderr(JSON.stringify(report));
    else io.stderr(`goproxy-guard ${command.name}: ${report.message}`);
    if (wantsJson) io.stdout(JSON.stringify({ error: report }, null, 2));
    return exitCode;
  }
}

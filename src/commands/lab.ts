import { fstatSync } from 'node:fs';
import { SCENARIOS, startLab } from '../lab/scenarios.js';
import { parseArgs, UsageError } from './argv.js';
import type { OptionSpecs } from './definition.js';
import { EXIT } from './exit-codes.js';

/** The lab's options, parsed by the same parser as every other command's. */
const LAB_OPTIONS = {
  scenario: {
    kind: 'choice',
    flag: 'scenario',
    parameter: 'Scenario',
    valueName: 'NAME',
    choices: Object.keys(SCENARIOS),
  },
  minutes: { kind: 'integer', flag: 'minutes', parameter: 'Minutes', valueName: 'N', min: 1, max: 24 * 60 },
  list: { kind: 'switch', flag: 'list', parameter: 'List' },
} satisfies OptionSpecs;

/**
 * `goproxy-guard lab [--scenario NAME] [--minutes N]`: starts a scenario, prints one JSON line
 * with the config path (so scripts and tests can read it), and runs until Ctrl+C, until stdin
 * closes when it is a pipe, or for at most --minutes (default 30): it always stops. Not a
 * defineCommand: it has no cmdlet, and it runs until stopped instead of returning a document.
 */
export async function runLab(
  argv: readonly string[],
  io: { stdout: (text: string) => void; stderr: (text: string) => void },
): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<typeof LAB_OPTIONS>>;
  try {
    parsed = parseArgs('lab', LAB_OPTIONS, argv);
    const extra = parsed.positionals[0];
    if (extra !== undefined) throw new UsageError(extra, "unexpected argument for 'lab'");
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`goproxy-guard lab: ${error.message}`);
    return EXIT.badInput;
  }
  const { options, flags } = parsed;
  if (flags.help) {
    io.stdout('Usage: goproxy-guard lab [--scenario NAME] [--minutes N] [--list]');
    return EXIT.ok;
  }
  if (options.list) {
    io.stdout(
      Object.entries(SCENARIOS)
        .map(([name, s]) => `${name.padEnd(12)} ${s.summary}`)
        .join('\n'),
    );
    return EXIT.ok;
  }
  const { scenario = 'basic', minutes = 30 } = options;
  const lab = await startLab(scenario);
  io.stdout(
    JSON.stringify({
      scenario,
      configPath: lab.configPath,
      caFile: lab.caFile,
      mirrors: lab.mirrors.map((m) => ({ name: m.name, url: m.url })),
    }),
  );
  io.stderr(`lab "${scenario}" running on 127.0.0.1; try: goproxy-guard health --config ${lab.configPath}`);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, minutes * 60_000);
    const stop = () => {
      clearTimeout(timer);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    // A parent that started the lab through a pipe stops it by closing that pipe.
    if (fstatSync(0).isFIFO()) {
      process.stdin.on('data', () => {});
      process.stdin.once('end', stop);
      process.stdin.once('error', stop);
    }
  });
  await lab.stop();
  return EXIT.ok;
}

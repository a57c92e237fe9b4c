import { fstatSync } from 'node:fs';
import { EXIT } from '../cli/exit-codes.js';
import type { CliStreams } from '../cli/main.js';
import { SCENARIOS, startLab } from './scenarios.js';

/**
 * `goproxy-guard lab [--scenario NAME] [--minutes N]`: starts a scenario, prints one JSON line
 * with the config path (so scripts and tests can read it), and runs until Ctrl+C, until stdin
 * closes when it is a pipe, or for at most --minutes (default 30): it always stops.
 */
export async function runLab(argv: readonly string[], io: CliStreams): Promise<number> {
  let scenario = 'basic';
  let minutes = 30;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--scenario') scenario = argv[++i] ?? '';
    else if (arg === '--minutes') minutes = Number(argv[++i]);
    else if (arg === '--list') {
      io.stdout(
        Object.entries(SCENARIOS)
          .map(([name, s]) => `${name.padEnd(12)} ${s.summary}`)
          .join('\n'),
      );
      return EXIT.ok;
    } else {
      io.stderr(`goproxy-guard lab: unknown option "${arg}"; options: --scenario NAME, --minutes N, --list`);
      return EXIT.badInput;
    }
  }
  if (!SCENARIOS[scenario]) {
    io.stderr(
      `goproxy-guard lab: --scenario "${scenario}" is unknown; one of: ${Object.keys(SCENARIOS).join(', ')}`,
    );
    return EXIT.badInput;
  }
  if (!Number.isFinite(minutes) || minutes <= 0 || minutes > 24 * 60) {
    io.stderr('goproxy-guard lab: --minutes must be a number from 1 to 1440');
    return EXIT.badInput;
  }
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

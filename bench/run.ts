// npm run bench: measures on the loopback lab, prints a table and writes bench/results.json.
// Every figure is the median of several runs with min and max; nothing here is asserted.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { type MirrorPlan, type ScenarioPlan, startLab } from '../src/lab/scenarios.js';

const RUNTIME = join('dist-psm', 'GoProxyGuard', 'bin', 'goproxy-guard.mjs');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

interface Figure {
  name: string;
  unit: string;
  median: number;
  min: number;
  max: number;
  runs: number;
  note?: string;
}

const figures: Figure[] = [];

function summarise(name: string, unit: string, samples: number[], note?: string): Figure {
  const sorted = [...samples].sort((a, b) => a - b);
  const figure = {
    name,
    unit,
    median: Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0),
    min: Math.round(sorted[0] ?? 0),
    max: Math.round(sorted.at(-1) ?? 0),
    runs: samples.length,
    ...(note ? { note } : {}),
  };
  figures.push(figure);
  console.log(
    `${name.padEnd(58)} ${String(figure.median).padStart(7)} ${unit.padEnd(3)} (min ${figure.min}, max ${figure.max}, ${samples.length} runs)${note ? `  ${note}` : ''}`,
  );
  return figure;
}

/** Runs the bundled runtime under GNU time: wall milliseconds and peak RSS in MB. */
async function timed(args: string[]): Promise<{ ms: number; rssMb: number; exitCode: number }> {
  const started = performance.now();
  const run = await execa('/usr/bin/time', ['-f', '%M', process.execPath, RUNTIME, ...args], {
    reject: false,
  });
  const ms = performance.now() - started;
  const rssKb = Number(run.stderr.trim().split('\n').at(-1));
  return { ms, rssMb: rssKb / 1024, exitCode: run.exitCode ?? -1 };
}

async function repeat(args: string[]) {
  const samples = [];
  for (let i = 0; i < RUNS; i++) samples.push(await timed(args));
  return samples;
}

function plan(total: number, hanging: number): ScenarioPlan {
  const mirrors: MirrorPlan[] = Array.from({ length: total }, (_, i) => ({
    name: `m${i}`,
    mode: i < hanging ? { kind: 'hang' } : { kind: 'ok' },
  }));
  return { summary: `${total} mirrors, ${hanging} hanging`, mirrors };
}

const DEADLINE = 2000;

console.log(
  `GoProxyGuard benchmarks (node ${process.version}, ${RUNS} runs each, deadline ${DEADLINE} ms)\n`,
);

for (const [total, hanging] of [
  [4, 1],
  [16, 4],
  [16, 8],
  [64, 16],
] as const) {
  const lab = await startLab(plan(total, hanging), DEADLINE);
  try {
    const samples = await repeat(['health', '--config', lab.configPath, '--json']);
    summarise(
      `health, ${total} mirrors (${hanging} hanging), wall`,
      'ms',
      samples.map((s) => s.ms),
      `deadline ${DEADLINE} ms`,
    );
    summarise(
      `health, ${total} mirrors (${hanging} hanging), peak RSS`,
      'MB',
      samples.map((s) => s.rssMb),
    );
  } finally {
    await lab.stop();
  }
}

const one = await startLab('healthy', DEADLINE);
try {
  summarise(
    'cold start: --version, wall',
    'ms',
    (await repeat(['--version'])).map((s) => s.ms),
  );
  summarise(
    'cold start: --version, peak RSS',
    'MB',
    (await repeat(['--version'])).map((s) => s.rssMb),
  );
  const samples = await repeat(['health', '--config', one.configPath, '--json']);
  summarise(
    'health, 1 healthy mirror, wall',
    'ms',
    samples.map((s) => s.ms),
  );
  summarise(
    'health, 1 healthy mirror, peak RSS',
    'MB',
    samples.map((s) => s.rssMb),
  );
} finally {
  await one.stop();
}

// Hostile mirrors: a body that never ends, one byte a second, a redirect loop. The probe must
// stay within a few MB of the healthy run and end by the deadline.
const hostile = await startLab(
  {
    summary: 'hostile mirrors',
    mirrors: [
      { name: 'huge', mode: { kind: 'huge' } },
      { name: 'drip', mode: { kind: 'drip' } },
      { name: 'loop', mode: { kind: 'redirect-loop' } },
      { name: 'healthy', mode: { kind: 'ok' } },
    ],
  },
  DEADLINE,
);
try {
  const samples = await repeat(['health', '--config', hostile.configPath, '--json']);
  summarise(
    'health, hostile mirrors (huge, drip, loop), wall',
    'ms',
    samples.map((s) => s.ms),
    `deadline ${DEADLINE} ms`,
  );
  summarise(
    'health, hostile mirrors (huge, drip, loop), peak RSS',
    'MB',
    samples.map((s) => s.rssMb),
  );
} finally {
  await hostile.stop();
}

writeFileSync(
  join('bench', 'results.json'),
  `${JSON.stringify({ node: process.version, runs: RUNS, deadlineMs: DEADLINE, figures }, null, 2)}\n`,
);
console.log('\nwritten: bench/results.json');

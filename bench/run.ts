// npm run bench: measures on the loopback lab, prints a table and writes bench/results.json.
// Every figure is the median of several runs with min and max; nothing here is asserted.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { GUARD_NODE_FLAGS } from '../src/guardproxy/node-flags.js';
import { hashZip } from '../src/integrity/h1.js';
import { goWorld } from '../src/lab/go-world.js';
import type { LabMirror } from '../src/lab/mirror.js';
import { LAB_LARGE, LAB_SET } from '../src/lab/modules.js';
import { type MirrorPlan, type ScenarioPlan, startLab } from '../src/lab/scenarios.js';
import { serveGuard } from '../src/lab/serve-guard.js';
import { makeZip } from '../src/lab/zip.js';

// BENCH_RUNTIME: another build of the runtime (an older commit's, say) to compare with.
const RUNTIME = process.env.BENCH_RUNTIME ?? join('dist-psm', 'GoProxyGuard', 'bin', 'goproxy-guard.mjs');
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
async function timed(
  args: string[],
): Promise<{ ms: number; rssMb: number; exitCode: number; stdout: string }> {
  const started = performance.now();
  const run = await execa('/usr/bin/time', ['-f', '%M', process.execPath, RUNTIME, ...args], {
    reject: false,
  });
  const ms = performance.now() - started;
  const rssKb = Number(run.stderr.trim().split('\n').at(-1));
  return { ms, rssMb: rssKb / 1024, exitCode: run.exitCode ?? -1, stdout: run.stdout };
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
/**
 * BENCH_ONLY=health,start,hostile,go,scheduled,h1,verify,guard,pwsh runs only those sections;
 * guard-overhead, guard-hop, guard-hang and guard-memory run one part of the guard section.
 */
const only = (section: string) =>
  !process.env.BENCH_ONLY || process.env.BENCH_ONLY.split(',').includes(section);
const GUARD_PARTS = ['overhead', 'hop', 'hang', 'memory'] as const;
const guardPart = (part: (typeof GUARD_PARTS)[number]) => only('guard') || only(`guard-${part}`);

console.log(
  `GoProxyGuard benchmarks (node ${process.version}, ${RUNS} runs each, deadline ${DEADLINE} ms)\n`,
);

for (const [total, hanging] of !only('health')
  ? []
  : ([
      [4, 1],
      [16, 4],
      [16, 8],
      [64, 16],
    ] as const)) {
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

// The same mirrors measured the way other tools do, implemented here for comparison:
// chsrc-style: one download at a time, each allowed 8 s (curl -m 8); nrm-style: all at once
// with a 5 s timeout each (Promise.all). Neither checks more than "did bytes arrive".
if (only('compare')) {
  const get = (url: string, ca: string, timeoutMs: number) =>
    new Promise<boolean>((resolve) => {
      const request = https.get(url, { ca, timeout: timeoutMs }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode === 200));
        response.on('error', () => resolve(false));
      });
      request.on('timeout', () => request.destroy());
      request.on('error', () => resolve(false));
    });
  for (const [total, hanging] of [
    [4, 1],
    [16, 4],
    [64, 16],
  ] as const) {
    const lab = await startLab({ ...plan(total, hanging), addressUrls: true }, DEADLINE);
    try {
      const ca = readFileSync(lab.caFile, 'utf8');
      const urls = lab.mirrors.map((m) => `${m.url}/lab.test/canary/@v/list`);
      const nrm = [];
      for (let i = 0; i < Math.min(RUNS, 3); i++) {
        const started = performance.now();
        await Promise.all(urls.map((url) => get(url, ca, 5000)));
        nrm.push(performance.now() - started);
      }
      summarise(
        `nrm-style parallel test, ${total} mirrors (${hanging} hanging), wall`,
        'ms',
        nrm,
        '5 s timeout each',
      );
      if (total <= 16) {
        const started = performance.now();
        for (const url of urls) await get(url, ca, 8000);
        summarise(
          `chsrc-style sequential test, ${total} mirrors (${hanging} hanging), wall`,
          'ms',
          [performance.now() - started],
          '8 s per mirror; 1 run',
        );
      }
    } finally {
      await lab.stop();
    }
  }
}

if (only('start')) {
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
}

// Hostile mirrors: a body that never ends, one byte a second, a redirect loop. The probe must
// stay within a few MB of the healthy run and end by the deadline.
if (only('hostile')) {
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
}

// go mod download of the lab module with a hanging first mirror: the naive lists (",", "|")
// against the list GoProxyGuard wrote, and the healthy baseline. go has no overall timeout, so
// the naive runs are capped; they run side by side (a hang costs no CPU) to keep the bench short.
const NAIVE_CAP_MS = Number(process.env.BENCH_NAIVE_CAP_MS ?? 60_000);
if (only('go')) {
  const goLab = await startLab(
    {
      summary: 'hanging first, healthy second',
      addressUrls: true,
      mirrors: [
        { name: 'hanging', mode: { kind: 'hang' } },
        { name: 'healthy', mode: { kind: 'ok' } },
      ],
    },
    DEADLINE,
  );
  try {
    const [hang, ok] = goLab.mirrors.map((m) => m.url) as [string, string];
    const download = async (goproxy: string | undefined, cap: number, applyFirst = false) => {
      const world = await goWorld(goLab, RUNTIME);
      try {
        if (goproxy) await world.go(['env', '-w', `GOPROXY=${goproxy}`]);
        if (applyFirst) await world.guard(['apply', '--config', goLab.configPath]);
        const started = performance.now();
        const run = await world.go(['mod', 'download', 'lab.test/canary@v1.1.0'], {}, cap);
        return { ms: performance.now() - started, ok: run.exitCode === 0, timedOut: run.timedOut };
      } finally {
        await world.cleanup();
      }
    };
    const sequential = async (goproxy: string | undefined, applyFirst = false) => {
      const samples = [];
      for (let i = 0; i < RUNS; i++) samples.push(await download(goproxy, 60_000, applyFirst));
      return samples;
    };
    const naive = async (goproxy: string) =>
      Promise.all(Array.from({ length: RUNS }, () => download(goproxy, NAIVE_CAP_MS)));
    const [comma, pipe] = await Promise.all([naive(`${hang},${ok}`), naive(`${hang}|${ok}`)]);
    const baseline = await sequential(ok);
    const guarded = await sequential(undefined, true);
    const capped = (samples: { timedOut: boolean }[]) =>
      samples.every((s) => s.timedOut) ? `every run killed at the ${NAIVE_CAP_MS / 1000} s cap` : '';
    const commaFigure = summarise(
      'go mod download, naive GOPROXY=hanging,healthy',
      'ms',
      comma.map((s) => s.ms),
      capped(comma),
    );
    summarise(
      'go mod download, naive GOPROXY=hanging|healthy',
      'ms',
      pipe.map((s) => s.ms),
      capped(pipe),
    );
    const guardedFigure = summarise(
      'go mod download, after goproxy-guard apply',
      'ms',
      guarded.map((s) => s.ms),
      guarded.every((s) => s.ok) ? 'all succeeded' : 'SOME FAILED',
    );
    summarise(
      'go mod download, healthy mirror only (baseline)',
      'ms',
      baseline.map((s) => s.ms),
    );
    const ratio = commaFigure.median / Math.max(guardedFigure.median, 1);
    console.log(
      `${'ratio naive (,) / after apply'.padEnd(58)} ${ratio.toFixed(0).padStart(7)} x   (naive is a lower bound: capped)`,
    );
    figures.push({
      name: 'ratio naive (,) / after apply',
      unit: 'x',
      median: Math.round(ratio),
      min: Math.round(ratio),
      max: Math.round(ratio),
      runs: RUNS,
      note: 'naive capped: a lower bound',
    });
  } finally {
    await goLab.stop();
  }
}

// One unattended cycle as the scheduled task runs it: wall time and peak RSS (target: under 80 MB,
// wall time dominated by the probes, not by start-up).
if (only('scheduled')) {
  const cycleLab = await startLab(
    {
      summary: 'healthy and hanging',
      addressUrls: true,
      mirrors: [
        { name: 'ok', mode: { kind: 'ok' } },
        { name: 'hang', mode: { kind: 'hang' } },
      ],
    },
    DEADLINE,
  );
  const world = await goWorld(cycleLab, RUNTIME);
  try {
    const samples = [];
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      const run = await execa(
        '/usr/bin/time',
        ['-f', '%M', process.execPath, RUNTIME, 'run', '--scheduled', '--config', cycleLab.configPath],
        {
          env: world.env,
          extendEnv: false,
          reject: false,
        },
      );
      samples.push({
        ms: performance.now() - started,
        rssMb: Number(run.stderr.trim().split('\n').at(-1)) / 1024,
      });
    }
    summarise(
      'run --scheduled, 2 mirrors (1 hanging), wall',
      'ms',
      samples.map((s) => s.ms),
      `deadline ${DEADLINE} ms`,
    );
    summarise(
      'run --scheduled, 2 mirrors (1 hanging), peak RSS',
      'MB',
      samples.map((s) => s.rssMb),
      'target: under 80 MB',
    );
  } finally {
    await world.cleanup();
    await cycleLab.stop();
  }
}

// verify of a 200 MB module zip across four mirrors at once: peak RSS of the runtime (target:
// under 100 MB; each download goes to disk while it arrives through one reused read buffer).
if (only('verify')) {
  const verifyLab = await startLab(
    {
      summary: 'four honest mirrors serving a 200 MB module zip',
      mirrors: ['a', 'b', 'c', 'd'].map((name) => ({ name, mode: { kind: 'ok' as const } })),
      largeModuleBytes: Number(process.env.BENCH_VERIFY_MB ?? 200) * 1000 * 1000,
    },
    120_000, // the longest deadline the config allows: four 200 MB downloads on a busy machine
  );
  try {
    const target = `${LAB_LARGE.module}@${LAB_LARGE.version}`;
    const samples = [];
    let failed = 0;
    for (let i = 0; i < RUNS; i++) {
      const run = await timed([
        'verify',
        target,
        '--config',
        verifyLab.configPath,
        '--json',
        ...(process.env.BENCH_VERIFY_ARGS?.split(' ') ?? []),
      ]);
      if (run.exitCode !== 0) {
        failed++;
        console.log(`verify ${target} exited ${run.exitCode}: ${run.stdout.slice(0, 2000)}`);
      }
      samples.push(run);
    }
    const failures = failed ? `; ${failed} of ${RUNS} runs did not verify (see above)` : '';
    summarise(
      'verify, 200 MB zip from 4 mirrors, wall',
      'ms',
      samples.map((s) => s.ms),
      `deadline 120000 ms${failures}`,
    );
    summarise(
      'verify, 200 MB zip from 4 mirrors, peak RSS',
      'MB',
      samples.map((s) => s.rssMb),
      `target: under 100 MB${failures}`,
    );
  } finally {
    await verifyLab.stop();
  }
}

// h1 of a 50 MB module zip next to plain SHA-256 of the same file (target: within 1.5x).
if (only('h1')) {
  const dir = await mkdtemp(join(tmpdir(), 'gpg-bench-h1-'));
  try {
    const zip = join(dir, 'big.zip');
    // Ten 5 MB files of random bytes, stored: about 50 MB, the size of a large real module.
    const files = Array.from({ length: 10 }, (_, i) => ({
      name: `example.com/big@v1.0.0/data${i}.bin`,
      content: randomBytes(5 * 1024 * 1024),
    }));
    writeFileSync(zip, makeZip(files));
    // Plain SHA-256 of the file, read the fastest simple way (a reused 1 MiB buffer), so the
    // ratio shows the cost of h1's per-file work and nothing else.
    const sha = async () => {
      const hash = createHash('sha256');
      const handle = await open(zip, 'r');
      const buffer = Buffer.allocUnsafe(1 << 20);
      try {
        for (;;) {
          const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
          if (bytesRead === 0) break;
          hash.update(buffer.subarray(0, bytesRead));
        }
      } finally {
        await handle.close();
      }
      return hash.digest('hex');
    };
    const h1Samples: number[] = [];
    const shaSamples: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      let started = performance.now();
      await sha();
      shaSamples.push(performance.now() - started);
      started = performance.now();
      await hashZip(zip);
      h1Samples.push(performance.now() - started);
    }
    const shaFigure = summarise('sha256 of a 50 MB zip', 'ms', shaSamples);
    const h1Figure = summarise('h1 (hashZip) of the same 50 MB zip', 'ms', h1Samples);
    const ratio = h1Figure.median / Math.max(shaFigure.median, 1);
    figures.push({
      name: 'ratio h1 / sha256',
      unit: 'x',
      median: Number(ratio.toFixed(2)),
      min: 0,
      max: 0,
      runs: RUNS,
      note: 'target: within 1.5x',
    });
    console.log(`${'ratio h1 / sha256'.padEnd(58)} ${ratio.toFixed(2).padStart(7)} x   target: within 1.5x`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// PowerShell: Import-Module plus one Invoke-GoProxyHealth, against the bare runtime's health, both
// timed inside one pwsh process (a fresh import each time) so only the module's overhead differs.
const PWSH = process.env.GOPROXYGUARD_PWSH ?? join('.tools', 'pwsh', 'pwsh');
if (only('pwsh')) {
  const psLab = await startLab('healthy', DEADLINE);
  try {
    const script = `
    $module = Join-Path (Get-Location) 'dist-psm/GoProxyGuard'
    $runtime = Join-Path $module 'bin/goproxy-guard.mjs'
    $node = (Get-Command node -CommandType Application | Select-Object -First 1).Path
    & $node $runtime --version | Out-Null   # warm the file cache like the module's first call would
    $rows = foreach ($i in 1..${RUNS}) {
      $bare = (Measure-Command { & $node $runtime health --config $env:BENCH_CONFIG --json | Out-Null }).TotalMilliseconds
      $module = (Measure-Command {
        Import-Module (Join-Path (Get-Location) 'dist-psm/GoProxyGuard') -Force
        Invoke-GoProxyHealth -ConfigPath $env:BENCH_CONFIG | Out-Null
      }).TotalMilliseconds
      Remove-Module GoProxyGuard
      "$bare $module"
    }
    $rows -join "\`n"`;
    const run = await execa(PWSH, ['-NoProfile', '-NonInteractive', '-Command', script], {
      env: { BENCH_CONFIG: psLab.configPath },
      reject: false,
    });
    if (run.exitCode !== 0) throw new Error(`pwsh failed: ${run.stderr}`);
    const pairs = run.stdout
      .trim()
      .split('\n')
      .map((line) => line.split(' ').map(Number) as [number, number]);
    summarise(
      'pwsh: bare runtime health (1 mirror), wall',
      'ms',
      pairs.map(([bare]) => bare),
    );
    summarise(
      'pwsh: Import-Module + Invoke-GoProxyHealth, wall',
      'ms',
      pairs.map(([, module]) => module),
    );
    summarise(
      'pwsh: module overhead above the bare runtime',
      'ms',
      pairs.map(([bare, module]) => module - bare),
      'target: under 400 ms',
    );
  } finally {
    await psLab.stop();
  }
}

// The guard proxy (goproxy-guard serve): go mod download of the lab's set of 24 modules (go
// fetches them in parallel) through the guard against go straight to a mirror; then with the
// first mirror beginning to hang halfway (after half of the requests the download makes), through
// the guard and with the naive "a|b" list (capped: go has no timeout); then the guard's memory
// when idle and after 10,000 requests. The guard is the bundled runtime's `serve`.
if (GUARD_PARTS.some(guardPart)) {
  const requestsPerDownload = LAB_SET.length * 3; // .info, .mod, .zip of each module
  const guardLab = await startLab(
    {
      summary: 'two healthy mirrors (the first one can begin to hang)',
      addressUrls: true,
      mirrors: [
        { name: 'first', mode: { kind: 'ok' } },
        { name: 'second', mode: { kind: 'ok' } },
      ],
    },
    DEADLINE,
  );
  const [first, second] = guardLab.mirrors as [LabMirror, LabMirror];
  const modules = LAB_SET.map((m) => `${m}@v1.0.0`);
  // The guard runs with the node flags its logon task and `serve --background` give it;
  // BENCH_GUARD_NODE_OPTIONS replaces them (another set to compare; "" for none).
  const guardNodeOptions = process.env.BENCH_GUARD_NODE_OPTIONS ?? GUARD_NODE_FLAGS.join(' ');
  const serve = (world: Awaited<ReturnType<typeof goWorld>>, guard: object = {}) =>
    serveGuard(RUNTIME, { ...guardLab.config, guard }, world.dir, {
      ...world.env,
      ...(guardNodeOptions ? { NODE_OPTIONS: guardNodeOptions } : {}),
    });
  const download = async (
    goproxy: string | ((world: Awaited<ReturnType<typeof goWorld>>) => Promise<string>),
    cap = 60_000,
  ) => {
    const world = await goWorld(guardLab, RUNTIME);
    try {
      const proxy = typeof goproxy === 'string' ? goproxy : await goproxy(world);
      const started = performance.now();
      const run = await world.go(['mod', 'download', ...modules], { GOPROXY: proxy }, cap);
      return { ms: performance.now() - started, ok: run.exitCode === 0, timedOut: run.timedOut };
    } finally {
      await world.cleanup();
    }
  };
  const outcome = (samples: { ok: boolean; timedOut: boolean }[]) =>
    samples.every((s) => s.ok)
      ? 'all succeeded'
      : samples.every((s) => s.timedOut)
        ? 'every run killed at the cap'
        : 'SOME FAILED';
  // go straight to the first mirror against go through a warm guard in front of it, all healthy.
  const overheadOf = async (mirror: string, delay: string) => {
    const straight = [];
    const guarded = [];
    const guardCpu: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      straight.push(await download(first.url));
      const world = await goWorld(guardLab, RUNTIME);
      const guard = await serve(world);
      try {
        // A guard runs from logon: warmed by one earlier download (of another module, so the
        // measured one still comes from the mirror, not from the guard's cache).
        await world.go(
          ['mod', 'download', 'lab.test/canary@v1.1.0'],
          { GOPROXY: `${guard.url}|off`, GOMODCACHE: join(world.dir, 'warm') },
          60_000,
        );
        const cpuBefore = guard.cpuMs();
        const started = performance.now();
        const run = await world.go(['mod', 'download', ...modules], { GOPROXY: `${guard.url}|off` }, 60_000);
        guarded.push({ ms: performance.now() - started, ok: run.exitCode === 0, timedOut: run.timedOut });
        // The guard writes the answers it held in memory once go is quiet (100 ms): part of the cost.
        await new Promise((resolve) => setTimeout(resolve, 200));
        guardCpu.push(guard.cpuMs() - cpuBefore);
      } finally {
        await guard.stop();
        await world.cleanup();
      }
    }
    const straightFigure = summarise(
      `go mod download of ${LAB_SET.length} modules, straight to ${mirror}`,
      'ms',
      straight.map((s) => s.ms),
      outcome(straight),
    );
    const guardedFigure = summarise(
      `go mod download of ${LAB_SET.length} modules, through a warm guard (${delay})`,
      'ms',
      guarded.map((s) => s.ms),
      outcome(guarded),
    );
    summarise(
      `guard CPU for that download (${delay})`,
      'ms',
      guardCpu,
      `user + system, all threads, ${requestsPerDownload} requests`,
    );
    const name = `ratio guard / straight, ${delay}`;
    const overhead = guardedFigure.median / Math.max(straightFigure.median, 1);
    figures.push({
      name,
      unit: 'x',
      median: Number(overhead.toFixed(2)),
      min: 0,
      max: 0,
      runs: RUNS,
      note: 'target: within 1.15x',
    });
    console.log(`${name.padEnd(58)} ${overhead.toFixed(2).padStart(7)} x`);
  };
  try {
    // A loopback mirror answers in about a millisecond, so the guard's own work per request is
    // the whole difference; a real mirror (a CDN node nearby) takes tens of milliseconds.
    if (guardPart('overhead')) {
      await overheadOf('a healthy mirror', 'all healthy');
      first.setMode({ kind: 'slow', delayMs: 30 });
      await overheadOf('a mirror answering in 30 ms', 'mirror answering in 30 ms');
      first.setMode({ kind: 'ok' });
    }

    // The guard's own cost per request, without go: one request at a time for a version list
    // (never cached here), straight to the mirror and through the guard, both on kept-alive
    // connections. The difference is what the guard adds to each request go makes.
    if (guardPart('hop')) {
      const ca = readFileSync(guardLab.caFile);
      const once = (url: string, agent: http.Agent) =>
        new Promise<number>((resolve, reject) => {
          const started = performance.now();
          const get = url.startsWith('https:') ? https.get : http.get;
          get(url, { agent, ...(url.startsWith('https:') ? { ca } : {}) }, (response) => {
            response.resume();
            response.on('end', () => resolve((performance.now() - started) * 1000));
          }).on('error', reject);
        });
      const hops = async (base: string, agent: http.Agent) => {
        const samples = [];
        for (let i = 0; i < 1000; i++)
          samples.push(await once(`${base}/${LAB_SET[i % LAB_SET.length]}/@v/list`, agent));
        agent.destroy();
        return samples;
      };
      const straight = await hops(first.url, new https.Agent({ keepAlive: true, ca }));
      const world = await goWorld(guardLab, RUNTIME);
      const guard = await serve(world, { listFreshMs: 0 });
      try {
        await hops(guard.url, new http.Agent({ keepAlive: true })); // warm: V8 optimises the hot paths
        const through = await hops(guard.url, new http.Agent({ keepAlive: true }));
        const a = summarise('one list request, straight to the mirror', 'µs', straight, '1000 in a row');
        const b = summarise(
          'one list request, through the guard',
          'µs',
          through,
          '1000 in a row, after 1000 to warm up',
        );
        summarise('what the guard adds to one request', 'µs', [b.median - a.median], 'medians');
      } finally {
        await guard.stop();
        await world.cleanup();
      }
    }

    if (guardPart('hang')) {
      // The first mirror begins to hang after half of the requests of one download.
      const halfway = async (
        goproxy: string | ((world: Awaited<ReturnType<typeof goWorld>>) => Promise<string>),
        cap?: number,
      ) => {
        first.setMode({ kind: 'hang-after', requests: requestsPerDownload / 2 });
        try {
          return await download(goproxy, cap);
        } finally {
          first.setMode({ kind: 'ok' });
        }
      };
      const throughGuard = [];
      for (let i = 0; i < RUNS; i++) {
        const world = await goWorld(guardLab, RUNTIME);
        const guard = await serve(world);
        try {
          throughGuard.push(await halfway(`${guard.url}|${second.url}`));
        } finally {
          await guard.stop();
          await world.cleanup();
        }
      }
      summarise(
        `go mod download of ${LAB_SET.length} modules, first mirror hangs halfway, guard`,
        'ms',
        throughGuard.map((s) => s.ms),
        outcome(throughGuard),
      );
      const naive = [await halfway(`${first.url}|${second.url}`, NAIVE_CAP_MS)];
      summarise(
        `go mod download of ${LAB_SET.length} modules, first mirror hangs halfway, naive a|b`,
        'ms',
        naive.map((s) => s.ms),
        `${outcome(naive)}; 1 run, capped at ${NAIVE_CAP_MS / 1000} s`,
      );
    }
    if (guardPart('memory')) {
      // Memory: idle after start, after 10,000 requests (lists asked of the mirrors each time, .info
      // from the cache, 16 at a time), and after 10,000 more. The first 10,000 include a one-time
      // rise (V8 optimising the hot paths, pools and buffers reaching their working size); growth
      // over the second 10,000 is what a leak would show.
      const world = await goWorld(guardLab, RUNTIME);
      const guard = await serve(world, { listFreshMs: 0 });
      try {
        await new Promise((r) => setTimeout(r, 1000));
        const idle = guard.rssMb();
        const paths = LAB_SET.flatMap((m) => [`/${m}/@v/list`, `/${m}/@v/v1.0.0.info`]);
        const requests = async (count: number) => {
          let next = 0;
          await Promise.all(
            Array.from({ length: 16 }, async () => {
              while (next < count) {
                const path = paths[next++ % paths.length];
                await (await fetch(`${guard.url}${path}`)).arrayBuffer();
              }
            }),
          );
          await new Promise((r) => setTimeout(r, 1000));
          return guard.rssMb();
        };
        // Where the memory is (the guard's status says it): the V8 heap, used of held, and outside it.
        const breakdown = async () => {
          const { memory: m } = (await (await fetch(`${guard.url}/_guard/status`)).json()) as {
            memory?: { heapUsedMb: number; heapTotalMb: number; externalMb: number };
          };
          return m ? `; heap ${m.heapUsedMb} of ${m.heapTotalMb} MB, external ${m.externalMb} MB` : '';
        };
        const idleBreakdown = await breakdown();
        const warm = await requests(10_000);
        const warmBreakdown = await breakdown();
        const after = await requests(10_000);
        summarise('guard RSS, idle', 'MB', [idle], `target: under 80 MB; 1 run${idleBreakdown}`);
        summarise(
          'guard RSS, after 10,000 requests',
          'MB',
          [warm],
          `target: under 80 MB; 1 run${warmBreakdown}`,
        );
        summarise('guard RSS, after 20,000 requests', 'MB', [after], '1 run');
        summarise(
          'guard RSS growth from 10,000 to 20,000 requests',
          'MB',
          [after - warm],
          'target: under 5 MB; 1 run',
        );
      } finally {
        await guard.stop();
        await world.cleanup();
      }
    }
  } finally {
    await guardLab.stop();
  }
}

if (!process.env.BENCH_ONLY)
  writeFileSync(
    join('bench', 'results.json'),
    `${JSON.stringify({ node: process.version, runs: RUNS, deadlineMs: DEADLINE, figures }, null, 2)}\n`,
  );
if (!process.env.BENCH_ONLY) console.log('\nwritten: bench/results.json');
else if (process.env.BENCH_MERGE) {
  // BENCH_ONLY=<sections> BENCH_MERGE=1: these figures replace their namesakes in results.json
  // (or are added at the end); the others keep the values of the last full run.
  const path = join('bench', 'results.json');
  const previous = JSON.parse(readFileSync(path, 'utf8')) as { figures: Figure[] };
  const fresh = new Map(figures.map((f) => [f.name, f]));
  const merged = previous.figures.map((f) => fresh.get(f.name) ?? f);
  for (const f of figures) if (!previous.figures.some((p) => p.name === f.name)) merged.push(f);
  writeFileSync(path, `${JSON.stringify({ ...previous, figures: merged }, null, 2)}\n`);
  console.log('\nmerged into: bench/results.json');
}

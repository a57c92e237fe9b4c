import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { runCli } from '../src/cli/main.js';
import { validate } from '../src/config/load.js';
import { type RunningLab, type ScenarioPlan, startLab } from '../src/lab/scenarios.js';
import { type HealthReport, probeMirrors } from '../src/probe/run.js';
import type { MirrorHealth } from '../src/probe/types.js';
/** The bundled runtime; `npm run build` makes it (npm test runs after the build). */
export const RUNTIME = join(
  import.meta.dirname,
  '..',
  'dist-psm',
  'GoProxyGuard',
  'bin',
  'goproxy-guard.mjs',
);

/** A temp dir removed after the file's tests. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gpg-test-'));
  afterAll(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export async function writeJson(dir: string, name: string, value: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

/** Runs the CLI in-process with captured output and an explicit environment. */
export async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runCli(argv, { stdout: (t) => stdout.push(t), stderr: (t) => stderr.push(t), env });
  return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}

/** Starts a lab scenario for the file's tests and probes it once with its own config. */
export async function probedLab(
  scenario: string | ScenarioPlan,
  overrides: Record<string, unknown> = {},
): Promise<{ lab: RunningLab; report: HealthReport; mirror: (name: string) => MirrorHealth }> {
  const lab = await startLab(scenario);
  afterAll(() => lab.stop());
  const report = await probeConfig({ ...lab.config, ...overrides });
  return { lab, report, mirror: (name) => pick(report, name) };
}

export async function probeConfig(raw: Record<string, unknown>): Promise<HealthReport> {
  const { config, extraCas } = await validate(raw);
  return probeMirrors(config, extraCas);
}

export function pick(report: HealthReport, name: string): MirrorHealth {
  const found = report.mirrors.find((m) => m.name === name);
  if (!found) throw new Error(`no mirror ${name} in the report`);
  return found;
}

/** The lab the go tests use: a mirror that hangs first, a healthy one second, on 127.0.0.1 URLs (go cannot use the lab DNS). */
export function startHangingThenHealthy(deadlineMs: number): Promise<RunningLab> {
  return startLab(
    {
      summary: 'a hanging mirror first, a healthy one second',
      addressUrls: true,
      mirrors: [
        { name: 'hanging', mode: { kind: 'hang' } },
        { name: 'healthy', mode: { kind: 'ok' } },
      ],
    },
    deadlineMs,
  );
}

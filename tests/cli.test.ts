import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningLab, startLab } from '../src/lab/scenarios.js';
import { cli, RUNTIME, tempDir, writeJson } from './helpers.js';

const dir = await tempDir();

describe('goproxy-guard health (in process)', () => {
  let healthy: RunningLab;
  let allDown: RunningLab;
  beforeAll(async () => {
    [healthy, allDown] = await Promise.all([startLab('healthy'), startLab('all-down', 800)]);
  });
  afterAll(() => Promise.all([healthy.stop(), allDown.stop()]));

  it('exits 0 with a table when a mirror is healthy', async () => {
    const run = await cli(['health', '--config', healthy.configPath]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^MIRROR +VERDICT +LATENCY +URL +EVIDENCE\n/);
    expect(run.stdout).toMatch(
      /\nhealthy +healthy +\d+ ms +https:\/\/healthy\.mirror\.lab\.test:\d+ +GET .*\(\+2 more in --json\)\n/,
    );
    expect(run.stdout).toMatch(
      /1 of 1 mirrors healthy \(canary lab\.test\/canary@v1\.1\.0, \d+ ms of a 2000 ms deadline\)$/,
    );
  });

  it('prints one JSON document with the documented fields', async () => {
    const run = await cli(['health', '--config', healthy.configPath, '--json']);
    const document = JSON.parse(run.stdout);
    expect(Object.keys(document)).toEqual([
      'deadlineMs',
      'elapsedMs',
      'canary',
      'mirrors',
      'proxies',
      'database',
    ]);
    expect(Object.keys(document.mirrors[0])).toEqual([
      'name',
      'url',
      'verdict',
      'healthy',
      'latencyMs',
      'address',
      'phases',
      'tls',
      'sumdb',
      'evidence',
    ]);
    // The checksum database keeps its one-line evidence; verdict and latencyMs were added.
    expect(document.database).toMatchObject({
      name: 'sum.lab.test',
      url: expect.any(String),
      verdict: 'healthy',
      healthy: true,
      latencyMs: expect.any(Number),
      evidence: expect.any(String),
      forked: false,
    });
    expect(Object.keys(document.database)).toEqual(
      expect.arrayContaining(['treeHead', 'record', 'forked', 'evidence']),
    );
  });

  it('takes the config from GOPROXYGUARD_CONFIG', async () => {
    const run = await cli(['health', '--json'], { GOPROXYGUARD_CONFIG: healthy.configPath });
    expect(JSON.parse(run.stdout).mirrors[0].name).toBe('healthy');
  });

  it('exits 1 when no mirror is healthy, every mirror with a verdict and evidence', async () => {
    const run = await cli(['health', '--config', allDown.configPath, '--json']);
    expect(run.code).toBe(1);
    const verdicts = JSON.parse(run.stdout).mirrors.map((m: { verdict: string; evidence: string[] }) => [
      m.verdict,
      m.evidence.length,
    ]);
    expect(verdicts).toEqual([
      ['timeout', 1],
      ['http-error', 1],
    ]);
  });

  it('--mirror probes only the named mirrors; an unknown name is bad input', async () => {
    const run = await cli(['health', '--config', allDown.configPath, '--json', '--mirror', 'bad-gateway']);
    expect(JSON.parse(run.stdout).mirrors.map((m: { name: string }) => m.name)).toEqual(['bad-gateway']);
    const unknown = await cli(['health', '--config', allDown.configPath, '--mirror', 'bad-gateway,nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(
      '"--mirror": no mirror named "nope" in the config; mirrors: hanging, bad-gateway',
    );
  });

  it('--deadline-ms overrides the config', async () => {
    const run = await cli(['health', '--config', allDown.configPath, '--json', '--deadline-ms', '300']);
    expect(JSON.parse(run.stdout).deadlineMs).toBe(300);
  });
});

describe('bad input exits 2 with the field named and no result', () => {
  it.each([
    [{ mirrors: [{ name: 'a', url: 'https://127.0.0.1:9', extra: true }] }, 'mirrors[0].extra'],
    [{ mirrors: [{ name: 'a', url: 'notaurl' }] }, 'mirrors[0].url'],
    [{ deadlineMs: -1 }, 'deadlineMs'],
  ])('%j', async (config, field) => {
    const path = await writeJson(dir, 'bad.json', config);
    const run = await cli(['health', '--config', path]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`goproxy-guard health: config field "${field}": `);
  });

  it('with --json, stdout holds the error document for scripts', async () => {
    const path = await writeJson(dir, 'bad.json', { deadlineMs: -1 });
    const run = await cli(['health', '--config', path, '--json']);
    expect(JSON.parse(run.stdout).error).toMatchObject({ errorId: 'ConfigInvalid', target: 'deadlineMs' });
  });

  it('with --events, stderr carries one JSON error event for the PowerShell module', async () => {
    const path = await writeJson(dir, 'bad.json', { deadlineMs: -1 });
    const run = await cli(['health', '--config', path, '--events']);
    expect(JSON.parse(run.stderr)).toMatchObject({
      type: 'error',
      category: 'InvalidArgument',
      target: 'deadlineMs',
    });
  });

  it.each([
    [['health', '--colour'], '"--colour": unknown option for \'health\''],
    [
      ['health', '--deadline-ms', '5'],
      '"--deadline-ms": must be a whole number from 100 to 120000 (got "5")',
    ],
    [['health', '--deadline-ms'], '"--deadline-ms": needs a value'],
    [['health', 'extra'], '"extra": unexpected argument'],
  ])('argv %j', async (argv, message) => {
    const run = await cli(argv);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });

  it('an unknown command, with the list of commands that do run', async () => {
    const run = await cli(['healthz']);
    expect(run.code).toBe(2);
    const listed = /^goproxy-guard: unknown command "healthz"; commands: (.+)$/.exec(run.stderr)?.[1];
    const names = listed?.split(', ') ?? [];
    expect(names).toEqual(expect.arrayContaining(['health', 'apply', 'restore', 'doctor', 'lab']));
    // Every name offered is a command the CLI runs (its help exits 0), not just a list entry.
    for (const name of names) {
      const help = await cli([...name.split(' '), '--help']);
      expect({ name, code: help.code }).toEqual({ name, code: 0 });
    }
  });
});

describe('the bundled runtime', () => {
  it('prints the package version', async () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
    const run = await execa('node', [RUNTIME, '--version']);
    expect(run.stdout).toBe(pkg.version);
  });

  it('shows help written from the command TSDoc', async () => {
    const run = await execa('node', [RUNTIME, 'health', '--help']);
    expect(run.stdout).toContain(
      'Probes every configured Go module mirror at once and gives each a verdict with evidence.',
    );
    expect(run.stdout).toMatch(/--config FILE +Path of the JSON config file \(else GOPROXYGUARD_CONFIG/);
    expect(run.stdout).toContain('PowerShell: Invoke-GoProxyHealth');
  });

  it('exits with the command exit code (2 on bad input)', async () => {
    const path = await writeJson(dir, 'bad.json', { deadlineMs: 'soon' });
    const run = await execa('node', [RUNTIME, 'health', '--config', path], { reject: false });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toBe('goproxy-guard health: config field "deadlineMs": must be a number (got "soon")');
  });
});

import { describe, expect, it } from 'vitest';
import { hashGoMod } from '../src/integrity/h1.js';
import { LAB_GO_MOD } from '../src/lab/modules.js';
import { type RunningLab, startLab } from '../src/lab/scenarios.js';
import { cli, RUNTIME, tempDir, writeJson } from './helpers.js';

const dir = await tempDir();
let lab: RunningLab;
const { afterAll, beforeAll } = await import('vitest');
beforeAll(async () => {
  lab = await startLab('integrity');
});
afterAll(() => lab.stop());

describe('goproxy-guard verify MODULE@VERSION', () => {
  it('exits 1 and names both hashes when a mirror serves other bytes than the database records', async () => {
    const run = await cli(['verify', 'lab.test/canary@v1.1.0', '--config', lab.configPath, '--json']);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report.recordFrom).toBe(lab.config.sumdb && (lab.config.sumdb as { url: string }).url);
    expect(report.mirrors).toEqual([
      { name: 'honest', url: expect.any(String), mod: 'ok', zip: 'ok', evidence: [] },
      {
        name: 'tampered',
        url: expect.any(String),
        mod: 'mismatch',
        zip: 'mismatch',
        evidence: [
          `mod: this mirror serves ${hashGoMod(`${LAB_GO_MOD}require evil.example/backdoor v1.0.0\n`)}, the checksum database records ${hashGoMod(LAB_GO_MOD)}`,
          expect.stringMatching(/^zip: this mirror serves h1:\S+, the checksum database records h1:\S+$/),
        ],
      },
    ]);
  });

  it('exits 0 when every mirror asked agrees', async () => {
    const run = await cli([
      'verify',
      'lab.test/canary@v1.0.0',
      '--config',
      lab.configPath,
      '--mirror',
      'honest',
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\nhonest +ok +ok\n?$/);
  });

  it('verifies the record through a mirror when the database itself does not answer', async () => {
    const config = await writeJson(dir, 'no-db.json', {
      ...lab.config,
      sumdb: { ...(lab.config.sumdb as object), url: 'https://127.0.0.1:1' },
    });
    const run = await cli([
      'verify',
      'lab.test/canary@v1.1.0',
      '--config',
      config,
      '--mirror',
      'honest',
      '--json',
    ]);
    const report = JSON.parse(run.stdout);
    expect(report.recordFrom).toMatch(/^https:\/\/honest\.mirror\.lab\.test:\d+\/sumdb\/sum\.lab\.test$/);
    expect(run.code).toBe(0);
  });

  it.each([['nope'], ['lab.test/canary'], ['lab.test/canary@1.0']])(
    'refuses %s as bad input',
    async (arg) => {
      const run = await cli(['verify', arg, '--config', lab.configPath]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('option "MODULE@VERSION": must be a module path and a version');
    },
  );
});

describe('the package entry exports the building blocks', () => {
  it('parseVerifierKey, verifyNote, hashZip, hashGoMod', async () => {
    const entry = await import(
      RUNTIME.replace(/dist-psm\/GoProxyGuard\/bin\/goproxy-guard\.mjs$/, 'dist/index.mjs')
    );
    expect(Object.keys(entry).sort()).toEqual(['hashGoMod', 'hashZip', 'parseVerifierKey', 'verifyNote']);
    expect(entry.hashGoMod(LAB_GO_MOD)).toBe(hashGoMod(LAB_GO_MOD));
  });
});

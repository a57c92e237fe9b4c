import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAB_LARGE } from '../src/lab/modules.js';
import { type RunningLab, startLab } from '../src/lab/scenarios.js';
import { RUNTIME, tempDir } from './helpers.js';

// A zip of 40 MB (the bench verifies 200 MB; the test only needs one far above any probe's body
// limit): verify streams it to disk from every mirror at once and hashes it from there.
const dir = await tempDir();
let lab: RunningLab;
beforeAll(async () => {
  lab = await startLab(
    {
      summary: 'two honest mirrors and one serving the large zip with one byte changed',
      mirrors: [
        { name: 'honest', mode: { kind: 'ok' } },
        { name: 'honest-too', mode: { kind: 'ok' } },
        { name: 'corrupted', mode: { kind: 'tampered', only: 'zip' } },
      ],
      largeModuleBytes: 40 * 1024 * 1024,
    },
    60_000,
  );
});
afterAll(() => lab.stop());

describe('goproxy-guard verify of a large module zip', () => {
  it('verifies it on the honest mirrors, catches the corrupted one, and leaves no temp file', async () => {
    const temp = join(dir, 'tmp');
    await mkdir(temp);
    const run = await execa(
      'node',
      [RUNTIME, 'verify', `${LAB_LARGE.module}@${LAB_LARGE.version}`, '--config', lab.configPath, '--json'],
      { reject: false, env: { TMPDIR: temp } },
    );
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as {
      mirrors: { name: string; mod: string; zip: string; evidence: string[] }[];
    };
    expect(report.mirrors.map(({ name, mod, zip }) => ({ name, mod, zip }))).toEqual([
      { name: 'honest', mod: 'ok', zip: 'ok' },
      { name: 'honest-too', mod: 'ok', zip: 'ok' },
      { name: 'corrupted', mod: 'ok', zip: 'mismatch' },
    ]);
    expect(run.exitCode).toBe(1);
    // The downloads went under TMPDIR and are gone once the run is over.
    expect(await readdir(temp)).toEqual([]);
  });

  it('holds a few buffers at a time while the zips stream in, not one per read', async () => {
    // Buffers alive at once in the runtime, sampled every millisecond by a module loaded ahead of
    // it. Each read of a TLS socket handed over as a new Buffer (undici) left tens of MB of them
    // waiting for the garbage collector; reads into one reused buffer per download keep a few.
    const sampler = join(dir, 'buffers-sampler.mjs');
    const report = join(dir, 'buffers-peak.json');
    await writeFile(
      sampler,
      `import { writeFileSync } from 'node:fs';
let peak = 0;
setInterval(() => { peak = Math.max(peak, process.memoryUsage().arrayBuffers); }, 1).unref();
process.on('exit', () => writeFileSync(${JSON.stringify(report)}, JSON.stringify({ peak })));
`,
    );
    const run = await execa(
      'node',
      [
        '--import',
        sampler,
        RUNTIME,
        'verify',
        `${LAB_LARGE.module}@${LAB_LARGE.version}`,
        '--config',
        lab.configPath,
        '--json',
      ],
      { reject: false },
    );
    expect(run.stderr).toBe('');
    const { peak } = JSON.parse(await readFile(report, 'utf8')) as { peak: number };
    expect(peak / 1024 / 1024).toBeLessThan(16);
  });
});

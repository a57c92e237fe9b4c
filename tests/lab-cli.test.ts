import { describe, expect, it } from 'vitest';
import { SCENARIOS } from '../src/lab/scenarios.js';
import { cli } from './helpers.js';

describe('goproxy-guard lab', () => {
  it('lists every scenario with its summary', async () => {
    const run = await cli(['lab', '--list']);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n').map((line) => line.split(/\s+/)[0])).toEqual(Object.keys(SCENARIOS));
    expect(run.stdout).toContain('dns-faults   hijacked DNS answers');
  });

  it('refuses an unknown scenario before starting anything', async () => {
    const run = await cli(['lab', '--scenario', 'nope']);
    expect(run.code).toBe(2);
    // The lab's options go through the parser every command uses, so the wording is theirs.
    expect(run.stderr).toBe(
      `goproxy-guard lab: option "--scenario": must be one of ${Object.keys(SCENARIOS).join(', ')} (got "nope")`,
    );
    expect(run.stdout).toBe('');
  });

  it('refuses --minutes outside 1..1440, an unknown option and a stray argument, naming each', async () => {
    const minutes = await cli(['lab', '--minutes', '0']);
    expect(minutes.code).toBe(2);
    expect(minutes.stderr).toBe(
      'goproxy-guard lab: option "--minutes": must be a whole number from 1 to 1440 (got "0")',
    );
    const unknown = await cli(['lab', '--color']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('option "--color": unknown option');
    const stray = await cli(['lab', 'basic']);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toBe('goproxy-guard lab: option "basic": unexpected argument for \'lab\'');
    expect([minutes.stdout, unknown.stdout, stray.stdout]).toEqual(['', '', '']);
  });
});

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
    expect(run.stderr).toBe(
      `goproxy-guard lab: --scenario "nope" is unknown; one of: ${Object.keys(SCENARIOS).join(', ')}`,
    );
    expect(run.stdout).toBe('');
  });
});

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// Every test that runs the Linux runtime as "Windows" (GOPROXYGUARD_PLATFORM=win32) instead of the
// real win32 process of the win32 tier says why in the README: a new one without a line fails.
const TESTS = import.meta.dirname;
const SECTION = '#### Tests that still pretend to be Windows, and why';

async function filesPretendingToBeWindows(): Promise<string[]> {
  const found: string[] = [];
  for (const name of await readdir(TESTS)) {
    if (!name.endsWith('.ts') || name === 'linux-side-tier.test.ts') continue;
    const text = await readFile(join(TESTS, name), 'utf8');
    if (/GOPROXYGUARD_PLATFORM\s*[:=]\s*['"]win32['"]|GOPROXYGUARD_PLATFORM=win32/.test(text)) {
      found.push(`tests/${name}`);
    }
  }
  return found.sort();
}

describe('the Linux-side Windows tier', () => {
  it('names every test file that sets GOPROXYGUARD_PLATFORM=win32 in the README, with its reason', async () => {
    const readme = await readFile(join(TESTS, '..', 'README.md'), 'utf8');
    const start = readme.indexOf(SECTION);
    expect(start).toBeGreaterThan(0);
    const section = readme.slice(start + SECTION.length, readme.indexOf('\n#### ', start + SECTION.length));
    const named = [...section.matchAll(/`(tests\/[\w.-]+\.ts)`/g)].map((m) => m[1]).sort();
    const files = await filesPretendingToBeWindows();
    expect(files.length).toBeGreaterThan(3);
    expect(named).toEqual(files);
  });
});

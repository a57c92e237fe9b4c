import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
// @ts-expect-error plain JS module without types
import { takeViolations } from './loopback-guard.mjs';

// Node programs the tests start (the bundled runtime, the stand-ins) load the same guard through
// NODE_OPTIONS and write what they were refused to a log this file reads: their verdicts alone
// would turn a refusal into a quiet "unreachable". goWorld passes both variables through.
const log = join(tmpdir(), `gpg-loopback-${process.pid}-${Date.now()}.log`);
const guard = new URL('./loopback-guard.mjs', import.meta.url).href;
process.env.GOPROXYGUARD_LOOPBACK_LOG = log;
const options = process.env.NODE_OPTIONS ?? '';
if (!options.includes(guard)) process.env.NODE_OPTIONS = `${options} --import=${guard}`.trim();

// Any attempt to leave loopback during a test file fails the file, even if the code under test
// caught the refusal and reported it as a verdict.
afterAll(() => {
  const seen = takeViolations() as string[];
  let started = '';
  try {
    started = readFileSync(log, 'utf8');
    rmSync(log);
  } catch {
    // no program was refused anything
  }
  seen.push(...started.split('\n').filter(Boolean));
  if (seen.length > 0) throw new Error(`traffic outside loopback was attempted:\n${seen.join('\n')}`);
});

import { afterAll } from 'vitest';
// @ts-expect-error plain JS module without types
import { takeViolations } from './loopback-guard.mjs';

// Any attempt to leave loopback during a test file fails the file, even if the code under test
// caught the refusal and reported it as a verdict.
afterAll(() => {
  const seen = takeViolations() as string[];
  if (seen.length > 0) throw new Error(`traffic outside loopback was attempted:\n${seen.join('\n')}`);
});

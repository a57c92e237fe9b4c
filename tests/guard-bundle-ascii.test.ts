import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { RUNTIME } from './helpers.js';

// V8 keeps a script's source as it runs (to compile functions lazily): one byte a character when
// every character is ASCII, two bytes each for the whole file otherwise. One em dash in a regular
// expression (esbuild escapes them in strings, not in regex literals) cost the long-running guard
// 2 MB of resident memory for its 2 MB bundle. Needs the bundled runtime (node scripts/build.mjs).
it('the bundled runtime is ASCII only, so V8 holds its source one byte a character', () => {
  const source = readFileSync(RUNTIME, 'latin1');
  const outside = [...source.matchAll(/[\u0080-\uffff]+/g)].map((m) =>
    source.slice(Math.max(0, m.index - 40), m.index + 10),
  );
  expect(outside).toEqual([]);
});

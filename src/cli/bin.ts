import { setFlagsFromString } from 'node:v8';
import { runCli } from './main.js';

// undici parses HTTP with llhttp compiled to WebAssembly; V8's optimising tier compiles that
// module in the background and holds some 35 MB for it, in a process that lives for seconds.
// The baseline compiler alone keeps the scheduled run's peak memory near 75 MB and is faster
// here (npm run bench). Set before anything compiles WebAssembly; V8 ignores flags it lacks.
setFlagsFromString('--liftoff-only');

// The bundle's entry point. process.exit after flushing: a lookup stuck in the OS resolver must
// not keep the process alive past the deadline once the verdicts are printed.
const code = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
  env: process.env,
});
process.stdout.write('', () => process.exit(code));

import { runCli } from './main.js';

// The bundle's entry point. process.exit after flushing: a lookup stuck in the OS resolver must
// not keep the process alive past the deadline once the verdicts are printed.
const code = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
  env: process.env,
});
process.stdout.write('', () => process.exit(code));

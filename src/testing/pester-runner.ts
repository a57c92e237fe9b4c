// The pester-runner: runs Invoke-Pester in PowerShell 7 with a JUnit XML result file, reads that
// file (never the console text), prints each failure with its test path and message, and ends
// with "N passed, N failed" alone on a line. Exit 1 on any failure or when no test ran.
//
//   node build/pester-runner.mjs [test folder] (default tests/pester)
// Environment: GOPROXYGUARD_PWSH (default .tools/pwsh/pwsh), GOPROXYGUARD_PESTER (the folder of
// Pester.psd1; default .tools/pester/pester/5.7.1).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { parseJUnit } from './junit.js';

const PESTER_VERSION = '5.7.1';

async function main(): Promise<number> {
  const testDir = resolve(process.argv[2] ?? 'tests/pester');
  const pwsh = process.env.GOPROXYGUARD_PWSH ?? resolve('.tools/pwsh/pwsh');
  const pester = process.env.GOPROXYGUARD_PESTER ?? resolve(`.tools/pester/pester/${PESTER_VERSION}`);
  const work = await mkdtemp(join(tmpdir(), 'pester-runner-'));
  const resultFile = join(work, 'results.xml');
  // Values go in through the environment, not spliced into the script, so no quoting can break.
  const script = [
    // No global ErrorActionPreference=Stop: it would turn the module's non-terminating errors
    // (one per failed mirror) into terminating ones inside the tests.
    'Import-Module (Join-Path $env:PR_PESTER Pester.psd1) -MinimumVersion 5.0 -ErrorAction Stop',
    '$config = New-PesterConfiguration',
    '$config.Run.Path = $env:PR_TESTS',
    '$config.Run.Exit = $false',
    '$config.Output.Verbosity = "Detailed"',
    '$config.TestResult.Enabled = $true',
    '$config.TestResult.OutputFormat = "JUnitXml"',
    '$config.TestResult.OutputPath = $env:PR_RESULT',
    'Invoke-Pester -Configuration $config | Out-Null',
  ].join('\n');
  try {
    const run = await execa(pwsh, ['-NoProfile', '-NonInteractive', '-Command', script], {
      // PR_PWSH: tests that start a fresh pwsh use this one (a dotnet tool's process path is dotnet's).
      env: { PR_PESTER: pester, PR_TESTS: testDir, PR_RESULT: resultFile, PR_PWSH: pwsh },
      stdio: ['ignore', 'inherit', 'inherit'],
      reject: false,
    });
    let xml: string;
    try {
      xml = await readFile(resultFile, 'utf8');
    } catch {
      console.error(
        `pester-runner: no result file: pwsh exited with ${run.exitCode} before Pester wrote ${resultFile}`,
      );
      console.log('0 passed, 1 failed');
      return 1;
    }
    const cases = parseJUnit(xml);
    const failed = cases.filter((c) => c.outcome === 'failed');
    const passed = cases.filter((c) => c.outcome === 'passed');
    const skipped = cases.filter((c) => c.outcome === 'skipped');
    for (const failure of failed) {
      console.error(
        `\nFAILED ${failure.suite ? `${failure.suite} > ` : ''}${failure.name}\n  ${failure.message.replace(/\n/g, '\n  ')}`,
      );
    }
    if (cases.length === 0) console.error('pester-runner: no test ran');
    console.log(
      `${passed.length} passed, ${failed.length} failed${skipped.length ? `, ${skipped.length} skipped` : ''}`,
    );
    return failed.length === 0 && passed.length > 0 ? 0 : 1;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

process.exitCode = await main();

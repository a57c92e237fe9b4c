import { describe, expect, it } from 'vitest';
import { parseJUnit } from '../src/testing/junit.js';

// The shape Pester 5.7 writes with OutputFormat JUnitXml (trimmed from a real run of tests/pester).
const REPORT = `<?xml version="1.0" encoding="utf-8" standalone="no"?>
<testsuites xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" name="Pester" tests="3" errors="0" failures="1" disabled="0" time="1.2">
  <testsuite name="/x/Module.Tests.ps1" tests="3" errors="0" failures="1" hostname="h" id="0" skipped="1" disabled="0" package="/x/Module.Tests.ps1" time="1.2">
    <testcase name="The module manifest.passes Test-ModuleManifest" status="Passed" classname="/x/Module.Tests.ps1" assertions="0" time="0.1" />
    <testcase name="Help for &lt;_&gt;.has a synopsis" status="Failed" classname="/x/Module.Tests.ps1" assertions="0" time="0.2">
      <failure message="Expected &apos;a&apos;, but got &quot;b&quot;.">at line 3</failure>
    </testcase>
    <testcase name="later" status="Skipped" classname="/x/Module.Tests.ps1" assertions="0" time="0"><skipped message="skipped" /></testcase>
  </testsuite>
</testsuites>`;

describe('parseJUnit', () => {
  it('reads outcomes, test paths and failure messages', () => {
    expect(parseJUnit(REPORT)).toEqual([
      {
        name: 'The module manifest.passes Test-ModuleManifest',
        suite: '/x/Module.Tests.ps1',
        outcome: 'passed',
        message: '',
      },
      {
        name: 'Help for <_>.has a synopsis',
        suite: '/x/Module.Tests.ps1',
        outcome: 'failed',
        message: `Expected 'a', but got "b".\nat line 3`,
      },
      { name: 'later', suite: '/x/Module.Tests.ps1', outcome: 'skipped', message: '' },
    ]);
  });

  it('refuses text that is not a JUnit report instead of counting zero failures', () => {
    expect(() => parseJUnit('<html></html>')).toThrow('not a JUnit XML report');
  });
});

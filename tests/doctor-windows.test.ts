import { describe, expect, it } from 'vitest';
import { checkWindowsEnvironment } from '../src/doctor/windows-env.js';

describe('the doctor on Windows: where a variable comes from', () => {
  const user = {
    'user-env:HTTPS_PROXY': { was: 'set', type: 'REG_SZ', value: 'http://backup:3128' },
    'user-env:GOPROXY': { was: 'set', type: 'REG_SZ', value: 'https://goproxy.cn' },
  } as const;

  it('flags a window whose copy is older than the user environment', () => {
    const findings = checkWindowsEnvironment(
      { HTTPS_PROXY: 'http://primary:8080', GOPROXY: 'https://goproxy.cn' },
      user,
    );
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      severity: 'warning',
      title: "this window has an old HTTPS_PROXY: programs started from now on get the user environment's",
      evidence: [
        'this process: HTTPS_PROXY=http://primary:8080',
        'HKCU\\Environment: HTTPS_PROXY=http://backup:3128',
      ],
    });
  });

  it('says a value the user environment lacks comes from the machine environment or the window', () => {
    const findings = checkWindowsEnvironment(
      { HTTPS_PROXY: 'http://backup:3128', GOPROXY: 'https://goproxy.cn', NO_PROXY: '.corp' },
      user,
    );
    expect(findings.map((f) => f.title)).toEqual([
      'NO_PROXY comes from the machine environment or this window, not your user environment',
    ]);
  });

  it('says a value set after the window opened is not seen here yet', () => {
    const findings = checkWindowsEnvironment({ HTTPS_PROXY: 'http://backup:3128' }, user);
    expect(findings.map((f) => f.title)).toEqual([
      'GOPROXY is in your user environment but not in this window: it was set after the window opened',
    ]);
  });

  it('finds nothing when the window and the user environment agree', () => {
    expect(
      checkWindowsEnvironment({ HTTPS_PROXY: 'http://backup:3128', GOPROXY: 'https://goproxy.cn' }, user),
    ).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { renderOrigins } from '../src/commands/doctor.js';
import { shownOrigin } from '../src/doctor/shown.js';
import { type EnvironmentFacts, MACHINE_ENV_KEY, windowsEnvironment } from '../src/doctor/windows-env.js';
import type { RegistryValue } from '../src/settings/setting-value.js';
import { expandVariables } from '../src/text/windows-variables.js';

const sz = (value: string): RegistryValue => ({ was: 'set', type: 'REG_SZ', value });
const expandSz = (value: string): RegistryValue => ({ was: 'set', type: 'REG_EXPAND_SZ', value });
const HKLM = MACHINE_ENV_KEY;

/** The rule over facts with both keys read (an unreadable key is passed as undefined directly). */
function check(
  window: NodeJS.ProcessEnv,
  user: EnvironmentFacts['user'] = {},
  machine: EnvironmentFacts['machine'] = {},
) {
  return windowsEnvironment({ window, user, machine });
}
const originOf = (result: ReturnType<typeof check>, name: string) =>
  result.origins.find((o) => o.name === name);
const titles = (result: ReturnType<typeof check>) => result.findings.map((f) => f.title);

describe('the doctor on Windows: where a variable comes from', () => {
  const user = { HTTPS_PROXY: sz('http://backup:3128'), GOPROXY: sz('https://goproxy.cn') };

  it('flags a window whose copy is older than the user environment', () => {
    const result = check({ HTTPS_PROXY: 'http://primary:8080', GOPROXY: 'https://goproxy.cn' }, user);
    expect(result.findings).toHaveLength(1);
    expect(result.findings[0]).toMatchObject({
      severity: 'warning',
      title: "this window has an old HTTPS_PROXY: programs started from now on get the user environment's",
      evidence: [
        'this process: HTTPS_PROXY=http://primary:8080',
        'HKCU\\Environment: HTTPS_PROXY=http://backup:3128',
      ],
    });
    expect(originOf(result, 'HTTPS_PROXY')).toEqual({
      name: 'HTTPS_PROXY',
      source: 'window',
      newPrograms: 'user',
      window: 'http://primary:8080',
      user: { type: 'REG_SZ', value: 'http://backup:3128' },
    });
    expect(originOf(result, 'GOPROXY')).toMatchObject({ source: 'user', newPrograms: 'user' });
  });

  it('finds nothing when the window and the user environment agree, and says each variable is the user one', () => {
    const result = check({ HTTPS_PROXY: 'http://backup:3128', GOPROXY: 'https://goproxy.cn' }, user);
    expect(result.findings).toEqual([]);
    expect(result.origins.map((o) => [o.name, o.source, o.newPrograms])).toEqual([
      ['GOPROXY', 'user', 'user'],
      ['GOSUMDB', 'unset', 'unset'],
      ['HTTPS_PROXY', 'user', 'user'],
      ['HTTP_PROXY', 'unset', 'unset'],
      ['NO_PROXY', 'unset', 'unset'],
    ]);
  });

  it('says a value only the machine environment holds comes from there (no longer "machine or window")', () => {
    const result = check({ NO_PROXY: '.corp;<local>' }, {}, { NO_PROXY: sz('.corp;<local>') });
    expect(originOf(result, 'NO_PROXY')).toMatchObject({ source: 'machine', newPrograms: 'machine' });
    expect(result.findings).toEqual([
      {
        severity: 'info',
        layer: 'settings',
        title:
          "NO_PROXY comes from the machine environment (an administrator's setting), not your user environment",
        evidence: [
          'this process: NO_PROXY=.corp;<local>',
          'HKCU\\Environment: no NO_PROXY',
          `${HKLM}: NO_PROXY=.corp;<local>`,
        ],
        fix: '',
      },
    ]);
  });

  it('says a value neither environment holds is this window’s own', () => {
    const result = check({ HTTP_PROXY: 'http://127.0.0.1:7/only;here' });
    expect(originOf(result, 'HTTP_PROXY')).toMatchObject({ source: 'window', newPrograms: 'unset' });
    expect(result.findings).toEqual([
      expect.objectContaining({
        severity: 'info',
        title:
          'HTTP_PROXY is set only in this window: neither your user nor the machine environment holds it',
        evidence: [
          'this process: HTTP_PROXY=http://127.0.0.1:7/only;here',
          'HKCU\\Environment: no HTTP_PROXY',
          `${HKLM}: no HTTP_PROXY`,
        ],
      }),
    ]);
  });

  it('a user value overriding a different machine one: the user value wins, as Windows does for these names', () => {
    const result = check(
      { GOPROXY: 'https://user.example|direct' },
      { GOPROXY: sz('https://user.example|direct') },
      { GOPROXY: sz('https://machine.example') },
    );
    expect(originOf(result, 'GOPROXY')).toMatchObject({
      source: 'user',
      newPrograms: 'user',
      machine: { type: 'REG_SZ', value: 'https://machine.example' },
    });
    expect(result.findings).toEqual([
      expect.objectContaining({
        severity: 'info',
        title:
          "your user environment's GOPROXY overrides the machine environment's: Windows gives the user value (only PATH is joined)",
        evidence: [
          'HKCU\\Environment: GOPROXY=https://user.example|direct',
          `${HKLM}: GOPROXY=https://machine.example`,
        ],
        fix: "to use the machine value, remove yours: [Environment]::SetEnvironmentVariable('GOPROXY', $null, 'User')",
      }),
    ]);
    // the same value in both is not an override worth a finding
    expect(check({ GOPROXY: 'a' }, { GOPROXY: sz('a') }, { GOPROXY: sz('a') }).findings).toEqual([]);
  });

  it('a window that still has the machine value after a user value was set is an old copy', () => {
    const result = check(
      { GOPROXY: 'https://machine.example' },
      { GOPROXY: sz('https://user.example') },
      {
        GOPROXY: sz('https://machine.example'),
      },
    );
    expect(originOf(result, 'GOPROXY')).toMatchObject({ source: 'machine', newPrograms: 'user' });
    expect(titles(result)).toEqual([
      "your user environment's GOPROXY overrides the machine environment's: Windows gives the user value (only PATH is joined)",
      "this window has an old GOPROXY: programs started from now on get the user environment's",
    ]);
  });

  it('a window older than the machine environment (no user value) is an old copy of the machine one', () => {
    const result = check({ GOSUMDB: 'sum.golang.org' }, {}, { GOSUMDB: sz('sum.golang.google.cn') });
    expect(originOf(result, 'GOSUMDB')).toMatchObject({ source: 'window', newPrograms: 'machine' });
    expect(result.findings).toEqual([
      expect.objectContaining({
        severity: 'warning',
        title: "this window has an old GOSUMDB: programs started from now on get the machine environment's",
        evidence: ['this process: GOSUMDB=sum.golang.org', `${HKLM}: GOSUMDB=sum.golang.google.cn`],
      }),
    ]);
  });

  it('says a value set after the window opened is not seen here yet, user or machine', () => {
    expect(titles(check({ HTTPS_PROXY: 'http://backup:3128' }, user))).toEqual([
      'GOPROXY is in your user environment but not in this window: it was set after the window opened',
    ]);
    const machine = check({}, {}, { NO_PROXY: sz('.corp') });
    expect(titles(machine)).toEqual([
      'NO_PROXY is in the machine environment but not in this window: it was set after the window opened',
    ]);
    expect(originOf(machine, 'NO_PROXY')).toMatchObject({ source: 'unset', newPrograms: 'machine' });
  });

  it('compares a REG_EXPAND_SZ value after expansion: equal is the user value, different an old copy', () => {
    const stored = { HTTP_PROXY: expandSz('http://%CORP_PROXY%/Zoë;%UNDEFINED%') };
    const fresh = check(
      { HTTP_PROXY: 'http://proxy:8080/Zoë;%UNDEFINED%', CORP_PROXY: 'proxy:8080' },
      stored,
    );
    expect(fresh.findings).toEqual([]);
    expect(originOf(fresh, 'HTTP_PROXY')).toMatchObject({
      source: 'user',
      user: { type: 'REG_EXPAND_SZ', value: 'http://%CORP_PROXY%/Zoë;%UNDEFINED%' },
    });
    const old = check({ HTTP_PROXY: 'http://old:3128', CORP_PROXY: 'proxy:8080' }, stored);
    expect(old.findings[0]?.evidence).toEqual([
      'this process: HTTP_PROXY=http://old:3128',
      'HKCU\\Environment: HTTP_PROXY=http://%CORP_PROXY%/Zoë;%UNDEFINED% (REG_EXPAND_SZ, expands to http://proxy:8080/Zoë;%UNDEFINED%)',
    ]);
  });

  it('looks names up in any case, as Windows does', () => {
    const result = check({ https_proxy: 'http://backup:3128', GoProxy: 'https://goproxy.cn' }, user);
    expect(result.findings).toEqual([]);
    expect(originOf(result, 'HTTPS_PROXY')).toMatchObject({ source: 'user', window: 'http://backup:3128' });
  });

  it('with the machine environment unreadable, does not claim a value is this window’s own', () => {
    const result = windowsEnvironment({ window: { NO_PROXY: '.corp' }, user: {}, machine: undefined });
    expect(originOf(result, 'NO_PROXY')).toMatchObject({ source: 'unknown', newPrograms: 'unknown' });
    expect(result.findings).toEqual([
      expect.objectContaining({
        title:
          'NO_PROXY does not come from your user environment; the machine environment or this window (one could not be read)',
        evidence: ['this process: NO_PROXY=.corp', 'HKCU\\Environment: no NO_PROXY'],
      }),
    ]);
    // the user environment still decides where it can
    expect(
      titles(windowsEnvironment({ window: { HTTPS_PROXY: 'old' }, user, machine: undefined })),
    ).toContain(
      "this window has an old HTTPS_PROXY: programs started from now on get the user environment's",
    );
  });
});

describe('the origins in JSON, as doctor shows them', () => {
  it('hide proxy passwords in the window, user and machine values, as findings do', () => {
    const [origin] = check(
      { HTTPS_PROXY: 'http://alice:old-secret@proxy:8080' },
      { HTTPS_PROXY: sz('http://alice:user-secret@proxy:8080') },
      { HTTPS_PROXY: sz('http://bob:machine-secret@proxy:8080') },
    ).origins.filter((o) => o.name === 'HTTPS_PROXY');
    const shown = JSON.stringify(shownOrigin(origin as NonNullable<typeof origin>));
    expect(shown).not.toMatch(/secret/);
    expect(shown).toContain('http://alice:***@proxy:8080');
  });
});

describe('the text says where each variable comes from, for this window and for new programs', () => {
  it('one line per variable, none off Windows', () => {
    const { origins } = check(
      { HTTPS_PROXY: 'http://old:8080', HTTP_PROXY: 'http://here:1' },
      { HTTPS_PROXY: sz('http://new:8080') },
      { GOSUMDB: sz('sum.golang.org') },
    );
    expect(renderOrigins(origins)).toEqual([
      '',
      'variables from (this window; new programs):',
      '    GOPROXY      not set; not set',
      '    GOSUMDB      not set; the machine environment',
      '    HTTPS_PROXY  only this window; your user environment',
      '    HTTP_PROXY   only this window; not set',
      '    NO_PROXY     not set; not set',
    ]);
    expect(renderOrigins([])).toEqual([]);
  });
});

describe('expanding REG_EXPAND_SZ values as ExpandEnvironmentStrings does', () => {
  const env = { CORP: 'proxy:8080', SystemRoot: 'C:\\windows' };
  it.each([
    ['http://%CORP%', 'http://proxy:8080'],
    ['%systemroot%\\x', 'C:\\windows\\x'], // names in any case
    ['%UNDEFINED%;x', '%UNDEFINED%;x'], // an undefined name stays as written
    ['%UNDEFINED%CORP%', '%UNDEFINED%CORP%'], // the scan goes on after it, as Wine's does (tests/win32-e2e)
    ['100%', '100%'],
    ['a%%b', 'a%%b'],
    ['%CORP%%CORP%', 'proxy:8080proxy:8080'],
    ['no variables; Zoë 中文', 'no variables; Zoë 中文'],
  ])('%s -> %s', (text, expanded) => {
    expect(expandVariables(text, env)).toBe(expanded);
  });
});

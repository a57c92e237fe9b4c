import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { matchPrefixPatterns, modulePrivacy, pathMatch } from '../src/guardproxy/module-privacy.js';
import { tempDir } from './helpers.js';

// golang.org/x/mod module_test.go TestMatchPrefixPatterns, every case.
const GO_PREFIX_CASES: [string, string, boolean][] = [
  ['', 'rsc.io/quote', false],
  ['/', 'rsc.io/quote', false],
  ['*/quote', 'rsc.io/quote', true],
  ['*/quo', 'rsc.io/quote', false],
  ['*/quo??', 'rsc.io/quote', true],
  ['*/quo*', 'rsc.io/quote', true],
  ['*quo*', 'rsc.io/quote', false],
  ['rsc.io', 'rsc.io/quote', true],
  ['*.io', 'rsc.io/quote', true],
  ['rsc.io/', 'rsc.io/quote', true],
  ['rsc', 'rsc.io/quote', false],
  ['rsc*', 'rsc.io/quote', true],
  ['rsc.io', 'rsc.io/quote/v3', true],
  ['*/quote', 'rsc.io/quote/v3', true],
  ['*/quote/', 'rsc.io/quote/v3', true],
  ['*/quote/*', 'rsc.io/quote/v3', true],
  ['*/quote/*/', 'rsc.io/quote/v3', true],
  ['*/v3', 'rsc.io/quote/v3', false],
  ['*/*/v3', 'rsc.io/quote/v3', true],
  ['*/*/*', 'rsc.io/quote/v3', true],
  ['*/*/*/', 'rsc.io/quote/v3', true],
  ['*/*/*', 'rsc.io/quote', false],
  ['*/*/*/', 'rsc.io/quote', false],
  ['*/*/*,,', 'rsc.io/quote', false],
  ['*/*/*,,*/quote', 'rsc.io/quote', true],
  [',,*/quote', 'rsc.io/quote', true],
];

// go 1.19 src/path/match_test.go matchTests, every case (a malformed pattern matches nothing).
const GO_MATCH_CASES: [string, string, boolean][] = [
  ['abc', 'abc', true],
  ['*', 'abc', true],
  ['*c', 'abc', true],
  ['a*', 'a', true],
  ['a*', 'abc', true],
  ['a*', 'ab/c', false],
  ['a*/b', 'abc/b', true],
  ['a*/b', 'a/c/b', false],
  ['a*b*c*d*e*/f', 'axbxcxdxe/f', true],
  ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true],
  ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false],
  ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false],
  ['a*b?c*x', 'abxbbxdbxebxczzx', true],
  ['a*b?c*x', 'abxbbxdbxebxczzy', false],
  ['ab[c]', 'abc', true],
  ['ab[b-d]', 'abc', true],
  ['ab[e-g]', 'abc', false],
  ['ab[^c]', 'abc', false],
  ['ab[^b-d]', 'abc', false],
  ['ab[^e-g]', 'abc', true],
  ['a\\*b', 'a*b', true],
  ['a\\*b', 'ab', false],
  ['a?b', 'a☺b', true],
  ['a[^a]b', 'a☺b', true],
  ['a???b', 'a☺b', false],
  ['a[^a][^a][^a]b', 'a☺b', false],
  ['[a-ζ]*', 'α', true],
  ['*[a-ζ]', 'A', false],
  ['a?b', 'a/b', false],
  ['a*b', 'a/b', false],
  ['[\\]a]', ']', true],
  ['[\\-]', '-', true],
  ['[x\\-]', 'x', true],
  ['[x\\-]', '-', true],
  ['[x\\-]', 'z', false],
  ['[\\-x]', 'x', true],
  ['[\\-x]', '-', true],
  ['[\\-x]', 'a', false],
  ['[]a]', ']', false],
  ['[-]', '-', false],
  ['[x-]', 'x', false],
  ['[x-]', '-', false],
  ['[x-]', 'z', false],
  ['[-x]', 'x', false],
  ['[-x]', '-', false],
  ['[-x]', 'a', false],
  ['\\', 'a', false],
  ['[a-b-c]', 'a', false],
  ['[', 'a', false],
  ['[^', 'a', false],
  ['[^bc', 'a', false],
  ['a[', 'a', false],
  ['a[', 'ab', false],
  ['a[', 'x', false],
  ['a/b[', 'x', false],
  ['*x', 'xxx', true],
];

describe('GOPRIVATE-style patterns match as go matches them', () => {
  it.each(GO_PREFIX_CASES)('MatchPrefixPatterns(%j, %j) = %s', (globs, target, want) => {
    expect(matchPrefixPatterns(globs, target)).toBe(want);
  });

  it.each(GO_MATCH_CASES)('path.Match(%j, %j) = %s', (pattern, name, want) => {
    expect(pathMatch(pattern, name)).toBe(want);
  });

  it("agrees with go's own x/mod MatchPrefixPatterns on a grid of patterns and paths", async () => {
    // The real implementation: the x/mod copy vendored in this go's GOROOT, built into a tiny
    // program that reads the cases on stdin. No network: GOPROXY=off, the module is replaced locally.
    const dir = await tempDir();
    const goroot = (await execa('go', ['env', 'GOROOT'])).stdout.trim();
    const xmod = join(dir, 'xmod');
    await mkdir(xmod, { recursive: true });
    for (const pkg of ['module', 'semver', 'internal'])
      await cp(join(goroot, 'src/cmd/vendor/golang.org/x/mod', pkg), join(xmod, pkg), { recursive: true });
    await writeFile(join(xmod, 'go.mod'), 'module golang.org/x/mod\n\ngo 1.17\n');
    const prog = join(dir, 'prog');
    await mkdir(prog);
    await writeFile(
      join(prog, 'go.mod'),
      `module parity\n\ngo 1.17\n\nrequire golang.org/x/mod v0.0.0\n\nreplace golang.org/x/mod => ${xmod}\n`,
    );
    await writeFile(
      join(prog, 'main.go'),
      [
        'package main',
        'import ("bufio"; "fmt"; "os"; "strings"; "golang.org/x/mod/module")',
        'func main() {',
        '  in := bufio.NewScanner(os.Stdin)',
        '  for in.Scan() { f := strings.SplitN(in.Text(), "\\t", 2); fmt.Println(module.MatchPrefixPatterns(f[0], f[1])) }',
        '}',
        '',
      ].join('\n'),
    );
    const globs = [
      ...GO_PREFIX_CASES.map(([g]) => g),
      'corp.example.com',
      '*.corp.example.com',
      'github.com/corp',
      'github.com/corp/*',
      'github.com/*/private',
      'github.com/[a-c]*',
      'github.com/[^a-c]*',
      'github.com/corp/[',
      'github.com/corp,gitlab.com/x',
      '*',
      '*/*',
      'github.com\\/corp',
      'Github.com',
      '[a-z]*.io',
      'rsc.io/q[u]ote',
      'rsc.io/q[^u]ote',
      'rsc\\.io',
      'rsc.io/quote\\',
      '*/[^q]*',
      'github.com/corp/?vc',
      '*.example.com/*/lib',
      ' github.com/corp',
      'github.com/corp ,rsc.io',
    ];
    const targets = [
      'rsc.io/quote',
      'rsc.io/quote/v3',
      'github.com/corp',
      'github.com/corp/svc',
      'github.com/corp/svc/internal',
      'github.com/acme/private',
      'github.com/bob/private/x',
      'github.com/dave/x',
      'gitlab.com/x/y',
      'git.corp.example.com/team/lib',
      'corp.example.com',
      'corp.example.com.evil.com/x',
      'github.com',
    ];
    const cases = globs.flatMap((g) => targets.map((t) => [g, t] as const));
    const run = await execa('go', ['run', '.'], {
      cwd: prog,
      input: `${cases.map(([g, t]) => `${g}\t${t}`).join('\n')}\n`,
      env: { GOPROXY: 'off', GOFLAGS: '-mod=mod', GOWORK: 'off', GOSUMDB: 'off', GOTOOLCHAIN: 'local' },
    });
    const fromGo = run.stdout.trim().split('\n');
    expect(fromGo).toHaveLength(cases.length);
    const ours = cases.map(([g, t]) => String(matchPrefixPatterns(g, t)));
    const disagreements = cases.filter((_, i) => ours[i] !== fromGo[i]);
    expect(disagreements).toEqual([]);
    expect(fromGo).toContain('true'); // the grid is not trivially all "false"
  }, 120_000);
});

describe('which modules stay private', () => {
  it('GOPRIVATE covers both mirrors and the checksum database when GONOPROXY and GONOSUMDB are unset', () => {
    const privacy = modulePrivacy({ goprivate: '*.corp.example.com,github.com/corp' });
    expect(privacy.neverUpstream('git.corp.example.com/team/lib')).toBe(true);
    expect(privacy.notChecked('git.corp.example.com/team/lib')).toBe(true);
    expect(privacy.neverUpstream('github.com/corp/svc/v2')).toBe(true);
    expect(privacy.neverUpstream('github.com/corporate/svc')).toBe(false);
    expect(privacy.neverUpstream('rsc.io/quote')).toBe(false);
    expect(privacy.notChecked('rsc.io/quote')).toBe(false);
  });

  it('an empty GONOPROXY or GONOSUMDB counts as unset, as go reads it', () => {
    const privacy = modulePrivacy({ goprivate: 'github.com/corp', gonoproxy: '', gonosumdb: '' });
    expect(privacy.neverUpstream('github.com/corp/x')).toBe(true);
    expect(privacy.notChecked('github.com/corp/x')).toBe(true);
  });

  it('GONOPROXY=none sends GOPRIVATE modules to mirrors while GONOSUMDB still follows GOPRIVATE', () => {
    // cmd/go testdata/script/mod_gonoproxy.txt: "GONOPROXY=none # that is, proxy all despite GOPRIVATE"
    const privacy = modulePrivacy({ goprivate: '*/quote,*/*mple*,golang.org/x', gonoproxy: 'none' });
    expect(privacy.neverUpstream('rsc.io/quote')).toBe(false);
    expect(privacy.neverUpstream('golang.org/x/text')).toBe(false);
    expect(privacy.notChecked('rsc.io/quote')).toBe(true);
    expect(privacy.notChecked('rsc.io/sampler')).toBe(true);
    expect(privacy.notChecked('golang.org/x/text')).toBe(true);
    expect(privacy.notChecked('rsc.io/fortune')).toBe(false);
  });

  it('GONOSUMDB alone leaves mirrors allowed', () => {
    const privacy = modulePrivacy({ gonosumdb: 'github.com/corp' });
    expect(privacy.neverUpstream('github.com/corp/x')).toBe(false);
    expect(privacy.notChecked('github.com/corp/x')).toBe(true);
    expect(privacy.notChecked('github.com/other/x')).toBe(false);
  });

  it('GOSUMDB=off checks nothing but keeps nothing away from mirrors', () => {
    const privacy = modulePrivacy({ gosumdb: 'off' });
    expect(privacy.notChecked('rsc.io/quote')).toBe(true);
    expect(privacy.neverUpstream('rsc.io/quote')).toBe(false);
    expect(modulePrivacy({ gosumdb: 'sum.golang.org' }).notChecked('rsc.io/quote')).toBe(false);
  });

  it('nothing set: everything goes upstream and is checked', () => {
    const privacy = modulePrivacy({});
    expect(privacy.neverUpstream('github.com/corp/x')).toBe(false);
    expect(privacy.notChecked('github.com/corp/x')).toBe(false);
  });
});

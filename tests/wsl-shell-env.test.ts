import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { validate } from '../src/config/load.js';
import { planWslTargets } from '../src/effectors/wsl-targets.js';
import { carryOut } from '../src/guard/carry-out.js';
import { planWslGoEnv, type WslFacts, wslGoValue } from '../src/policy/wsl-go-env.js';
import type { EffectorContext } from '../src/settings/effector.js';
import { statePaths } from '../src/state/paths.js';
import { freshState, saveState } from '../src/state/store.js';
import { gatherWslFacts } from '../src/wsl/distros.js';
import { parseShellReport } from '../src/wsl/output.js';
import { shellReportArgs } from '../src/wsl/shell-env.js';
import { cli, tempDir } from './helpers.js';
import { wslWorld } from './wsl-world.js';

// A WSL distribution whose terminal environment overrides go's env file: an `export GOPROXY=...`
// in a shell startup file, or GOPROXY passed from Windows through WSLENV. `wsl --exec` reads no
// startup file, so only the login shell, started as a terminal starts it, shows what go there
// uses. The stand-in's distributions run the real sh, bash and go with their own HOME.

const MIRRORS = 'https://mirror-a.lab.test|https://mirror-b.lab.test';
const GOSUMDB = 'sum.lab.test+1f2e3d4c+AXyz https://mirror-a.lab.test/sumdb/sum.lab.test';
const wanted = { GOPROXY: wslGoValue(MIRRORS), GOSUMDB: wslGoValue(GOSUMDB) };
const SHELL_FIX =
  'remove "export GOPROXY=..." from the distribution\'s shell startup files (~/.bashrc, ~/.profile, /etc/profile.d/*.sh, /etc/environment), so go reads its env file';

async function context(env: Record<string, string>): Promise<EffectorContext> {
  const { config } = await validate({
    mirrors: [{ name: 'a', url: 'https://mirror-a.lab.test' }],
    dns: { trusted: [] },
    wsl: { enabled: true },
  });
  return { env: { ...env, GOPROXYGUARD_PLATFORM: 'win32' }, config };
}

describe('the login shell report', () => {
  it('reads both sections past whatever the startup files print, an empty value as unset', () => {
    const text = [
      'GOPROXYGUARD-EXEC-ENV',
      'GOPROXY=https://from-windows.example',
      'GOSUMDB=',
      'Welcome to Ubuntu 22.04 LTS',
      'GOPROXYGUARD-SHELL-ENV',
      'GOPROXY=https://corp.example,direct',
      'GOSUMDB=off',
      '',
    ].join('\n');
    expect(parseShellReport(text)).toEqual({
      exec: { GOPROXY: 'https://from-windows.example' },
      shell: { GOPROXY: 'https://corp.example,direct', GOSUMDB: 'off' },
    });
    // The shell died in its startup files: no shell section, no report.
    expect(parseShellReport('GOPROXYGUARD-EXEC-ENV\nGOPROXY=\nGOSUMDB=\n')).toBeUndefined();
  });
});

describe('the WSL rule, given each distribution environment', () => {
  const facts = (environment: NonNullable<WslFacts['distros'][number]['environment']>): WslFacts => ({
    mirrored: false,
    distros: [{ name: 'Ubuntu', running: true, go: true, file: {}, environment }],
  });
  const rule = (f: WslFacts) => planWslGoEnv(f, wanted, { wsl: { enabled: true, startStopped: false } });

  it('follows when the environment sets nothing, or the same value', () => {
    for (const shell of [{}, { GOPROXY: MIRRORS, GOSUMDB }]) {
      const plan = rule(facts({ exec: {}, shell }));
      expect(plan.distros).toEqual([
        { name: 'Ubuntu', follows: 'mirrors', goproxy: MIRRORS, gosumdb: GOSUMDB },
      ]);
      expect(plan.notes.filter((n) => n.startsWith('WSL Ubuntu'))).toEqual([]);
    }
  });

  it('names the variable, its value (no password) and the fix, and still keeps the env file in step', () => {
    const plan = rule(facts({ exec: {}, shell: { GOPROXY: 'https://build:s3cret@corp.example' } }));
    expect(plan.distros[0]).toEqual({
      name: 'Ubuntu',
      follows: 'overridden',
      goproxy: MIRRORS,
      gosumdb: GOSUMDB,
      overrides: [
        { variable: 'GOPROXY', value: 'https://build:***@corp.example', from: 'login shell', fix: SHELL_FIX },
      ],
    });
    expect(plan.notes).toContain(
      `WSL Ubuntu: GOPROXY=https://build:***@corp.example (from login shell) overrides go's env file, so go in its terminals does not follow: ${SHELL_FIX}`,
    );
    expect(plan.changes.map((c) => c.setting)).toEqual([
      'wsl-go-env:Ubuntu/GOPROXY',
      'wsl-go-env:Ubuntu/GOSUMDB',
    ]);
  });

  it('tells a variable from Windows through WSLENV from a shell export by what --exec already had', () => {
    const plan = rule(facts({ exec: { GOSUMDB: 'off' }, shell: { GOSUMDB: 'off' } }));
    expect(plan.distros[0]?.overrides).toEqual([
      {
        variable: 'GOSUMDB',
        value: 'off',
        from: 'Windows through WSLENV',
        fix: "take GOSUMDB out of WSLENV on Windows, so the distribution's go reads its env file",
      },
    ]);
  });

  it('names a GOENV that makes the terminal read another env file (or none), and not one naming the same file', () => {
    const kept = { GOENV: '/home/dev/.config/go/env' };
    expect(rule(facts({ exec: kept, shell: kept })).distros[0]?.follows).toBe('mirrors');
    for (const other of ['/home/dev/work/go.env', 'off']) {
      const plan = rule(facts({ exec: kept, shell: { GOENV: other } }));
      expect(plan.distros[0]?.follows).toBe('overridden');
      expect(plan.distros[0]?.overrides).toEqual([
        {
          variable: 'GOENV',
          value: other,
          from: 'login shell',
          fix: `remove "export GOENV=..." from the distribution's shell startup files (~/.bashrc, ~/.profile, /etc/profile.d/*.sh, /etc/environment), so go reads the env file GoProxyGuard keeps (/home/dev/.config/go/env)`,
        },
      ]);
    }
  });

  it('notes a shell that could not be read, and says nothing of a key the decision leaves alone', () => {
    const unread = rule(facts({ unread: 'exit code 3' }));
    expect(unread.distros[0]?.follows).toBe('mirrors');
    expect(unread.notes).toContain(
      'WSL Ubuntu: its login shell could not be read (exit code 3), so whether a shell startup file overrides GOPROXY, GOSUMDB or GOENV there is unknown',
    );
    const leftAlone = planWslGoEnv(
      facts({ exec: {}, shell: { GOSUMDB: 'off' } }),
      { GOPROXY: wslGoValue(MIRRORS), GOSUMDB: { was: 'unset' } },
      { wsl: { enabled: true, startStopped: false } },
    );
    expect(leftAlone.distros[0]?.follows).toBe('mirrors');
  });
});

// Each call starts the stand-in, a shell or go: a wider limit than the suite's (not a timed assertion).
describe('distributions through the wsl.exe stand-in', { timeout: 180_000 }, () => {
  const distros = [
    // A startup file that prints, and leaves its last line open.
    { name: 'Ubuntu', go: true, running: true, profile: 'export EDITOR=vim\nprintf Welcome\n' },
    { name: 'Debian', go: true, running: true, profile: 'export GOPROXY=https://corp.example,direct\n' },
    { name: 'Alpine', go: false, running: true, profile: 'export GOPROXY=https://corp.example\n' },
    { name: 'Arch', go: true, running: true, fromWindows: { GOPROXY: 'https://from-windows.example' } },
  ];

  it('reads each environment with the login shell, only where go is, and with the exact argv', async () => {
    const world = await wslWorld(distros);
    const facts = await gatherWslFacts(world.env, false);
    const goEnv = (name: string) => ({ GOENV: world.goEnvPath(name) });
    expect(facts.distros.map((d) => [d.name, d.environment])).toEqual([
      ['Ubuntu', { exec: goEnv('Ubuntu'), shell: goEnv('Ubuntu') }],
      [
        'Debian',
        { exec: goEnv('Debian'), shell: { ...goEnv('Debian'), GOPROXY: 'https://corp.example,direct' } },
      ],
      ['Alpine', undefined],
      [
        'Arch',
        {
          exec: { ...goEnv('Arch'), GOPROXY: 'https://from-windows.example' },
          shell: { ...goEnv('Arch'), GOPROXY: 'https://from-windows.example' },
        },
      ],
    ]);
    const shellCalls = (await world.calls()).filter((argv) => argv.includes('/bin/sh'));
    expect(shellCalls).toEqual(['Ubuntu', 'Debian', 'Arch'].map(shellReportArgs));
    expect(shellCalls[0]?.slice(0, 5)).toEqual(['-d', 'Ubuntu', '--exec', '/bin/sh', '-c']);
    expect(shellCalls[0]?.[5]).toContain('exec timeout -k 2 10 "$shell" -lic "$1" </dev/null');
    expect(shellCalls[0]?.[7]).toBe(
      `exec /bin/sh -c 'printf "%s\\n" "" GOPROXYGUARD-SHELL-ENV "GOPROXY=$GOPROXY" "GOSUMDB=$GOSUMDB" "GOENV=\${GOENV:-\${XDG_CONFIG_HOME:-$HOME/.config}/go/env}"'`,
    );
  });

  it('finds a startup file that points go at another env file (GOENV) through the real login shell', async () => {
    const world = await wslWorld([
      { name: 'Fedora', go: true, running: true, profile: 'export GOENV="$HOME/work/go.env"\n' },
    ]);
    const plan = await planWslTargets(await context(world.env), wanted);
    expect(plan.distros[0]).toMatchObject({
      name: 'Fedora',
      follows: 'overridden',
      overrides: [
        { variable: 'GOENV', value: world.goEnvPath('Fedora').replace('.config/go/env', 'work/go.env') },
      ],
    });
  });

  it('notes a shell that fails or floods its output, and goes on with the next distribution', async () => {
    const world = await wslWorld([
      { name: 'Broken', go: true, running: true, profile: 'echo "no such file: ~/.cargo/env" >&2\nexit 3\n' },
      { name: 'Chatty', go: true, running: true, profile: 'head -c 400000 /dev/zero | tr "\\0" x\n' },
      { name: 'Ubuntu', go: true, running: true },
    ]);
    const plan = await planWslTargets(await context(world.env), wanted);
    expect(plan.distros.map((d) => [d.name, d.follows])).toEqual([
      ['Broken', 'mirrors'],
      ['Chatty', 'mirrors'],
      ['Ubuntu', 'mirrors'],
    ]);
    expect(plan.notes.find((n) => n.startsWith('WSL Broken'))).toMatch(
      /^WSL Broken: its login shell could not be read \(its login shell ended without printing its report \(exit code 3: no such file: ~\/\.cargo\/env\)\)/,
    );
    expect(plan.notes.find((n) => n.startsWith('WSL Chatty'))).toBe(
      `WSL Chatty: its login shell could not be read (${world.env.GOPROXYGUARD_WSL} printed more than 262144 bytes, and was stopped), so whether a shell startup file overrides GOPROXY, GOSUMDB or GOENV there is unknown`,
    );
    expect(plan.changes.map((c) => c.setting)).toContain('wsl-go-env:Ubuntu/GOPROXY');
  });

  it('ends a startup file that hangs, even one that ignores TERM, and notes it', async () => {
    const world = await wslWorld([
      { name: 'Stuck', go: true, running: true, profile: 'trap "" TERM\nsleep 600\n' },
    ]);
    const plan = await planWslTargets(await context(world.env), wanted);
    expect(plan.distros).toEqual([{ name: 'Stuck', follows: 'mirrors', goproxy: MIRRORS, gosumdb: GOSUMDB }]);
    // timeout(1) gave up on TERM and sent KILL; the shell never printed its section.
    expect(plan.notes.find((n) => n.startsWith('WSL Stuck'))).toMatch(
      /^WSL Stuck: its login shell could not be read \(its login shell ended without printing its report \(exit code \d+\)\)/,
    );
  });

  it('apply writes every distribution with go whole, notes each override, and go there still warns', async () => {
    const world = await wslWorld(distros);
    const ctx = await context(world.env);
    const plan = await planWslTargets(ctx, wanted);
    expect(plan.distros.map((d) => [d.name, d.follows])).toEqual([
      ['Ubuntu', 'mirrors'],
      ['Debian', 'overridden'],
      ['Alpine', 'no go'],
      ['Arch', 'overridden'],
    ]);
    const paths = statePaths(join(await tempDir(), 'state'));
    await mkdir(paths.dir, { recursive: true });
    const result = await carryOut(plan.changes, ctx, {
      backup: { paths, goEnvFile: join(world.dir, 'go-env'), alsoBackUp: {}, now: new Date() },
      onMismatch: 'roll back',
    });
    expect(result.stuck).toEqual([]);
    // go env -w in Arch met GOPROXY from Windows: it warns, exits 0 and writes the file whole,
    // so nothing is half-written; the note is what tells the user go there does not follow.
    for (const distro of ['Ubuntu', 'Debian', 'Arch'])
      expect(await world.goEnvFile(distro)).toBe(`GOPROXY=${MIRRORS}\nGOSUMDB=${GOSUMDB}\n`);
    const again = await execa(
      world.env.GOPROXYGUARD_WSL as string,
      ['-d', 'Arch', '--exec', 'go', 'env', '-w', `GOPROXY=${MIRRORS}`],
      {
        env: world.env,
        reject: false,
      },
    );
    expect([again.exitCode, again.stderr]).toEqual([
      0,
      'warning: go env -w GOPROXY=... does not override conflicting OS environment variable',
    ]);
    expect(plan.notes.filter((n) => /^WSL (Debian|Arch): GOPROXY=/.test(n))).toEqual([
      `WSL Debian: GOPROXY=https://corp.example,direct (from login shell) overrides go's env file, so go in its terminals does not follow: ${SHELL_FIX}`,
      "WSL Arch: GOPROXY=https://from-windows.example (from Windows through WSLENV) overrides go's env file, so go in its terminals does not follow: take GOPROXY out of WSLENV on Windows, so the distribution's go reads its env file",
    ]);

    // status and doctor show what the last plan recorded, in JSON and text.
    await saveState(paths.state, { ...freshState(), wsl: plan.distros });
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GOPROXYGUARD_HOME: paths.dir,
      GOENV: join(world.dir, 'go-env'),
      HOME: world.dir,
    };
    const status = await cli(['status', '--json'], env);
    expect(JSON.parse(status.stdout).wsl).toEqual(plan.distros);
    const statusText = (await cli(['status'], env)).stdout;
    expect(statusText).toMatch(/Debian\s+overridden\s+https:\/\/mirror-a/);
    expect(statusText).toContain(
      `WSL Debian: GOPROXY=https://corp.example,direct (from login shell) overrides go's env file; fix: ${SHELL_FIX}`,
    );
    const doctor = JSON.parse((await cli(['doctor', '--offline', '--json'], env)).stdout);
    expect(doctor.wsl).toEqual(plan.distros);
    expect(doctor.findings).toContainEqual({
      severity: 'warning',
      layer: 'settings',
      title: 'go in WSL distribution Debian does not follow: GOPROXY from login shell overrides its env file',
      evidence: ["GOPROXY=https://corp.example,direct in Debian's terminal environment (from login shell)"],
      fix: SHELL_FIX,
    });
    expect((await cli(['doctor', '--offline'], env)).stdout).toContain(
      'go in WSL distribution Arch does not follow: GOPROXY from Windows through WSLENV overrides its env file',
    );
  });
});

import { describe, expect, it } from 'vitest';
import { validate } from '../src/config/load.js';
import { wslGoEnvEffector } from '../src/effectors/wsl-go-env.js';
import { planWslTargets } from '../src/effectors/wsl-targets.js';
import { planWslGoEnv, type WslFacts, wslGoValue } from '../src/policy/wsl-go-env.js';
import type { EffectorContext } from '../src/settings/effector.js';
import { gatherWslFacts, listDistros } from '../src/wsl/distros.js';
import { decodeWslOutput, mirroredNetworking, parseDistroList } from '../src/wsl/output.js';
import { wslWorld } from './wsl-world.js';

// go inside WSL: wsl.exe's output read as it comes, the rule, and the effector against a wsl.exe
// stand-in whose distributions run the real Linux go, each with its own go env file.

const GUARDED = 'http://127.0.0.1:47193|https://mirror-a.lab.test|https://mirror-b.lab.test';
const GOSUMDB = 'sum.lab.test+1f2e3d4c+AXyz https://mirror-a.lab.test/sumdb/sum.lab.test';

async function context(
  env: Record<string, string>,
  wsl: Record<string, boolean> = {},
): Promise<EffectorContext> {
  const { config } = await validate({
    mirrors: [{ name: 'a', url: 'https://mirror-a.lab.test' }],
    dns: { trusted: [] },
    wsl: { enabled: true, ...wsl },
  });
  return { env, config };
}

describe('what wsl.exe prints', () => {
  it('reads its UTF-16LE lists, with or without a byte order mark, and UTF-8 under WSL_UTF8=1', () => {
    const list = 'Ubuntu-22.04\r\nAlpine\r\n';
    expect(parseDistroList(decodeWslOutput(Buffer.from(list, 'utf16le')))).toEqual([
      'Ubuntu-22.04',
      'Alpine',
    ]);
    expect(
      parseDistroList(
        decodeWslOutput(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(list, 'utf16le')])),
      ),
    ).toEqual(['Ubuntu-22.04', 'Alpine']);
    expect(parseDistroList(decodeWslOutput(Buffer.from(list)))).toEqual(['Ubuntu-22.04', 'Alpine']);
    expect(parseDistroList('Debian\0\r\n\r\n  \r\n')).toEqual(['Debian']);
  });

  it('finds mirrored networking in .wslconfig only where WSL reads it', () => {
    expect(mirroredNetworking('[wsl2]\r\nnetworkingMode=mirrored\r\n')).toBe(true);
    expect(mirroredNetworking('\ufeff[WSL2]\n  NetworkingMode = Mirrored  # shared loopback\n')).toBe(true);
    expect(mirroredNetworking('[wsl2]\nnetworkingMode=mirrored\nnetworkingMode=nat\n')).toBe(false);
    expect(mirroredNetworking('[experimental]\nnetworkingMode=mirrored\n')).toBe(false);
    expect(mirroredNetworking('[wsl2]\n# networkingMode=mirrored\nmemory=4GB\n')).toBe(false);
    expect(mirroredNetworking('')).toBe(false);
  });
});

describe('the WSL rule', () => {
  const facts: WslFacts = {
    mirrored: false,
    distros: [
      { name: 'Ubuntu', running: true, go: true, file: { GOPROXY: 'https://old.example' } },
      { name: 'Alpine', running: true, go: false, file: {} },
      { name: 'Debian', running: false },
    ],
  };
  const wanted = { GOPROXY: wslGoValue(GUARDED), GOSUMDB: wslGoValue(GOSUMDB) };

  it('gives a distribution under NAT the mirror list after the guard, and says which ones follow', () => {
    const plan = planWslGoEnv(facts, wanted, { wsl: { enabled: true, startStopped: false } });
    expect(plan.changes).toEqual([
      {
        setting: 'wsl-go-env:Ubuntu/GOPROXY',
        from: wslGoValue('https://old.example'),
        to: wslGoValue('https://mirror-a.lab.test|https://mirror-b.lab.test'),
      },
      { setting: 'wsl-go-env:Ubuntu/GOSUMDB', from: { was: 'unset' }, to: wslGoValue(GOSUMDB) },
    ]);
    expect(plan.distros.map((d) => [d.name, d.follows])).toEqual([
      ['Ubuntu', 'mirrors'],
      ['Alpine', 'no go'],
      ['Debian', 'stopped'],
    ]);
    expect(plan.notes[0]).toMatch(/^WSL: networking is not mirrored/);
  });

  it('points a distribution at the guard itself over mirrored networking, and changes nothing in step', () => {
    const plan = planWslGoEnv({ ...facts, mirrored: true }, wanted, {
      wsl: { enabled: true, startStopped: false },
    });
    expect(plan.changes[0]?.to).toEqual(wslGoValue(GUARDED));
    expect(plan.distros[0]).toEqual({ name: 'Ubuntu', follows: 'guard', goproxy: GUARDED, gosumdb: GOSUMDB });
    const inStep: WslFacts = {
      mirrored: true,
      distros: [{ name: 'Ubuntu', running: true, go: true, file: { GOPROXY: GUARDED, GOSUMDB } }],
    };
    expect(planWslGoEnv(inStep, wanted, { wsl: { enabled: true, startStopped: false } }).changes).toEqual([]);
  });

  it('does nothing when wsl.enabled is off', () => {
    expect(planWslGoEnv(facts, wanted, { wsl: { enabled: false, startStopped: false } })).toEqual({
      changes: [],
      distros: [],
      notes: [],
    });
  });
});

// Each call starts the stand-in and often go: dozens of processes per test on a shared machine,
// so a wider limit than the suite's 30 s (a limit, not a timed assertion).
describe('WSL distributions through the wsl.exe stand-in', { timeout: 180_000 }, () => {
  const plan = [
    { name: 'Ubuntu', go: true, running: true },
    { name: 'Alpine', go: false, running: true },
    { name: 'Debian', go: true, running: false },
  ];

  it('lists them, finds go in one, and leaves the stopped one stopped', async () => {
    const world = await wslWorld(plan);
    expect((await listDistros(world.env)).distros).toEqual([
      { name: 'Ubuntu', running: true },
      { name: 'Alpine', running: true },
      { name: 'Debian', running: false },
    ]);
    const facts = await gatherWslFacts(world.env, false);
    expect(facts).toEqual({
      mirrored: false,
      distros: [
        {
          name: 'Ubuntu',
          running: true,
          go: true,
          file: { GOPROXY: undefined, GOSUMDB: undefined },
          environment: {
            exec: { GOENV: world.goEnvPath('Ubuntu') },
            shell: { GOENV: world.goEnvPath('Ubuntu') },
          },
        },
        { name: 'Alpine', running: true, go: false, file: { GOPROXY: undefined, GOSUMDB: undefined } },
        { name: 'Debian', running: false },
      ],
    });
    expect(await world.running('Debian')).toBe(false);
    expect((await world.calls()).some((argv) => argv.includes('Debian'))).toBe(false);
    // Asked to, it starts the stopped one and looks inside.
    const started = await gatherWslFacts(world.env, true);
    expect(started.distros[2]).toMatchObject({ name: 'Debian', go: true });
    expect(await world.running('Debian')).toBe(true);
  });

  it('applies a decision, a changed decision, then restores, reading back each time with the real go', async () => {
    const world = await wslWorld(plan);
    const ctx = await context({ ...world.env, GOPROXYGUARD_PLATFORM: 'win32' });
    const wanted = { GOPROXY: wslGoValue(GUARDED), GOSUMDB: wslGoValue(GOSUMDB) };
    const first = await planWslTargets(ctx, wanted);
    expect(first.distros.map((d) => [d.name, d.follows])).toEqual([
      ['Ubuntu', 'mirrors'],
      ['Alpine', 'no go'],
      ['Debian', 'stopped'],
    ]);
    const values = Object.fromEntries(
      first.changes.map((c) => [c.setting.slice('wsl-go-env:'.length), c.to]),
    );
    await wslGoEnvEffector.write(values, ctx);
    expect(await wslGoEnvEffector.read(Object.keys(values), ctx)).toEqual(values);
    expect(await world.goEnvFile('Ubuntu')).toBe(
      `GOPROXY=https://mirror-a.lab.test|https://mirror-b.lab.test\nGOSUMDB=${GOSUMDB}\n`,
    );
    // Every value its own argument: the space inside GOSUMDB reaches go unsplit.
    expect(await world.calls()).toContainEqual([
      '-d',
      'Ubuntu',
      '--exec',
      'go',
      'env',
      '-w',
      'GOPROXY=https://mirror-a.lab.test|https://mirror-b.lab.test',
      `GOSUMDB=${GOSUMDB}`,
    ]);

    // The decision changes: only GOPROXY moves.
    await world.setWslConfig('[wsl2]\r\nnetworkingMode=mirrored\r\n');
    const second = await planWslTargets(ctx, wanted);
    expect(second.changes.map((c) => c.setting)).toEqual(['wsl-go-env:Ubuntu/GOPROXY']);
    await wslGoEnvEffector.write({ 'Ubuntu/GOPROXY': wslGoValue(GUARDED) }, ctx);
    expect(await wslGoEnvEffector.read(['Ubuntu/GOPROXY'], ctx)).toEqual({
      'Ubuntu/GOPROXY': wslGoValue(GUARDED),
    });

    // Restore: the values from before the first change (unset) come back with go env -u.
    await wslGoEnvEffector.write(
      Object.fromEntries(first.changes.map((c) => [c.setting.slice(11), c.from])),
      ctx,
    );
    expect(await world.goEnvFile('Ubuntu')).toBe('');
    expect(await wslGoEnvEffector.read(['Ubuntu/GOPROXY', 'Ubuntu/GOSUMDB'], ctx)).toEqual({
      'Ubuntu/GOPROXY': { was: 'unset' },
      'Ubuntu/GOSUMDB': { was: 'unset' },
    });
    expect(await world.running('Debian')).toBe(false);
  });

  it('refuses a stopped distribution without wsl.startStopped, one without go, and a name from nowhere', async () => {
    const world = await wslWorld(plan);
    const ctx = await context(world.env);
    await expect(wslGoEnvEffector.read(['Debian/GOPROXY'], ctx)).rejects.toThrow(
      'WSL distribution Debian is stopped; start it (wsl -d Debian) or set wsl.startStopped, then run again',
    );
    expect(await world.running('Debian')).toBe(false);
    await expect(
      wslGoEnvEffector.write({ 'Alpine/GOPROXY': wslGoValue('https://x.example') }, ctx),
    ).rejects.toThrow('WSL distribution Alpine has no go (on PATH or in /usr/local/go/bin)');
    expect(await wslGoEnvEffector.read(['Alpine/GOPROXY'], ctx)).toEqual({
      'Alpine/GOPROXY': { was: 'unset' },
    });
    // Restoring "unset" where there is no go is done already: no go env -u is attempted.
    await wslGoEnvEffector.write({ 'Alpine/GOPROXY': { was: 'unset' } }, ctx);
    expect((await world.calls()).filter((argv) => argv.includes('-u'))).toEqual([]);
    await expect(wslGoEnvEffector.read(['Fedora/GOPROXY'], ctx)).rejects.toThrow(
      'WSL has no distribution named Fedora',
    );
    expect(wslGoEnvEffector.knows('Ubuntu-22.04/GOSUMDB')).toBe(true);
    expect(wslGoEnvEffector.knows('Ubuntu/GOPRIVATE')).toBe(false);
    expect(wslGoEnvEffector.knows('a/b/GOPROXY')).toBe(false);
    expect(wslGoEnvEffector.knows('GOPROXY')).toBe(false);
  });

  it('keeps WSL for Windows, and leaves it alone unless wsl.enabled', async () => {
    const world = await wslWorld(plan);
    const wanted = { GOPROXY: wslGoValue(GUARDED), GOSUMDB: wslGoValue(GOSUMDB) };
    expect(await planWslTargets(await context(world.env), wanted)).toEqual({
      changes: [],
      distros: [],
      notes: ['wsl.enabled: WSL distributions are kept in step on Windows only'],
    });
    const off = await context({ ...world.env, GOPROXYGUARD_PLATFORM: 'win32' }, { enabled: false });
    expect(await planWslTargets(off, wanted)).toEqual({ changes: [], distros: [], notes: [] });
    expect(await world.calls()).toEqual([]);
  });

  it('says when WSL has no distribution at all', async () => {
    const world = await wslWorld([]);
    expect(await listDistros(world.env)).toEqual({
      distros: [],
      note: 'WSL lists no distribution (wsl.exe --list: exit code 1: Windows Subsystem for Linux has no installed distributions.)',
    });
    const missing = { ...world.env, GOPROXYGUARD_WSL: `${world.dir}/no-such-wsl.exe` };
    expect((await listDistros(missing)).note).toBe(
      `WSL lists no distribution (wsl.exe --list: exit code -1: ${world.dir}/no-such-wsl.exe was not found; it is part of Windows (set GOPROXYGUARD_WSL to its path))`,
    );
  });
});

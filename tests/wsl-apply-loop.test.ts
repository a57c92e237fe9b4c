import { mkdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validate } from '../src/config/load.js';
import { planWslTargets } from '../src/effectors/wsl-targets.js';
import { carryOut } from '../src/guard/carry-out.js';
import { restoreOriginals } from '../src/guard/restore.js';
import { wslGoValue } from '../src/policy/wsl-go-env.js';
import type { EffectorContext } from '../src/settings/effector.js';
import { readBackup } from '../src/state/backup.js';
import { statePaths } from '../src/state/paths.js';
import { tempDir } from './helpers.js';
import { wslWorld } from './wsl-world.js';

// go inside WSL through the one apply/restore loop (guard/carry-out.ts, guard/restore.ts): the
// wsl.exe stand-in runs the real Linux go per distribution. Apply backs up and writes, a changed
// decision writes again, restore puts the values from before the first change back, and a
// distribution stopped by restore time is left for a later restore with the backup kept.

const GUARDED = 'http://127.0.0.1:47193|https://mirror-a.lab.test|https://mirror-b.lab.test';
const MIRRORS = 'https://mirror-a.lab.test|https://mirror-b.lab.test';
const GOSUMDB = 'sum.lab.test+1f2e3d4c+AXyz https://mirror-a.lab.test/sumdb/sum.lab.test';

async function machine() {
  const world = await wslWorld([
    { name: 'Ubuntu', go: true, running: true },
    { name: 'Alpine', go: false, running: true },
  ]);
  const { config } = await validate({
    mirrors: [{ name: 'a', url: 'https://mirror-a.lab.test' }],
    dns: { trusted: [] },
    wsl: { enabled: true },
  });
  const context: EffectorContext = { env: { ...world.env, GOPROXYGUARD_PLATFORM: 'win32' }, config };
  const paths = statePaths(join(await tempDir(), 'state'));
  await mkdir(paths.dir, { recursive: true });
  /** One apply of the decision's values: plan the distributions, then the one loop. */
  const apply = async (goproxy: string) => {
    const plan = await planWslTargets(context, {
      GOPROXY: wslGoValue(goproxy),
      GOSUMDB: wslGoValue(GOSUMDB),
    });
    await carryOut(plan.changes, context, {
      backup: { paths, goEnvFile: join(world.dir, 'go-env'), alsoBackUp: {}, now: new Date() },
      onMismatch: 'roll back',
    });
    return plan;
  };
  const restore = () => restoreOriginals(paths, context.env, new Date(), async () => config);
  return { world, paths, apply, restore };
}

describe('WSL distributions through the one apply/restore loop', { timeout: 180_000 }, () => {
  it('applies, follows a changed decision, and restores the values from before the first change', async () => {
    const { world, paths, apply, restore } = await machine();
    const first = await apply(GUARDED);
    expect(first.distros.map((d) => [d.name, d.follows])).toEqual([
      ['Ubuntu', 'mirrors'],
      ['Alpine', 'no go'],
    ]);
    expect(await world.goEnvFile('Ubuntu')).toBe(`GOPROXY=${MIRRORS}\nGOSUMDB=${GOSUMDB}\n`);
    expect((await readBackup(paths.backup))?.settings).toEqual({
      'wsl-go-env:Ubuntu/GOPROXY': { was: 'unset' },
      'wsl-go-env:Ubuntu/GOSUMDB': { was: 'unset' },
    });

    // Mirrored networking: the distribution now reaches the guard itself; only GOPROXY moves,
    // and the backup keeps the value from before the first change.
    await world.setWslConfig('[wsl2]\r\nnetworkingMode=mirrored\r\n');
    const second = await apply(GUARDED);
    expect(second.changes.map((c) => c.setting)).toEqual(['wsl-go-env:Ubuntu/GOPROXY']);
    expect(second.distros[0]).toMatchObject({ name: 'Ubuntu', follows: 'guard' });
    expect(await world.goEnvFile('Ubuntu')).toContain(`GOPROXY=${GUARDED}\n`);
    expect((await readBackup(paths.backup))?.settings['wsl-go-env:Ubuntu/GOPROXY']).toEqual({ was: 'unset' });

    const restored = await restore();
    expect(restored.left).toBeUndefined();
    expect(restored.restored.map((r) => r.setting)).toEqual([
      'wsl-go-env:Ubuntu/GOPROXY',
      'wsl-go-env:Ubuntu/GOSUMDB',
    ]);
    expect(await world.goEnvFile('Ubuntu')).toBe('');
    expect(await readBackup(paths.backup)).toBeUndefined();
  });

  it('leaves a distribution stopped by restore time for a later restore, keeping the backup', async () => {
    const { world, paths, apply, restore } = await machine();
    await apply(GUARDED);
    await unlink(join(world.dir, 'distros', 'Ubuntu', 'running')); // wsl --terminate Ubuntu

    const first = await restore();
    expect(first.left).toEqual([
      'WSL distribution Ubuntu is stopped; start it (wsl -d Ubuntu) or set wsl.startStopped, then run again',
    ]);
    expect(await world.running('Ubuntu')).toBe(false);
    expect(Object.keys((await readBackup(paths.backup))?.settings ?? {})).toEqual([
      'wsl-go-env:Ubuntu/GOPROXY',
      'wsl-go-env:Ubuntu/GOSUMDB',
    ]);

    await writeFile(join(world.dir, 'distros', 'Ubuntu', 'running'), ''); // the user starts it again
    const second = await restore();
    expect(second.left).toBeUndefined();
    expect(await world.goEnvFile('Ubuntu')).toBe('');
    expect(await readBackup(paths.backup)).toBeUndefined();
  });
});

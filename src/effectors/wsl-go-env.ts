// GOPROXY and GOSUMDB of go inside each WSL distribution, as settings
// "wsl-go-env:<distro>/<KEY>" (issue #20). wsl.exe and the distribution's go do the work.
import { EnvironmentError, ToolFailedError } from '../config/errors.js';
import { WSL_GO_KEYS, type WslGoKey, wslGoValue } from '../policy/wsl-go-env.js';
import type { Effector, EffectorContext, SettingValue } from '../settings/effector.js';
import {
  type DistroGo,
  findGo,
  listDistros,
  readDistroGoFile,
  WSL,
  writeDistroGoEnv,
} from '../wsl/distros.js';

/** "Ubuntu-22.04/GOPROXY" -> distro and key; a distribution name has no "/" (WSL refuses one). */
function parseName(name: string): { distro: string; key: WslGoKey } | undefined {
  const slash = name.lastIndexOf('/');
  const distro = name.slice(0, slash);
  const key = name.slice(slash + 1) as WslGoKey;
  return slash > 0 && !distro.includes('/') && WSL_GO_KEYS.includes(key) ? { distro, key } : undefined;
}

/** Names grouped by distribution, each with its keys. */
function byDistro(names: readonly string[]): Map<string, { name: string; key: WslGoKey }[]> {
  const groups = new Map<string, { name: string; key: WslGoKey }[]>();
  for (const name of names) {
    const parsed = parseName(name);
    if (!parsed) throw new Error(`${name} is not "<distro>/<GOPROXY|GOSUMDB>"`);
    groups.set(parsed.distro, [...(groups.get(parsed.distro) ?? []), { name, key: parsed.key }]);
  }
  return groups;
}

/**
 * The distribution's go, once it is known to be up (or allowed to be started): any command
 * run in a stopped distribution starts it, which GoProxyGuard does only when wsl.startStopped.
 */
async function reachGo(distro: string, context: EffectorContext): Promise<DistroGo | undefined> {
  const { distros } = await listDistros(context.env);
  const found = distros.find((d) => d.name.toLowerCase() === distro.toLowerCase());
  if (!found)
    throw new EnvironmentError(
      `WSL has no distribution named ${distro} (any more)`,
      'WslDistroMissing',
      'ObjectNotFound',
      distro,
    );
  if (!found.running && !context.config.wsl.startStopped)
    throw new EnvironmentError(
      `WSL distribution ${distro} is stopped; start it (wsl -d ${distro}) or set wsl.startStopped, then run again`,
      'WslDistroStopped',
      'ResourceUnavailable',
      distro,
    );
  return findGo(found.name, context.env);
}

export const wslGoEnvEffector: Effector = {
  kind: 'wsl-go-env',
  knows: (name) => parseName(name) !== undefined,

  async read(names, context) {
    const values: Record<string, SettingValue> = {};
    for (const [distro, items] of byDistro(names)) {
      const go = await reachGo(distro, context);
      const file = go ? await readDistroGoFile(distro, go, context.env) : {};
      for (const { name, key } of items) values[name] = wslGoValue(file[key]);
    }
    return values;
  },

  async write(values, context) {
    for (const [distro, items] of byDistro(Object.keys(values))) {
      const wanted = Object.fromEntries(
        items.map(({ name, key }) => {
          const value = values[name] as SettingValue;
          return [key, value.was === 'set' ? value.value : undefined];
        }),
      );
      const go = await reachGo(distro, context);
      // Unsetting in a distribution whose go is gone (a restore) is done already: read says unset.
      if (!go && Object.values(wanted).every((v) => v === undefined)) continue;
      if (!go)
        throw new ToolFailedError(
          `WSL distribution ${distro} has no go (on PATH or in /usr/local/go/bin)`,
          WSL.exe,
        );
      await writeDistroGoEnv(distro, go, wanted, context.env);
    }
  },
};

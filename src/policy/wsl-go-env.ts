// go inside WSL kept in step with the decision (issue #20), pure: the distributions as found
// and the values the Windows side gets in, changes of "wsl-go-env:<distro>/<KEY>" settings out.
import type { Config } from '../config/schema.js';
import type { Change, SettingValue } from '../settings/effector.js';
import { guardEntryOf, withoutGuard } from './guard-mode.js';

/** The keys of a distribution's go env GoProxyGuard keeps in step. */
export const WSL_GO_KEYS = ['GOPROXY', 'GOSUMDB'] as const;
export type WslGoKey = (typeof WSL_GO_KEYS)[number];

/** A value of a go env file, as backed up ("GOENV": a plain KEY=VALUE line). */
export const wslGoValue = (value: string | undefined): SettingValue =>
  value === undefined ? { was: 'unset' } : { was: 'set', type: 'GOENV', value };

export interface DistroFacts {
  name: string;
  running: boolean;
  /** Whether it has go; absent when it was not looked into (stopped, and not to be started). */
  go?: boolean;
  /** What its go env file sets (a key absent: not set). */
  file?: Partial<Record<WslGoKey, string>>;
}

export interface WslFacts {
  distros: DistroFacts[];
  /** .wslconfig networkingMode=mirrored: 127.0.0.1 in a distribution is Windows' own. */
  mirrored: boolean;
  notes?: string[];
}

/** How a distribution follows the decision, for status, plan and doctor. */
export interface DistroFollowing {
  name: string;
  follows: 'guard' | 'mirrors' | 'no go' | 'stopped';
  goproxy?: string;
  gosumdb?: string;
}

export interface WslPlan {
  changes: Change[];
  distros: DistroFollowing[];
  notes: string[];
}

/**
 * Each distribution with go gets the GOPROXY and GOSUMDB Windows' go gets. Guard mode reaches a
 * distribution only over mirrored networking (the guard listens on Windows' loopback); under
 * NAT, WSL's default, 127.0.0.1 is the distribution's own, so it gets the mirror list after the
 * guard instead. A stopped distribution is left for a later run unless wsl.startStopped.
 */
export function planWslGoEnv(
  facts: WslFacts,
  wanted: Record<WslGoKey, SettingValue>,
  config: Pick<Config, 'wsl'>,
): WslPlan {
  const plan: WslPlan = { changes: [], distros: [], notes: [...(facts.notes ?? [])] };
  if (!config.wsl.enabled) return { changes: [], distros: [], notes: [] };
  const goproxy = wanted.GOPROXY.was === 'set' ? wanted.GOPROXY.value : undefined;
  const guarded = goproxy !== undefined && guardEntryOf(goproxy) !== undefined;
  const forDistro: Record<WslGoKey, SettingValue> = {
    GOPROXY: guarded && !facts.mirrored ? wslGoValue(withoutGuard(goproxy as string)) : wanted.GOPROXY,
    GOSUMDB: wanted.GOSUMDB,
  };
  const follows = guarded && facts.mirrored ? 'guard' : 'mirrors';
  if (guarded && !facts.mirrored)
    plan.notes.push(
      'WSL: networking is not mirrored (.wslconfig networkingMode), so the guard proxy on Windows is out of reach: distributions get the mirror list',
    );
  for (const distro of facts.distros) {
    if (distro.go === undefined) {
      plan.distros.push({ name: distro.name, follows: 'stopped' });
      plan.notes.push(
        `WSL ${distro.name}: stopped, left as it is (set wsl.startStopped to start it for this)`,
      );
      continue;
    }
    if (!distro.go) {
      plan.distros.push({ name: distro.name, follows: 'no go' });
      plan.notes.push(
        `WSL ${distro.name}: no go found (on PATH or in /usr/local/go/bin), nothing to keep in step`,
      );
      continue;
    }
    for (const key of WSL_GO_KEYS) {
      const from = wslGoValue(distro.file?.[key]);
      const to = forDistro[key];
      // An unset wanted value means the decision leaves that key alone: so does the distro.
      if (to.was === 'unset' || (from.was === 'set' && from.value === to.value)) continue;
      plan.changes.push({ setting: `wsl-go-env:${distro.name}/${key}`, from, to });
    }
    const value = (v: SettingValue) => (v.was === 'set' ? v.value : undefined);
    plan.distros.push({
      name: distro.name,
      follows,
      ...(value(forDistro.GOPROXY) ? { goproxy: value(forDistro.GOPROXY) } : {}),
      ...(value(forDistro.GOSUMDB) ? { gosumdb: value(forDistro.GOSUMDB) } : {}),
    });
  }
  return plan;
}

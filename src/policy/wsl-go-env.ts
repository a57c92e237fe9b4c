// go inside WSL kept in step with the decision (issue #20), pure: the distributions as found
// and the values the Windows side gets in, changes of "wsl-go-env:<distro>/<KEY>" settings out.
import type { Config } from '../config/schema.js';
import type { Change, SettingValue } from '../settings/effector.js';
import { hideSecrets } from '../settings/setting-value.js';
import { guardEntryOf, withoutGuard } from './guard-mode.js';

/** The keys of a distribution's go env GoProxyGuard keeps in step. */
export const WSL_GO_KEYS = ['GOPROXY', 'GOSUMDB'] as const;
export type WslGoKey = (typeof WSL_GO_KEYS)[number];

/** A value of a go env file, as backed up ("GOENV": a plain KEY=VALUE line). */
export const wslGoValue = (value: string | undefined): SettingValue =>
  value === undefined ? { was: 'unset' } : { was: 'set', type: 'GOENV', value };

/**
 * The variables of a distribution's environment that decide whether its go follows: the keys
 * kept in step, and GOENV, which names the env file go reads (another file than the one
 * GoProxyGuard writes, or none at all with GOENV=off).
 */
export const WSL_ENV_VARIABLES = [...WSL_GO_KEYS, 'GOENV'] as const;
export type WslEnvVariable = (typeof WSL_ENV_VARIABLES)[number];

/** Go variables set in an environment, each non-empty (go ignores an empty GOPROXY or GOSUMDB). */
export type GoVariables = Partial<Record<WslEnvVariable, string>>;

/**
 * A distribution's environment as go meets it: `exec` under `wsl --exec` (before any startup
 * file: what Windows passes through WSLENV), `shell` in a terminal (after the login shell's
 * startup files); or why it could not be read.
 */
export type WslEnvironment = { exec: GoVariables; shell: GoVariables } | { unread: string };

export interface DistroFacts {
  name: string;
  running: boolean;
  /** Whether it has go; absent when it was not looked into (stopped, and not to be started). */
  go?: boolean;
  /** What its go env file sets (a key absent: not set). */
  file?: Partial<Record<WslGoKey, string>>;
  /** Its environment, looked into only where it has go. */
  environment?: WslEnvironment;
}

/** A variable of the distribution's environment that wins over the value in go's env file. */
export interface EnvironmentOverride {
  variable: WslEnvVariable;
  value: string;
  from: 'login shell' | 'Windows through WSLENV';
  fix: string;
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
  follows: 'guard' | 'mirrors' | 'no go' | 'stopped' | 'overridden';
  goproxy?: string;
  gosumdb?: string;
  /** Why it does not follow though its env file does ('overridden'). */
  overrides?: EnvironmentOverride[];
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
 * guard instead. A stopped distribution is left for a later run unless wsl.startStopped. One
 * whose terminal environment sets another value is 'overridden' (environmentOverrides).
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
    const { overrides, notes } = environmentOverrides(distro, forDistro);
    plan.notes.push(...notes);
    plan.distros.push({
      name: distro.name,
      follows: overrides.length > 0 ? 'overridden' : follows,
      ...(value(forDistro.GOPROXY) ? { goproxy: value(forDistro.GOPROXY) } : {}),
      ...(value(forDistro.GOSUMDB) ? { gosumdb: value(forDistro.GOSUMDB) } : {}),
      ...(overrides.length > 0 ? { overrides } : {}),
    });
  }
  return plan;
}

/**
 * The variables of a distribution's terminal environment that differ from what its env file is
 * given: go takes a non-empty environment variable over the file (and `go env -w` writes the
 * file anyway, only warning), so go there does not follow. The env file is still kept in step:
 * it applies again once the variable goes. GoProxyGuard never edits a user's startup files.
 */
function environmentOverrides(
  distro: DistroFacts,
  forDistro: Record<WslGoKey, SettingValue>,
): { overrides: EnvironmentOverride[]; notes: string[] } {
  const environment = distro.environment;
  if (!environment) return { overrides: [], notes: [] };
  if ('unread' in environment)
    return {
      overrides: [],
      notes: [
        `WSL ${distro.name}: its login shell could not be read (${environment.unread}), so whether a shell startup file overrides GOPROXY, GOSUMDB or GOENV there is unknown`,
      ],
    };
  const overrides: EnvironmentOverride[] = [];
  for (const variable of WSL_GO_KEYS) {
    const wanted = forDistro[variable];
    const value = environment.shell[variable];
    if (wanted.was === 'unset' || value === undefined || value === wanted.value) continue;
    const fromWindows = environment.exec[variable] === value;
    overrides.push({
      variable,
      value: hideSecrets(value),
      from: fromWindows ? 'Windows through WSLENV' : 'login shell',
      fix: fromWindows
        ? `take ${variable} out of WSLENV on Windows, so the distribution's go reads its env file`
        : `remove "export ${variable}=..." from the distribution's shell startup files (~/.bashrc, ~/.profile, /etc/profile.d/*.sh, /etc/environment), so go reads its env file`,
    });
  }
  // GoProxyGuard writes the env file go reads under --exec; a terminal whose GOENV names another
  // file (or none: GOENV=off) does not read it, whatever that file says.
  const wantsAny = WSL_GO_KEYS.some((key) => forDistro[key].was === 'set');
  const { exec, shell } = environment;
  if (wantsAny && exec.GOENV && shell.GOENV && shell.GOENV !== exec.GOENV)
    overrides.push({
      variable: 'GOENV',
      value: shell.GOENV,
      from: 'login shell',
      fix: `remove "export GOENV=..." from the distribution's shell startup files (~/.bashrc, ~/.profile, /etc/profile.d/*.sh, /etc/environment), so go reads the env file GoProxyGuard keeps (${exec.GOENV})`,
    });
  return {
    overrides,
    notes: overrides.map(
      (o) =>
        `WSL ${distro.name}: ${o.variable}=${o.value} (from ${o.from}) overrides go's env file, so go in its terminals does not follow: ${o.fix}`,
    ),
  };
}

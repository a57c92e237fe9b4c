import {
  type Change,
  type Effector,
  type EffectorContext,
  parseSettingId,
  type SettingKind,
  type SettingValue,
} from '../settings/effector.js';
import { goEnv } from './go-env.js';
import { hostsEffector } from './hosts.js';
import { userEnv } from './user-env.js';
import { notifyWindows } from './windows-notice.js';
import { winhttp } from './winhttp.js';
import { wininet } from './wininet.js';
import { wslGoEnvEffector } from './wsl-go-env.js';

/**
 * Every effector by kind, in the order the loop writes them: go's env file first (the change
 * every run makes), then the Windows settings, then the hosts file's pins and go inside WSL
 * (issue #20). A kind without an effector is refused by name, never skipped.
 */
export const EFFECTORS: Partial<Record<SettingKind, Effector>> = {
  'go-env': goEnv,
  'user-env': userEnv,
  wininet,
  winhttp,
  hosts: hostsEffector,
  'wsl-go-env': wslGoEnvEffector,
};

/** The kinds whose programs are told in one native helper run (see windows-notice.ts). */
const WINDOWS_NOTICE: readonly SettingKind[] = ['user-env', 'wininet'];

export function effectorFor(kind: SettingKind): Effector {
  const effector = EFFECTORS[kind];
  if (!effector) throw new Error(`no effector for settings of kind ${kind} in this version of GoProxyGuard`);
  return effector;
}

/** Whether a backed-up id names a setting some effector manages (restore writes nothing else). */
export function isManaged(id: string): boolean {
  const parsed = parseSettingId(id);
  return parsed !== undefined && EFFECTORS[parsed.kind]?.knows(parsed.name) === true;
}

/** Ids grouped by kind, kinds in the effectors' order, names in the order given. */
export function byKind<T>(entries: readonly (readonly [string, T])[]): [Effector, [string, T][]][] {
  const groups = new Map<SettingKind, [string, T][]>();
  for (const [id, item] of entries) {
    const parsed = parseSettingId(id);
    if (!parsed) throw new Error(`${id} is not a setting id ("<kind>:<name>")`);
    groups.set(parsed.kind, [...(groups.get(parsed.kind) ?? []), [parsed.name, item]]);
  }
  const order = Object.keys(EFFECTORS);
  return [...groups]
    .sort(([a], [b]) => rank(order, a) - rank(order, b))
    .map(([kind, items]) => [effectorFor(kind), items]);
}

const rank = (order: string[], kind: string) => (order.includes(kind) ? order.indexOf(kind) : order.length);

/** Reads settings by id, each kind with its effector (kinds at once). */
export async function readSettings(
  ids: readonly string[],
  context: EffectorContext,
): Promise<Record<string, SettingValue>> {
  const read = await Promise.all(
    byKind(ids.map((id) => [id, id] as const)).map(async ([effector, names]) => {
      const values = await effector.read(
        names.map(([name]) => name),
        context,
      );
      return names.map(([name, id]) => [id, values[name] ?? { was: 'unset' }] as const);
    }),
  );
  return Object.fromEntries(read.flat());
}

/**
 * Tells the system about changes written and verified: the user environment and WinINet in one
 * native helper run, every other kind through its own notify. Lines for the history; never throws.
 */
export async function notifyChanges(
  changes: readonly Change[],
  context: EffectorContext,
  known: Readonly<Record<string, SettingValue>>,
): Promise<string[]> {
  const kindOf = (c: Change) => parseSettingId(c.setting)?.kind as SettingKind;
  const lines = await notifyWindows(
    changes.filter((c) => WINDOWS_NOTICE.includes(kindOf(c))),
    context,
    known,
  );
  for (const [effector, items] of byKind(changes.map((c) => [c.setting, c] as const))) {
    if (effector.notify && !WINDOWS_NOTICE.includes(effector.kind))
      lines.push(
        ...(await effector.notify(
          items.map(([, c]) => c),
          context,
        )),
      );
  }
  return lines;
}

import type { LoadedConfig } from '../config/load.js';
import type { Plan } from '../guard/plan.js';
import { goChangeRows, systemChanges } from '../settings/change-rows.js';
import { showValue } from '../settings/setting-value.js';
import { UsageError } from './argv.js';
import { loadSettings } from './config-sources.js';
import type { CommandIO } from './definition.js';
import { renderPinsAndWsl } from './pins-and-wsl.js';
import { renderTable } from './table.js';

/**
 * Loads the config for a probing command (policy, then file, then defaults), with the
 * --deadline-ms and --textfile overrides applied unless policy fixes the field, the proxy go would use in
 * this environment and, on Windows, the roots of its certificate store (go trusts them; Node
 * alone would not). `record`: a command that changes the machine records ignored policy values.
 */
export async function loadForRun(
  options: { config?: string; deadline?: number; offline?: boolean; textfile?: string },
  io: CommandIO,
  record = false,
): Promise<LoadedConfig> {
  const { env } = io;
  const [settings, { routeFromEnv }, { withOption }, windowsRoots] = await Promise.all([
    loadSettings(options.config, io, record),
    import('../probe/route.js'),
    import('../config/load.js'),
    options.offline ? [] : windowsTrust(io), // only probes need it
  ]);
  let loaded = settings;
  // Options set fields as the config does, below policy: a field policy fixes keeps its value.
  const overrides = [
    ['deadlineMs', options.deadline, '--deadline-ms'],
    ['schedule.textfile', options.textfile, '--textfile'],
  ] as const;
  for (const [field, value, flag] of overrides) {
    if (value === undefined) continue;
    const changed = withOption(loaded, field, value, flag);
    if (changed.warning) io.emit({ type: 'log', level: 'warning', message: changed.warning });
    loaded = changed.loaded;
  }
  const route = routeFromEnv(env);
  const extraCas = [...loaded.extraCas, ...windowsRoots];
  return route ? { ...loaded, extraCas, route } : { ...loaded, extraCas };
}

/** The Windows store's roots Node lacks, labelled for the evidence; none off Windows. */
async function windowsTrust(io: CommandIO): Promise<string[]> {
  const { windowsEffects } = await import('../system/platform.js');
  if (!windowsEffects(io.env)) return [];
  const [{ readWindowsRoots }, { trustedThrough }] = await Promise.all([
    import('../system/windows-roots.js'),
    import('../probe/run-context.js'),
  ]);
  const { roots, unreadable } = await readWindowsRoots(io.env);
  for (const store of unreadable) {
    io.emit({
      type: 'log',
      level: 'warning',
      message: `a Windows root store was not read, so its roots are not trusted by the probes: ${store}`,
    });
  }
  return roots.map((root) => trustedThrough(`the Windows certificate store (${root.store})`, root.pem));
}

/**
 * How long status and doctor wait for the guard proxy's status: it answers from memory on
 * loopback, so a guard that takes longer is stuck, and status must stay quick.
 */
export const GUARD_ASK_MS = 1000;

/** The plan as a person reads it: the settings now and planned, why, and each mirror's place. */
export function renderPlan(plan: Plan, heading: string): string {
  const lines = [heading, ''];
  const goChanges = goChangeRows(plan.changes);
  for (const { setting, value, source } of plan.current) {
    const change = goChanges.find((c) => c.setting === setting);
    lines.push(`${setting.padEnd(8)} now:  ${value} (${source})`);
    lines.push(`${''.padEnd(8)} plan: ${change ? change.to : 'unchanged'}`);
  }
  lines.push(
    '',
    renderTable(
      ['MIRROR', 'VERDICT', 'IN LIST', 'WHY'],
      plan.decision.mirrors.map((m) => [m.name, m.verdict, m.inList ? 'yes' : 'no', m.why]),
    ),
  );
  lines.push(
    '',
    `checksum database ${plan.database.name}: ${plan.database.healthy ? 'answers' : 'does not answer'} (${plan.database.evidence})`,
  );
  const proxy = plan.proxy;
  if (proxy) {
    lines.push(
      '',
      renderTable(
        ['PROXY', 'VERDICT', 'ELIGIBLE', 'WHY'],
        proxy.proxies.map((p) => [p.name, p.verdict, p.eligible ? 'yes' : 'no', p.why]),
      ),
    );
  }
  const windows = systemChanges(plan.changes);
  if (windows.length > 0) {
    lines.push(
      '',
      renderTable(
        ['WINDOWS SETTING', 'NOW', 'PLAN'],
        windows.map((c) => [c.setting, showValue(c.from), showValue(c.to)]),
      ),
    );
  }
  lines.push(...renderPinsAndWsl(plan.pins, plan.wsl));
  for (const reason of plan.reasons) lines.push(`reason: ${reason}`);
  for (const warning of plan.decision.warnings) lines.push(`warning: ${warning}`);
  for (const note of plan.notes) lines.push(`note: ${note}`);
  lines.push(`go env file: ${plan.envFile}`);
  return lines.join('\n');
}

/** The configured mirrors with the given names, in config order; an unknown name is bad input. */
export function selectMirrors<M extends { name: string }>(mirrors: M[], names: string[]): M[] {
  const known = new Set(mirrors.map((m) => m.name.toLowerCase()));
  const unknown = names.find((name) => !known.has(name.toLowerCase()));
  if (unknown !== undefined) {
    throw new UsageError(
      '--mirror',
      `no mirror named "${unknown}" in the config; mirrors: ${mirrors.map((m) => m.name).join(', ')}`,
    );
  }
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  return mirrors.filter((m) => wanted.has(m.name.toLowerCase()));
}

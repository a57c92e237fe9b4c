// WSL targets for one run (issue #20): the distributions as found, and the rule.
import { planWslGoEnv, type WslGoKey, type WslPlan } from '../policy/wsl-go-env.js';
import type { EffectorContext, SettingValue } from '../settings/effector.js';
import { windowsEffects } from '../system/platform.js';
import { gatherWslFacts } from '../wsl/distros.js';

/**
 * This run's WSL plan: the distributions as found and the values Windows' go gets (the
 * decision's GOPROXY and GOSUMDB), through the rule. What the lead's apply/plan loop calls.
 */
export async function planWslTargets(
  context: EffectorContext,
  wanted: Record<WslGoKey, SettingValue>,
): Promise<WslPlan> {
  const { config, env } = context;
  if (!config.wsl.enabled) return { changes: [], distros: [], notes: [] };
  if (!windowsEffects(env))
    return {
      changes: [],
      distros: [],
      notes: ['wsl.enabled: WSL distributions are kept in step on Windows only'],
    };
  return planWslGoEnv(await gatherWslFacts(env, config.wsl.startStopped), wanted, config);
}

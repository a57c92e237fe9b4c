import type { PolicyKeyReading, PolicyReadings } from '../config/policy.js';
import { POLICY_KEYS, type PolicyScope } from '../config/policy-fields.js';
import { windowsEffects } from './platform.js';

/**
 * Reads the policy keys (HKLM, then HKCU \SOFTWARE\Policies\GoProxyGuard) on every run, with
 * their list subkeys: the registry API on Windows, one reg export per key on the Linux-side tier.
 * Off Windows there is no policy and nothing is loaded, so start-up pays nothing. A key that exists but cannot be read is named in
 * `unreadable` rather than failing the run: its policies are then not applied, loudly.
 */
export async function readPolicyKeys(env: NodeJS.ProcessEnv): Promise<PolicyReadings | undefined> {
  if (!windowsEffects(env)) return undefined;
  const { readKeyTree } = await import('./registry.js');
  const readings: PolicyReadings = { unreadable: [] };
  const read = async (scope: PolicyScope): Promise<PolicyKeyReading | undefined> => {
    const key = POLICY_KEYS[scope];
    try {
      const tree = await readKeyTree(key, env);
      return tree && { key, ...tree };
    } catch (error) {
      readings.unreadable.push(`${key}: ${(error as Error).message}`);
      return undefined;
    }
  };
  const [machine, user] = await Promise.all([read('machine'), read('user')]);
  if (machine) readings.machine = machine;
  if (user) readings.user = user;
  return readings;
}

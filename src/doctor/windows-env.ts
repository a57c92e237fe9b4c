import type { RegistryValue } from '../settings/setting-value.js';
import type { Finding } from './findings.js';

/** The variables whose origin matters for go on Windows. */
export const WATCHED = ['GOPROXY', 'GOSUMDB', 'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY'] as const;

/**
 * Where each variable this process sees comes from on Windows, from the user environment as the
 * registry holds it now (HKCU\Environment): a value the user environment lacks comes from the
 * machine environment (or was set in this window); a value that differs is this window's stale
 * copy or a machine value the user one overrides. New programs get the registry's.
 */
export function checkWindowsEnvironment(
  env: NodeJS.ProcessEnv,
  user: Record<string, RegistryValue>,
): Finding[] {
  const findings: Finding[] = [];
  for (const name of WATCHED) {
    const here = env[name];
    const stored = user[`user-env:${name}`] ?? { was: 'unset' };
    if (stored.was === 'unset') {
      if (here) {
        findings.push({
          severity: 'info',
          layer: 'settings',
          title: `${name} comes from the machine environment or this window, not your user environment`,
          evidence: [`this process: ${name}=${here}`, `HKCU\\Environment: no ${name}`],
          fix: `check HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment (an administrator's setting) or the script that opened this window`,
        });
      }
      continue;
    }
    if (here !== undefined && here !== stored.value && stored.type !== 'REG_EXPAND_SZ') {
      findings.push({
        severity: 'warning',
        layer: 'settings',
        title: `this window has an old ${name}: programs started from now on get the user environment's`,
        evidence: [`this process: ${name}=${here}`, `HKCU\\Environment: ${name}=${stored.value}`],
        fix: 'open a new terminal (or sign out and in) so go sees the current value',
      });
    } else if (here === undefined) {
      findings.push({
        severity: 'warning',
        layer: 'settings',
        title: `${name} is in your user environment but not in this window: it was set after the window opened`,
        evidence: [`HKCU\\Environment: ${name}=${stored.value}`],
        fix: 'open a new terminal so go sees it',
      });
    }
  }
  return findings;
}

import type { GuardState } from '../state/store.js';
import type { Finding } from './findings.js';

/**
 * A finding for each variable that keeps go in a WSL distribution from following, as the last
 * plan recorded it (the doctor does not run wsl.exe): go there takes the environment over its
 * env file, which GoProxyGuard keeps in step.
 */
export function wslFindings(wsl: NonNullable<GuardState['wsl']>): Finding[] {
  return wsl.flatMap((distro) =>
    (distro.overrides ?? []).map(
      (o): Finding => ({
        severity: 'warning',
        layer: 'settings',
        title: `go in WSL distribution ${distro.name} does not follow: ${o.variable} from ${o.from} overrides its env file`,
        evidence: [`${o.variable}=${o.value} in ${distro.name}'s terminal environment (from ${o.from})`],
        fix: o.fix,
      }),
    ),
  );
}

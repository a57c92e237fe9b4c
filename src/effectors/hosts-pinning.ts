// Hosts pinning for one run (issue #20): the facts the rule needs, gathered, and the rule.
import { gatherNameProofs, systemDnsServer } from '../hosts/proof.js';
import { type PinPlan, planHostsPins } from '../policy/pin-hosts.js';
import type { ProbeContext } from '../probe/context.js';
import type { EffectorContext } from '../settings/effector.js';
import { hostsWritable, readPinned } from './hosts.js';

/**
 * This run's pinning plan: the block as it is, each mirror name's proof gathered against the
 * DNS server itself (dns.systemResolver, else the system's; never the hosts file, which would
 * answer a pinned name with its pin), and the rule. What the lead's apply/plan loop calls.
 */
export async function planHostsPinning(context: EffectorContext, probe: ProbeContext): Promise<PinPlan> {
  const { config } = context;
  // With pinning off the file is read only to clean up after an earlier opt-in; a hosts file
  // that cannot be read then is not a reason to fail a run that never asked for pinning.
  const pinned = await readPinned(context).catch((error: Error) => {
    if (config.dns.pin) throw error;
    return undefined;
  });
  if (!pinned || (!config.dns.pin && Object.keys(pinned).length === 0))
    return { changes: [], pins: [], notes: [] };
  const server = probe.systemResolver ?? systemDnsServer();
  const names = config.dns.pin
    ? await gatherNameProofs(config.mirrors, pinned, {
        ...probe,
        dnsCache: new Map(),
        ...(server ? { systemResolver: server } : {}),
      })
    : [];
  return planHostsPins({ names, pinned, writable: await hostsWritable(context) }, config);
}

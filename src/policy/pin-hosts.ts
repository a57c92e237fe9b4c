// Hosts pinning (issue #20), pure: what the probes learned about each mirror's name in, the
// hosts entries GoProxyGuard wants out, as changes of "hosts:<name>" settings.
import type { Config } from '../config/schema.js';
import type { DnsAssessment } from '../probe/dns-verdict.js';
import type { Change, SettingValue } from '../settings/effector.js';

/** How the system's own DNS answered a name, judged. "unknown": nothing to go on this run. */
export type SystemAnswer = 'healthy' | 'hijacked' | 'failed' | 'unknown';

/** What this run learned about one mirror host name. */
export interface NameProof {
  host: string;
  /**
   * The system DNS answer, asked of the DNS server itself: a name already pinned would be
   * answered by the hosts file and say nothing about whether the pin is still needed.
   */
  system: SystemAnswer;
  /** Addresses from the trusted resolvers (and the ones pinned now) that completed a TLS handshake for this name. */
  proven: string[];
  /** Why, in cmd/go style: the probe's DNS evidence and which address proved what. */
  evidence: string[];
}

export interface PinFacts {
  /** The hosts block now: name -> addresses. */
  pinned: Record<string, string[]>;
  names: NameProof[];
  /** Whether this run may write the hosts file (on Windows: an elevated run). */
  writable: boolean;
}

export interface Pin {
  host: string;
  addresses: string[];
  /** What proved the addresses, for status, plan and doctor. */
  proof: string[];
}

export interface PinPlan {
  changes: Change[];
  /** The entries the block holds once the changes are made. */
  pins: Pin[];
  notes: string[];
}

/** A hosts entry as a setting value: the addresses, space-separated, in the order written. */
export function hostsValue(addresses: readonly string[]): SettingValue {
  return addresses.length === 0
    ? { was: 'unset' }
    : { was: 'set', type: 'HOSTS', value: addresses.join(' ') };
}

export function addressesOf(value: SettingValue): string[] {
  return value.was === 'unset' ? [] : value.value.split(' ').filter(Boolean);
}

/**
 * The system answer of a name from the DNS judgement (assessDns). An answer disjoint from the
 * trusted ones is settled by TLS, as the probe settles it (CDNs answer differently by place):
 * whether a system address completed a handshake for the name; undefined when none was tried.
 */
export function systemAnswerOf(assessment: DnsAssessment, systemAddressProved?: boolean): SystemAnswer {
  if (assessment.verdict === 'dns-hijacked') return 'hijacked';
  if (assessment.verdict === 'dns-failed' || assessment.verdict === 'timeout') return 'failed';
  if (!assessment.disjoint) return 'healthy';
  if (systemAddressProved === undefined) return 'unknown';
  return systemAddressProved ? 'healthy' : 'hijacked';
}

const sorted = (addresses: readonly string[]) => [...new Set(addresses)].sort();
function same(a: readonly string[], b: readonly string[]): boolean {
  const [x, y] = [sorted(a), sorted(b)];
  return x.length === y.length && x.every((address, i) => address === y[i]);
}

/**
 * The hosts entries wanted for the mirrors' names. A hijacked or failing system answer gets the
 * addresses that proved the name over TLS; a healthy one gets its entry removed; no proof this
 * run removes a pin too (a stale address is no better than a hijacked one); a name the probes
 * said nothing about keeps its entry. dns.pin off removes every entry: a pin nobody maintains
 * is the problem this feature exists to avoid.
 */
export function planHostsPins(facts: PinFacts, config: Pick<Config, 'dns'>): PinPlan {
  const wanted = new Map<string, { addresses: string[]; proof: string[] }>();
  const reasons = new Map<string, string>();
  const proofs = new Map(facts.names.map((name) => [name.host.toLowerCase(), name]));
  for (const [host, addresses] of Object.entries(facts.pinned)) {
    const proof = proofs.get(host);
    if (!config.dns.pin) reasons.set(host, `${host}: unpinned, dns.pin is off`);
    else if (!proof) reasons.set(host, `${host}: unpinned, no configured mirror uses that name any more`);
    else if (proof.system === 'unknown')
      wanted.set(host, { addresses, proof: ['kept: nothing was learned about this name this run'] });
  }
  if (config.dns.pin) {
    for (const proof of facts.names) {
      const host = proof.host.toLowerCase();
      if (proof.system === 'healthy')
        reasons.set(host, `${host}: unpinned, the system DNS answer is healthy again`);
      else if (proof.system !== 'unknown' && proof.proven.length === 0)
        reasons.set(host, `${host}: not pinned, no trusted address proved the name over TLS this run`);
      else if (proof.system !== 'unknown')
        wanted.set(host, { addresses: sorted(proof.proven), proof: proof.evidence });
    }
  }
  const changes: Change[] = [];
  const notes: string[] = [];
  const names = sorted([...Object.keys(facts.pinned), ...wanted.keys()]);
  for (const host of names) {
    const before = facts.pinned[host] ?? [];
    const after = wanted.get(host)?.addresses ?? [];
    if (same(before, after)) continue;
    changes.push({ setting: `hosts:${host}`, from: hostsValue(before), to: hostsValue(after) });
    if (after.length > 0)
      notes.push(
        `${host}: pinned to ${after.join(', ')} (${wanted.get(host)?.proof.join('; ') || 'proven over TLS'})`,
      );
    else notes.push(reasons.get(host) ?? `${host}: unpinned`);
  }
  const pins = [...wanted.entries()].map(([host, w]) => ({ host, addresses: w.addresses, proof: w.proof }));
  if (changes.length > 0 && !facts.writable) {
    return {
      changes: [],
      pins: Object.entries(facts.pinned).map(([host, addresses]) => ({ host, addresses, proof: [] })),
      notes: [
        `the hosts file was left alone: it is machine-wide and needs an elevated run (Run as administrator); it would change: ${notes.join('; ')}`,
      ],
    };
  }
  return { changes, pins, notes };
}

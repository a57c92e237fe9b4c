import { bogonKind } from '../dns/bogons.js';
import type { DnsObservation } from './dns-observation.js';

/** Resolver failures as a person would name them, keyed by getaddrinfo / c-ares code. */
export const DNS_REASONS: Record<string, string> = {
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'no DNS server answered (temporary failure)',
  ESERVFAIL: 'the DNS server failed (SERVFAIL)',
  EREFUSED: 'the DNS server refused the query',
  ECONNREFUSED: 'the DNS server refused the connection',
  ETIMEOUT: 'the DNS server did not answer',
  ENODATA: 'the name has no address records',
};

export interface DnsAssessment {
  /** Set when DNS alone decides the verdict; the mirror is then not contacted. */
  verdict?: 'dns-hijacked' | 'dns-failed' | 'timeout';
  /** The system answers share no address with the trusted answers; TLS must prove the name. */
  disjoint: boolean;
  /** The system resolver answers for names that do not exist. */
  nxdomainHijack: boolean;
  evidence: string[];
}

const list = (addresses: string[]) => addresses.join(', ') || 'nothing';

/**
 * Judges what the resolvers said, as OONI does: bogon answers the trusted resolvers do not give,
 * a name the trusted resolvers say does not exist, answers disjoint from the trusted set (left
 * to TLS to settle, since CDNs answer differently by location), failure where DoH succeeds, and
 * NXDOMAIN rewriting. Pure.
 */
export function assessDns(dns: DnsObservation, deadlineMs: number): DnsAssessment {
  const answered = dns.trusted.filter((t) => t.status === 'answered');
  const trustedAddresses = [...new Set(answered.flatMap((t) => t.addresses))];
  const trustedNote = answered.length
    ? `; trusted resolver ${answered[0]?.resolver} answered ${list(trustedAddresses)}`
    : '';
  const assessment: DnsAssessment = { disjoint: false, nxdomainHijack: false, evidence: [] };
  if (dns.nonexistent && dns.nonexistent.systemAddresses.length > 0 && dns.nonexistent.trustedSaysMissing) {
    assessment.nxdomainHijack = true;
    assessment.evidence.push(
      `the system resolver answers for names that do not exist (${dns.nonexistent.name} -> ${list(dns.nonexistent.systemAddresses)}): NXDOMAIN hijacking`,
    );
  }
  if ('error' in dns.system) {
    const { code, message, timedOut } = dns.system.error;
    if (timedOut) {
      return {
        ...assessment,
        verdict: 'timeout',
        evidence: [
          `no answer within the ${deadlineMs} ms deadline during dns (lookup of ${dns.host})${trustedNote}`,
        ],
      };
    }
    const reason = DNS_REASONS[code] ?? message;
    return {
      ...assessment,
      verdict: 'dns-failed',
      evidence: [
        `dns lookup of ${dns.host} failed: ${reason} (${code})${trustedNote}`,
        ...assessment.evidence,
      ],
    };
  }
  const systemAddresses = dns.system.addresses;
  if (dns.trusted.length > 0 && answered.length === 0 && dns.trusted.some((t) => t.status === 'nxdomain')) {
    return {
      ...assessment,
      verdict: 'dns-hijacked',
      evidence: [
        `the system resolver answered ${list(systemAddresses)} for ${dns.host}, which does not exist according to ${dns.trusted.find((t) => t.status === 'nxdomain')?.resolver}`,
      ],
    };
  }
  if (answered.length === 0) return assessment; // nothing trusted to compare with
  // A bogon is suspicious when the trusted answers are not of the same kind: a public name
  // answered with 10.x is hijacked, while a name whose true address is loopback (a lab, a hosts
  // file) may legitimately resolve to another loopback address and is left to the TLS check.
  const trustedKinds = new Set(trustedAddresses.map(bogonKind));
  const bogus = systemAddresses.filter((a) => {
    const kind = bogonKind(a);
    return kind !== undefined && !trustedKinds.has(kind) && !trustedAddresses.includes(a);
  });
  if (bogus.length > 0) {
    return {
      ...assessment,
      verdict: 'dns-hijacked',
      evidence: [
        `the system resolver answered ${bogus.map((a) => `${a} (${bogonKind(a)})`).join(', ')} for ${dns.host}${trustedNote}`,
        ...assessment.evidence,
      ],
    };
  }
  if (!systemAddresses.some((a) => trustedAddresses.includes(a))) {
    assessment.disjoint = true;
    assessment.evidence.push(
      `the system resolver answered ${list(systemAddresses)} for ${dns.host}, disjoint from the trusted answers (${list(trustedAddresses)})`,
    );
  }
  return assessment;
}

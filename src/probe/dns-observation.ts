import type { TrustedAnswer } from './doh.js';

/** What the resolvers said about one host name. */
export interface DnsObservation {
  host: string;
  ms: number;
  system: { addresses: string[] } | { error: { code: string; message: string; timedOut: boolean } };
  /** One entry per dns.trusted resolver (DoH); empty for IP literals or when none is configured. */
  trusted: TrustedAnswer[];
  /** A random name under the host: a resolver that answers it while DoH says NXDOMAIN rewrites NXDOMAIN. */
  nonexistent?: { name: string; systemAddresses: string[]; trustedSaysMissing: boolean };
}

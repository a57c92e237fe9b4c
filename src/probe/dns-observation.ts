/** What one trusted (DoH) resolver said; an observation, so it lives here rather than in doh.ts (no cycle). */
export type TrustedAnswer =
  | { resolver: string; status: 'answered'; addresses: string[] }
  | { resolver: string; status: 'nxdomain' }
  | { resolver: string; status: 'failed'; error: string };

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

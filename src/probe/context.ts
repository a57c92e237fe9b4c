import type { SecureContext } from 'node:tls';
import type { DnsObservation } from './dns-observation.js';
import type { DohClient } from './doh.js';
import type { ProxyRoute } from './route.js';

/** What every probe in one run shares: the single deadline and how to resolve and trust. */
export interface ProbeContext {
  /** Aborted when the run's deadline passes; every socket and lookup listens to it. */
  signal: AbortSignal;
  deadlineMs: number;
  /** "host:port" of a DNS server used instead of the operating system's resolver. */
  systemResolver?: string;
  /** DoH resolvers (dns.trusted) whose answers the system resolver's are compared with. */
  trustedResolvers: string[];
  doh: DohClient;
  /** One lookup per host per run, shared by every mirror on that host. */
  dnsCache: Map<string, Promise<DnsObservation>>;
  /**
   * Trusts Node's root store plus tls.extraCaFiles (and on Windows the roots of its certificate
   * store); built once per run, shared by every probe.
   */
  secureContext: SecureContext;
  /** SHA-256 fingerprints of those extra roots and where each is trusted from, to name an inspection root. */
  extraCaFingerprints: Map<string, string>;
  canary: { module: string; version: string };
  sumdb: { name: string };
  /** The proxy go would use (HTTPS_PROXY, NO_PROXY): mirrors are probed the way go reaches them. */
  route?: ProxyRoute;
}

import type { Verdict } from '../probe/types.js';

/** What each verdict means for a person whose go downloads go through that mirror. */
export const VERDICT_MEANING: Record<Verdict, string> = {
  healthy: 'works: it answered the GOPROXY protocol correctly within the deadline',
  degraded:
    'works, but slowly, stale, or behind a resolver that lies about missing names: kept, ranked lower',
  'dns-failed': 'its name does not resolve: go fails at once with "no such host"',
  'dns-hijacked':
    'your resolver sends its name somewhere else (a bogon, or an address that cannot prove the name over TLS)',
  'tls-invalid': 'its certificate chain is broken or not trusted here: go fails with an x509 error',
  'http-error':
    'it answers, but with an error (502, 404/410, a redirect loop...): go stops, or moves on only with "|"',
  'bad-response': 'it answers 200 with something that is not what go asked for',
  'captive-portal': 'it answers 200 with an HTML login page: a captive portal or a proxy block page',
  timeout: 'it accepts the connection and never answers: with "," or "|" go waits forever on it',
  unreachable: 'nothing listens, or the connection is closed: go fails at once',
  'auth-required': 'the proxy wants credentials (407)',
  tampered: 'it serves a go.mod that differs from the checksum database: go would stop with SECURITY ERROR',
};

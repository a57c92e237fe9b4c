import type { MirrorHealth, MirrorObservation, Verdict } from './types.js';

/** Certificate problems as a person would name them, keyed by OpenSSL / Node error code. */
const TLS_REASONS: Record<string, string> = {
  CERT_HAS_EXPIRED: 'the certificate has expired',
  CERT_NOT_YET_VALID: 'the certificate is not valid yet (check the clock)',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the certificate is for another name',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'the chain ends in an untrusted root (corporate TLS inspection?)',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    'the issuer is not trusted here (missing intermediate, or a root not in the trust store)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the chain is incomplete (the server does not send its intermediate)',
  UNABLE_TO_GET_ISSUER_CERT: 'the chain is incomplete (issuer certificate missing)',
};

/** Resolver failures as a person would name them, keyed by getaddrinfo / c-ares code. */
const DNS_REASONS: Record<string, string> = {
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'no DNS server answered (temporary failure)',
  ESERVFAIL: 'the DNS server failed (SERVFAIL)',
  EREFUSED: 'the DNS server refused the query',
  ECONNREFUSED: 'the DNS server refused the connection',
  ETIMEOUT: 'the DNS server did not answer',
  ENODATA: 'the name has no address records',
};

const SEMVER_LINE = /^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+incompatible)?$/;

export interface VerdictInput {
  name: string;
  url: string;
  observation: MirrorObservation;
  latencyMs: number;
  canaryVersion: string;
  deadlineMs: number;
}

/** Judges one observation. Pure: the same observation always gets the same verdict. */
export function judgeMirror(input: VerdictInput): MirrorHealth {
  const { observation } = input;
  const [verdict, evidence] = classify(input);
  const reachedBody = verdict === 'healthy' || verdict === 'degraded';
  return {
    name: input.name,
    url: input.url,
    verdict,
    healthy: verdict === 'healthy',
    latencyMs: reachedBody ? Math.round(input.latencyMs) : null,
    address: observation.address ?? null,
    phases: observation.phases,
    evidence,
  };
}

function classify({ observation, canaryVersion, deadlineMs, url }: VerdictInput): [Verdict, string[]] {
  const where = observation.address ? ` (${observation.address})` : '';
  const failure = observation.failure;
  if (failure) {
    if (failure.timedOut) {
      return ['timeout', [`no answer within the ${deadlineMs} ms deadline during ${failure.phase}${where}`]];
    }
    switch (failure.phase) {
      case 'dns':
        return [
          'dns-failed',
          [
            `dns lookup of ${new URL(url).hostname} failed: ${DNS_REASONS[failure.code] ?? failure.message} (${failure.code})`,
          ],
        ];
      case 'connect':
        return ['unreachable', [`connect${where}: ${failure.code} ${failure.message}`]];
      case 'tls':
        return [
          'tls-invalid',
          [
            `tls${where}: ${TLS_REASONS[failure.code] ?? 'handshake failed'} (${failure.code}: ${failure.message})`,
          ],
        ];
      default:
        return ['http-error', [`${failure.phase}${where}: ${failure.code} ${failure.message}`]];
    }
  }
  const response = observation.response;
  if (!response) return ['unreachable', ['the probe ended without a response']];
  const got = `GET ${response.url}: ${response.status}`;
  if (response.status >= 300 && response.status < 400) {
    return ['http-error', [`${got} redirect to ${response.location ?? '(no Location header)'} not followed`]];
  }
  if (response.status === 404 || response.status === 410) {
    return ['http-error', [`${got}: the mirror does not serve the canary module`]];
  }
  if (response.status !== 200) return ['http-error', [got]];
  if (/text\/html/i.test(response.contentType) || /^\s*</.test(response.body)) {
    return [
      'captive-portal',
      [`${got} with an HTML page (${response.contentType || 'no content type'}), not a version list`],
    ];
  }
  if (response.truncated) return ['bad-response', [`${got} with a body too large for a version list`]];
  const lines = response.body
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const bad = lines.find((line) => !SEMVER_LINE.test(line));
  if (bad !== undefined) {
    return [
      'bad-response',
      [`${got} but the body is not a version list (line ${JSON.stringify(bad.slice(0, 80))})`],
    ];
  }
  if (!lines.includes(canaryVersion)) {
    return [
      'degraded',
      [`${got}; the version list (${lines.length} versions) lacks ${canaryVersion}: stale mirror?`],
    ];
  }
  return ['healthy', [`${got}, ${lines.length} versions including ${canaryVersion}`]];
}

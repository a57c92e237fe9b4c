import { hashGoMod } from '../integrity/h1.js';
import { DNS_REASONS } from './dns-verdict.js';
import type {
  DatabaseHealth,
  DatabaseObservation,
  Exchange,
  MirrorHealth,
  MirrorObservation,
  ProxyHealth,
  ProxyObservation,
  SumdbStatus,
  Verdict,
} from './types.js';

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

const SEMVER_LINE = /^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+incompatible)?$/;
/** Connection-level failures: the peer went away rather than answering badly. */
const DROPPED = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNREFUSED']);

export interface VerdictInput {
  name: string;
  url: string;
  observation: MirrorObservation;
  latencyMs: number;
  canary: { module: string; version: string };
  deadlineMs: number;
  /** The canary's go.mod hash from a verified checksum database record, when there is one. */
  integrity?: { modHash: string; database: string; treeSize: number } | undefined;
}

/** Judges one observation. Pure: the same observation always gets the same verdict. */
export function judgeMirror(input: VerdictInput): MirrorHealth {
  const { observation } = input;
  let [verdict, evidence] = classify(input);
  const dnsNotes = observation.dns.flatMap((d) => (d.assessment.verdict ? [] : d.assessment.evidence));
  if (verdict === 'healthy' && observation.dns.some((d) => d.assessment.nxdomainHijack)) verdict = 'degraded';
  const sumdb = sumdbStatus(observation.exchanges);
  if (sumdb.status === 'broken' && verdict === 'healthy') verdict = 'degraded';
  if (verdict === 'healthy' && input.latencyMs > input.deadlineMs / 2) {
    verdict = 'degraded';
    evidence.push(
      `slow: ${Math.round(input.latencyMs)} ms, more than half the ${input.deadlineMs} ms deadline`,
    );
  }
  const tls = observation.tls ?? observation.failure?.tls ?? null;
  if (tls?.anchoredByExtraCa && (verdict === 'healthy' || verdict === 'degraded')) {
    // Worth knowing: go on this desktop must trust that root too (a corporate inspection CA?).
    evidence.push(
      `tls: trusted only through ${tls.anchorTrustedThrough ?? 'tls.extraCaFiles'} (${tls.anchoredByExtraCa})`,
    );
  }
  const reachedBody = verdict === 'healthy' || verdict === 'degraded';
  // go reaches this mirror through the proxy too; say so, since the proxy is part of the path.
  if (observation.via && reachedBody)
    evidence.push(
      `reached through the proxy ${observation.via} (${proxyVariableFor(input.url)}), as go does`,
    );
  evidence = [
    ...evidence,
    ...dnsNotes.filter((note) => !evidence.includes(note)),
    ...(reachedBody ? sumdb.evidence : []),
  ];
  return {
    name: input.name,
    url: input.url,
    verdict,
    healthy: verdict === 'healthy',
    latencyMs: reachedBody ? Math.round(input.latencyMs) : null,
    address: observation.address ?? null,
    phases: observation.phases,
    tls,
    sumdb: reachedBody ? sumdb.status : 'not-checked',
    evidence,
  };
}

function classify(input: VerdictInput): [Verdict, string[]] {
  const { observation, deadlineMs } = input;
  const decided = observation.dns.find((d) => d.assessment.verdict);
  if (decided?.assessment.verdict) {
    const via = decided.host === new URL(input.url).hostname ? '' : ` (redirect host ${decided.host})`;
    return [decided.assessment.verdict, decided.assessment.evidence.map((e, i) => (i === 0 ? e + via : e))];
  }
  const failure = observation.failure;
  if (failure) return classifyFailure(failure, observation, deadlineMs);
  for (const exchange of observation.exchanges.filter((e) => !e.step.startsWith('sumdb'))) {
    const problem = checkExchange(exchange, input.canary);
    if (problem) return problem;
  }
  const mod = observation.exchanges.find((e) => e.step === 'mod' && e.status === 200);
  if (mod && input.integrity) {
    const served = hashGoMod(mod.bytes);
    if (served !== input.integrity.modHash) {
      const { module, version } = input.canary;
      return [
        'tampered',
        [
          `the go.mod of ${module}@${version} from this mirror hashes to ${served}, but the checksum database ${input.integrity.database} records ${input.integrity.modHash} (record proven in its signed tree of ${input.integrity.treeSize})`,
        ],
      ];
    }
  }
  const list = observation.exchanges.find((e) => e.step === 'list');
  const versions = list ? versionLines(list.body) : [];
  const via = list?.redirects.length
    ? ` via ${list.redirects.length} redirect(s) to ${list.redirects.at(-1)}`
    : '';
  if (!versions.includes(input.canary.version)) {
    return [
      'degraded',
      [
        `GET ${list?.url}: 200${via}; the version list (${versions.length} versions) lacks ${input.canary.version}: stale mirror?`,
      ],
    ];
  }
  return [
    'healthy',
    [
      `GET ${list?.url}: 200${via}, ${versions.length} versions including ${input.canary.version}; .info and .mod valid${mod && input.integrity ? '; .mod matches the checksum database' : ''}`,
    ],
  ];
}

function classifyFailure(
  failure: NonNullable<MirrorObservation['failure']>,
  observation: MirrorObservation,
  deadlineMs: number,
): [Verdict, string[]] {
  const where = observation.via
    ? ` (${failure.host} through the proxy ${observation.via})`
    : failure.host === observation.dns[0]?.host && observation.address
      ? ` (${observation.address})`
      : ` (${failure.host})`;
  if (failure.timedOut) {
    return ['timeout', [`${deadlineText(deadlineMs, failure.phase)}${where}`]];
  }
  const disjoint = observation.dns.find((d) => d.host === failure.host && d.assessment.disjoint);
  const tls = failure.tls ?? observation.tls;
  const chain = tls?.chain.length ? `; chain: ${tls.chain.join(' <- ')}` : '';
  const detail = failure.message === failure.code ? failure.code : `${failure.code}: ${failure.message}`;
  const tlsReason = `${TLS_REASONS[failure.code] ?? 'handshake failed'} (${detail})${chain}`;
  if (disjoint && (failure.phase === 'connect' || failure.phase === 'tls')) {
    // OONI's rule: an address the trusted resolvers did not give must prove the name over TLS.
    const how = failure.phase === 'tls' ? tlsReason : `${failure.code} ${failure.message}`;
    return [
      'dns-hijacked',
      [
        `${disjoint.assessment.evidence.at(-1)}; that address does not prove the name: ${failure.phase} ${how}`,
      ],
    ];
  }
  if (failure.code === 'PROXY_407') {
    return [
      'auth-required',
      [
        `${failure.message}: the proxy wants credentials (put them in its URL: http://user:password@host:port)`,
      ],
    ];
  }
  switch (failure.phase) {
    case 'dns':
      return [
        'dns-failed',
        [
          `dns lookup of ${failure.host} failed: ${DNS_REASONS[failure.code] ?? failure.message} (${failure.code})`,
        ],
      ];
    case 'connect':
      return ['unreachable', [`connect${where}: ${failure.code} ${failure.message}`]];
    case 'tls':
      return ['tls-invalid', [`tls${where}: ${tlsReason}`]];
    default:
      // A redirect nowhere a GOPROXY answer can live (file:, javascript:, data:, an invalid URL).
      if (failure.code === 'REDIRECT_REFUSED') return ['bad-response', [failure.message]];
      if (failure.code.startsWith('REDIRECT') || failure.code === 'TOO_MANY_REDIRECTS') {
        return ['http-error', [failure.message]];
      }
      if (DROPPED.has(failure.code)) {
        return [
          'unreachable',
          [`${failure.phase}${where}: the connection was closed (${failure.code} ${failure.message})`],
        ];
      }
      return ['http-error', [`${failure.phase}${where}: ${failure.code} ${failure.message}`]];
  }
}

const versionLines = (body: string) =>
  body
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

/** The first thing wrong with one GOPROXY exchange, or undefined when it is what go expects. */
function checkExchange(
  exchange: Exchange,
  canary: { module: string; version: string },
): [Verdict, string[]] | undefined {
  const got = `GET ${exchange.url}: ${exchange.status}`;
  if (exchange.status === 404 || exchange.status === 410) {
    return [
      'http-error',
      [`${got}: the mirror does not serve the canary module ${canary.module}@${canary.version}`],
    ];
  }
  if (exchange.status >= 300 && exchange.status < 400) {
    return ['http-error', [`${got} redirect without a Location header`]];
  }
  if (exchange.status !== 200) return ['http-error', [got]];
  if (/text\/html/i.test(exchange.contentType) || /^\s*</.test(exchange.body)) {
    return [
      'captive-portal',
      [`${got} with an HTML page (${exchange.contentType || 'no content type'}), not ${describe(exchange)}`],
    ];
  }
  if (exchange.truncated) return ['bad-response', [`${got} with a body too large for ${describe(exchange)}`]];
  if (exchange.step === 'list') {
    const bad = versionLines(exchange.body).find((line) => !SEMVER_LINE.test(line));
    if (bad !== undefined) {
      return [
        'bad-response',
        [`${got} but the body is not a version list (line ${JSON.stringify(bad.slice(0, 80))})`],
      ];
    }
  }
  if (exchange.step === 'info') {
    let info: { Version?: unknown } | undefined;
    try {
      info = JSON.parse(exchange.body);
    } catch {
      return [
        'bad-response',
        [`${got} but the body is not JSON (${JSON.stringify(exchange.body.slice(0, 60))})`],
      ];
    }
    if (info?.Version !== canary.version) {
      return [
        'bad-response',
        [`${got} but .info names version ${JSON.stringify(info?.Version)}, not ${canary.version}`],
      ];
    }
  }
  if (exchange.step === 'mod') {
    const declared = /^\s*module\s+"?([^\s"]+)"?/m.exec(exchange.body)?.[1];
    if (declared !== canary.module) {
      return [
        'bad-response',
        [
          `${got} but the go.mod declares ${declared ? `module ${declared}` : 'no module'}, not ${canary.module}`,
        ],
      ];
    }
  }
  return undefined;
}

const describe = (exchange: Exchange) =>
  ({
    list: 'a version list',
    info: 'a .info JSON',
    mod: 'a go.mod',
    'sumdb-supported': 'a sumdb answer',
    'sumdb-lookup': 'a sumdb record',
    database: 'a checksum database answer',
  })[exchange.step];

/** Whether the mirror proxies the checksum database, from the supported and lookup exchanges. */
function sumdbStatus(exchanges: Exchange[]): { status: SumdbStatus; evidence: string[] } {
  const supported = exchanges.find((e) => e.step === 'sumdb-supported');
  if (!supported) return { status: 'not-checked', evidence: [] };
  if (supported.status === 404 || supported.status === 410) return { status: 'not-proxied', evidence: [] };
  if (supported.status !== 200) {
    return { status: 'broken', evidence: [`sumdb: GET ${supported.url}: ${supported.status}`] };
  }
  const lookup = exchanges.find((e) => e.step === 'sumdb-lookup');
  if (!lookup) return { status: 'broken', evidence: ['sumdb: the lookup was not answered'] };
  const recordOk =
    lookup.status === 200 &&
    /^\d+\n/.test(lookup.body) &&
    /\n\ngo\.sum database tree\n\d+\n\S+\n\n\u2014 /.test(lookup.body);
  if (!recordOk) {
    return {
      status: 'broken',
      evidence: [
        `sumdb: GET ${lookup.url}: ${lookup.status} but the body is not a lookup record with a signed tree head`,
      ],
    };
  }
  return {
    status: 'proxied',
    evidence: [`sumdb: proxies the checksum database (lookup ${lookup.url} answered)`],
  };
}

/** The variable go takes a mirror's proxy from: HTTP_PROXY for plain http, else HTTPS_PROXY. */
function proxyVariableFor(url: string): string {
  return url.startsWith('http:') ? 'HTTP_PROXY' : 'HTTPS_PROXY';
}

/** Judges one proxy probe. Pure, like judgeMirror: the same observation, the same verdict. */
export function judgeProxy(input: {
  name: string;
  url: string;
  observation: ProxyObservation;
  latencyMs: number;
  deadlineMs: number;
}): ProxyHealth {
  const [verdict, evidence] = classifyProxy(input.observation, input.deadlineMs);
  return {
    name: input.name,
    url: input.url,
    verdict,
    healthy: verdict === 'healthy',
    latencyMs: verdict === 'healthy' ? Math.round(input.latencyMs) : null,
    target: input.observation.target,
    evidence,
  };
}

function classifyProxy(seen: ProxyObservation, deadlineMs: number): [Verdict, string[]] {
  const { failure } = seen;
  const request = seen.plain ? 'GET' : 'CONNECT';
  if (failure?.stage === 'dns') {
    return [
      failure.timedOut ? 'timeout' : 'dns-failed',
      [`dns lookup of proxy host ${seen.proxyHost} failed (${failure.code})`],
    ];
  }
  if (failure?.timedOut) {
    const during = failure.stage === 'request' ? request : failure.stage;
    return ['timeout', [`${deadlineText(deadlineMs, during)} (proxy ${seen.proxy})`]];
  }
  if (failure?.stage === 'connect')
    return ['unreachable', [`connect to proxy ${seen.proxy} (${seen.address}): ${failure.code}`]];
  if (seen.answer !== undefined) {
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(seen.answer)?.[1] ?? 0);
    const said = `${seen.plain ? `GET ${seen.targetOrigin}/` : `CONNECT ${seen.target}`} via ${seen.proxy}: ${seen.answer.split('\r\n')[0]}`;
    if (status === 407) {
      const realm = /^proxy-authenticate: *(.*)$/im.exec(seen.answer)?.[1] ?? 'no Proxy-Authenticate header';
      return [
        'auth-required',
        [`${said} (${realm}); put credentials in the proxy URL or use a proxy that knows this user`],
      ];
    }
    if (seen.plain) {
      // Any answer but a gateway failure came from the mirror.
      const reached = status > 0 && status !== 502 && status !== 504;
      return reached ? ['healthy', [`${said}; the mirror answered through it`]] : ['http-error', [said]];
    }
    if (status !== 200) return ['http-error', [said]];
    if (failure?.stage === 'tls') {
      return [
        'tls-invalid',
        [
          `the tunnel to ${seen.target} does not prove ${seen.targetHost} over TLS (${failure.code}): TLS inspection?`,
        ],
      ];
    }
    if (seen.tunnelVerified)
      return ['healthy', [`${said}; TLS with ${seen.targetHost} through the tunnel verified`]];
  }
  const code = failure?.code ?? 'ERROR';
  return ['http-error', [`${request} via ${seen.proxy}: ${code} ${failure?.message ?? 'no answer'}`]];
}

/**
 * One proxy's verdict when every tunnel through it failed: the one they share (a dead or hanging
 * proxy fails them all alike), 407 first; otherwise the first target's, with one evidence line
 * per target.
 */
export function judgeFailedTunnels(failures: ProxyHealth[]): ProxyHealth {
  const first = failures[0];
  if (!first) throw new Error('internal: a proxy probe needs at least one mirror to tunnel to');
  const authRequired = failures.find((f) => f.verdict === 'auth-required');
  if (authRequired) return authRequired;
  if (failures.every((f) => f.verdict === first.verdict && f.evidence[0] === first.evidence[0])) return first;
  return { ...first, evidence: failures.map((f) => `${f.target}: ${f.evidence[0] ?? f.verdict}`) };
}

/** How every probe says it ran out of time: the run's one deadline, and the step it cut short. */
export function deadlineText(deadlineMs: number, during: string): string {
  return `no answer within the ${deadlineMs} ms deadline during ${during}`;
}

/**
 * Judges the checksum-database probe. healthy as before (a well-formed, and with a key verified,
 * tree head); the verdict says what went wrong: a lie or a fork is `tampered`.
 */
export function judgeDatabase(input: {
  name: string;
  url: string;
  observation: DatabaseObservation;
  treeHead: DatabaseHealth['treeHead'];
  record: DatabaseHealth['record'];
  latencyMs: number;
  deadlineMs: number;
}): DatabaseHealth {
  const seen = input.observation;
  const [verdict, evidence] = classifyDatabase(seen, input.deadlineMs);
  const healthy = verdict === 'healthy';
  return {
    name: input.name,
    url: input.url,
    verdict,
    healthy,
    latencyMs: healthy ? Math.round(input.latencyMs) : null,
    evidence,
    treeHead: input.treeHead,
    record: input.record,
    forked: seen.seen === 'fork',
  };
}

function classifyDatabase(seen: DatabaseObservation, deadlineMs: number): [Verdict, string] {
  switch (seen.seen) {
    case 'status':
      return ['http-error', `GET ${seen.url}: ${seen.status}`];
    case 'not-a-tree-head':
      return ['bad-response', `GET ${seen.url}: 200 but the body is not a signed tree head`];
    case 'unverified-head':
      return ['healthy', `GET ${seen.url}: 200, a signed tree head (not verified: no sumdb.key)`];
    case 'bad-signature':
      return ['tampered', `${seen.url}: ${seen.message}`];
    case 'fork':
      return [
        'tampered',
        `FORK: the tree of ${seen.size} records does not contain the tree of ${seen.previous.size} verified before (root ${seen.previous.hash}): this database shows different histories to different clients`,
      ];
    case 'no-lookup':
      return ['healthy', `tree head verified (${seen.size} records); lookup ${seen.url}: ${seen.status}`];
    case 'not-proven':
      return [
        'tampered',
        `the lookup record ${seen.id} for ${seen.target.module}@${seen.target.version} is not in the signed tree of ${seen.size} records: the database (or whoever answers for it) lies`,
      ];
    case 'proven':
      return [
        'healthy',
        `tree head verified with ${seen.keyName}'s key (${seen.size} records); the record ${seen.id} of ${seen.target.module}@${seen.target.version} is proven in it`,
      ];
    case 'failure': {
      if (seen.dns?.verdict) return [seen.dns.verdict, seen.dns.evidence[0] ?? 'dns'];
      if (seen.timedOut) return ['timeout', deadlineText(deadlineMs, seen.phase)];
      const said = `${seen.phase}: ${seen.code} ${seen.message}`.trim();
      if (seen.phase === 'connect') return ['unreachable', said];
      if (seen.phase === 'tls') return ['tls-invalid', said];
      return ['http-error', said];
    }
  }
}

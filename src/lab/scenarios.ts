import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LabProxy, type ProxyMode, startConnectProxy } from './connect-proxy.js';
import { type DnsBehaviour, type LabDnsServer, startDnsServer, startDohServer } from './dns-server.js';
import { type LabMirror, type MirrorMode, type SumdbMode, startMirror } from './mirror.js';
import { LAB_CANARY, LAB_SUMDB, labLargeModule, labLargeRecord } from './modules.js';
import { createPki, type LeafFault } from './pki.js';
import { createLabDatabase, type LabDatabase } from './sumdb-server.js';

/** What the system resolver says about a mirror's name; the DoH resolver always tells the truth. */
export type DnsFault = 'bogon' | 'impostor' | 'cdn' | 'servfail' | 'silent';

export interface MirrorPlan {
  name: string;
  mode: MirrorMode;
  tls?: LeafFault;
  dns?: DnsFault;
  sumdb?: SumdbMode;
  /** Served over plain http (an intranet mirror), listed with allowInsecure. */
  plain?: boolean;
}

export interface ScenarioPlan {
  summary: string;
  mirrors: MirrorPlan[];
  /** The system resolver answers for names that do not exist (NXDOMAIN hijacking). */
  nxdomainHijack?: boolean;
  /** The lab trusts the inspection root through tls.extraCaFiles, as a managed desktop does. */
  trustInspectionRoot?: boolean;
  /** Whether the checksum database itself answers (default) or hangs. */
  database?: 'healthy' | 'hanging';
  /** Mirror URLs use 127.0.0.1 instead of lab names, for programs that cannot use the lab DNS (go). */
  addressUrls?: boolean;
  /** Outbound HTTP proxies (CONNECT, and absolute-form GET for http), in order of preference. */
  proxies?: { name: string; mode: ProxyMode }[];
  /** Every mirror also serves lab.test/large@v1.0.0 (LAB_LARGE) with this many bytes of content. */
  largeModuleBytes?: number;
}

const ok: MirrorMode = { kind: 'ok' };

/** Named scenarios a person (or a test) can start with `goproxy-guard lab --scenario NAME`. */
export const SCENARIOS: Record<string, ScenarioPlan> = {
  basic: {
    summary: 'one healthy, one hanging, one 502 and one captive-portal mirror',
    mirrors: [
      { name: 'healthy', mode: ok },
      { name: 'hanging', mode: { kind: 'hang' } },
      { name: 'bad-gateway', mode: { kind: 'status', status: 502 } },
      { name: 'captive', mode: { kind: 'captive' } },
    ],
  },
  healthy: { summary: 'a single healthy mirror', mirrors: [{ name: 'healthy', mode: ok }] },
  'all-down': {
    summary: 'a hanging mirror and a 502 mirror, nothing healthy',
    mirrors: [
      { name: 'hanging', mode: { kind: 'hang' } },
      { name: 'bad-gateway', mode: { kind: 'status', status: 502 } },
    ],
  },
  'tls-faults': {
    summary: 'expired, wrongly named, self-signed, incomplete and inspected TLS chains',
    mirrors: [
      { name: 'healthy', mode: ok },
      { name: 'expired', mode: ok, tls: 'expired' },
      { name: 'wrong-name', mode: ok, tls: 'wrong-name' },
      { name: 'self-signed', mode: ok, tls: 'self-signed' },
      { name: 'missing-intermediate', mode: ok, tls: 'missing-intermediate' },
      { name: 'inspected', mode: ok, tls: 'inspection' },
    ],
  },
  'dns-faults': {
    summary: 'hijacked DNS answers (a bogon, an impostor address), a CDN answer, SERVFAIL and silence',
    mirrors: [
      { name: 'healthy', mode: ok },
      { name: 'bogon', mode: ok, dns: 'bogon' },
      { name: 'impostor', mode: ok, dns: 'impostor' },
      { name: 'cdn', mode: ok, dns: 'cdn' },
      { name: 'servfail', mode: ok, dns: 'servfail' },
      { name: 'silent', mode: ok, dns: 'silent' },
    ],
  },
  'nxdomain-hijack': {
    summary: 'a resolver that answers for names that do not exist',
    nxdomainHijack: true,
    mirrors: [{ name: 'healthy', mode: ok }],
  },
  'protocol-faults': {
    summary: 'slow, hanging after headers, dripping, 504/404/410, wrong bodies, huge, redirects',
    mirrors: [
      { name: 'healthy', mode: ok },
      { name: 'slow', mode: { kind: 'slow', delayMs: 400 } },
      { name: 'hang-after-headers', mode: { kind: 'hang-after-headers' } },
      { name: 'drip', mode: { kind: 'drip' } },
      { name: 'gateway-timeout', mode: { kind: 'status', status: 504 } },
      { name: 'not-found', mode: { kind: 'status', status: 404 } },
      { name: 'gone', mode: { kind: 'status', status: 410 } },
      { name: 'garbage-list', mode: { kind: 'garbage' } },
      { name: 'bad-info', mode: { kind: 'bad-info' } },
      { name: 'wrong-mod', mode: { kind: 'wrong-mod' } },
      { name: 'stale', mode: { kind: 'stale' } },
      { name: 'huge', mode: { kind: 'huge' } },
      { name: 'redirect', mode: { kind: 'redirect', to: 'https://healthy.mirror.lab.test:{port:healthy}' } },
      {
        name: 'redirect-expired',
        mode: { kind: 'redirect', to: 'https://expired-cdn.mirror.lab.test:{port:expired-cdn}' },
      },
      { name: 'expired-cdn', mode: ok, tls: 'expired' },
      { name: 'redirect-http', mode: { kind: 'redirect', to: 'http://127.0.0.1:{port:healthy}' } },
      { name: 'redirect-loop', mode: { kind: 'redirect-loop' } },
    ],
  },
  proxies: {
    summary:
      'a healthy mirror behind four corporate proxies: working, refusing, hanging, asking for credentials',
    mirrors: [{ name: 'healthy', mode: ok }],
    proxies: [
      { name: 'primary', mode: 'hanging' },
      { name: 'backup', mode: 'ok' },
      { name: 'old', mode: 'refusing' },
      { name: 'authenticating', mode: 'auth-required' },
    ],
  },
  demo: {
    summary: 'the demo: healthy, DNS-hijacked, expired TLS, hanging and tampered mirrors',
    mirrors: [
      { name: 'healthy', mode: ok },
      { name: 'hijacked', mode: ok, dns: 'bogon' },
      { name: 'expired-tls', mode: ok, tls: 'expired' },
      { name: 'hanging', mode: { kind: 'hang' } },
      { name: 'tampered', mode: { kind: 'tampered' } },
    ],
  },
  integrity: {
    summary: 'an honest mirror and one serving a go.mod and zip the checksum database does not record',
    mirrors: [
      { name: 'honest', mode: ok },
      { name: 'tampered', mode: { kind: 'tampered' } },
    ],
  },
  sumdb: {
    summary: 'mirrors that proxy the checksum database, do not, or break it',
    mirrors: [
      { name: 'sumdb-healthy', mode: ok, sumdb: 'healthy' },
      { name: 'sumdb-missing', mode: ok, sumdb: 'missing' },
      { name: 'sumdb-broken', mode: ok, sumdb: 'broken' },
    ],
  },
};

export interface RunningLab {
  scenario: string;
  dir: string;
  configPath: string;
  caFile: string;
  inspectionCaFile: string;
  mirrors: LabMirror[];
  dns: LabDnsServer;
  doh: LabDnsServer & { url: string };
  /** The checksum database every lab mirror proxies and the database host serves. */
  sumdb: LabDatabase;
  proxies: LabProxy[];
  config: Record<string, unknown>;
  stop(): Promise<void>;
}

const LAB_ADDRESS = '127.0.0.1';
/**
 * Answers the hijacked resolver gives. 10.10.34.35 is a private address that no probe contacts
 * (the verdict comes first); in tests the loopback guard refuses any attempt (tests/setup).
 */
const BOGON_ANSWER = '10.10.34.35';
const IMPOSTOR_ADDRESS = '127.0.0.66';
const CDN_ADDRESS = '127.0.0.2';

/**
 * Starts a scenario on loopback: a fresh PKI, a DNS server (the "system resolver") and a DoH
 * server (the trusted one), the mirrors over https under names in .lab.test, and a config file
 * pointing at all of them. Everything lives in a temp dir that stop() removes.
 */
export async function startLab(scenario: string | ScenarioPlan, deadlineMs = 2000): Promise<RunningLab> {
  const plan = typeof scenario === 'string' ? SCENARIOS[scenario] : scenario;
  if (!plan)
    throw new Error(`unknown lab scenario "${scenario}"; scenarios: ${Object.keys(SCENARIOS).join(', ')}`);
  const dir = await mkdtemp(join(tmpdir(), 'goproxy-guard-lab-'));
  const pki = await createPki();
  const caFile = join(dir, 'lab-root.pem');
  const inspectionCaFile = join(dir, 'inspection-root.pem');
  await writeFile(caFile, pki.root.pem);
  await writeFile(inspectionCaFile, pki.inspection.pem);

  const hostOf = (name: string) => `${name}.mirror.lab.test`;
  const ports = new Map<string, number>();
  const large = plan.largeModuleBytes ? labLargeModule(plan.largeModuleBytes) : undefined;
  const sumdb = createLabDatabase(large ? [labLargeRecord(large)] : []);
  const mirrors: LabMirror[] = [];
  // Mirrors whose redirect targets name another mirror's port start after that mirror.
  const ordered = [...plan.mirrors].sort(
    (a, b) => Number(a.mode.kind === 'redirect') - Number(b.mode.kind === 'redirect'),
  );
  for (const mirror of ordered) {
    const mode =
      mirror.mode.kind === 'redirect'
        ? {
            ...mirror.mode,
            to: mirror.mode.to.replace(/\{port:([\w-]+)\}/, (_, name: string) => String(ports.get(name))),
          }
        : mirror.mode;
    const host = hostOf(mirror.name);
    const started = await startMirror({
      name: mirror.name,
      mode,
      host: plan.addressUrls ? LAB_ADDRESS : host,
      ...(mirror.plain ? {} : { identity: await pki.issue([host, LAB_ADDRESS], mirror.tls) }),
      ...(mirror.sumdb ? { sumdb: mirror.sumdb } : {}),
      database: sumdb,
      ...(large ? { large } : {}),
      ...(mirror.dns === 'cdn' ? { alsoOn: [CDN_ADDRESS] } : {}),
    });
    ports.set(mirror.name, started.port);
    mirrors.push(started);
    if (mirror.dns === 'impostor') {
      // Someone else's server on the address the hijacked resolver hands out.
      const impostor = await startMirror({
        name: `${mirror.name}-impostor`,
        mode: ok,
        identity: await pki.issue(['impostor.example'], 'self-signed'),
        port: started.port,
        bindAddress: IMPOSTOR_ADDRESS,
      });
      mirrors.push({ ...impostor, name: `${mirror.name}-impostor` });
    }
  }
  mirrors.sort(
    (a, b) =>
      plan.mirrors.findIndex((m) => m.name === a.name) - plan.mirrors.findIndex((m) => m.name === b.name),
  );

  const databaseHost = 'database.lab.test';
  const database = await startMirror({
    name: 'database',
    mode: plan.database === 'hanging' ? { kind: 'hang' } : ok,
    host: plan.addressUrls ? LAB_ADDRESS : databaseHost,
    identity: await pki.issue([databaseHost, LAB_ADDRESS]),
    database: sumdb,
  });
  const truth = new Map<string, DnsBehaviour>(
    [...plan.mirrors.map((m) => hostOf(m.name)), databaseHost].map((host) => [
      host,
      { kind: 'answer', addresses: [LAB_ADDRESS] },
    ]),
  );
  const system = new Map<string, DnsBehaviour>(truth);
  for (const mirror of plan.mirrors) {
    const fault: Record<DnsFault, DnsBehaviour> = {
      bogon: { kind: 'answer', addresses: [BOGON_ANSWER] },
      impostor: { kind: 'answer', addresses: [IMPOSTOR_ADDRESS] },
      cdn: { kind: 'answer', addresses: [CDN_ADDRESS] },
      servfail: { kind: 'servfail' },
      silent: { kind: 'silent' },
    };
    if (mirror.dns) system.set(hostOf(mirror.name), fault[mirror.dns]);
  }
  const dns = await startDnsServer({
    names: system,
    otherwise: plan.nxdomainHijack ? { kind: 'answer', addresses: [LAB_ADDRESS] } : { kind: 'nxdomain' },
  });
  const doh = await startDohServer(
    { names: truth, otherwise: { kind: 'nxdomain' } },
    await pki.issue([LAB_ADDRESS]),
  );
  const proxies: LabProxy[] = await Promise.all(
    (plan.proxies ?? []).map((p) => startConnectProxy(p.name, p.mode)),
  );

  const config = {
    mirrors: mirrors
      .filter((m) => !m.name.endsWith('-impostor'))
      .map((m) => ({
        name: m.name,
        url: m.url,
        ...(m.url.startsWith('http:') ? { allowInsecure: true } : {}),
      })),
    canary: { ...LAB_CANARY },
    sumdb: { name: LAB_SUMDB, url: database.url, key: sumdb.verifierKey },
    deadlineMs,
    dns: { systemResolver: dns.address, trusted: [doh.url] },
    tls: { extraCaFiles: plan.trustInspectionRoot ? [caFile, inspectionCaFile] : [caFile] },
    ...(proxies.length
      ? { proxies: { candidates: proxies.map((p) => ({ name: p.name, url: p.url })) } }
      : {}),
  };
  const configPath = join(dir, 'goproxy-guard.json');
  await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`);
  return {
    scenario: typeof scenario === 'string' ? scenario : 'custom',
    dir,
    configPath,
    caFile,
    inspectionCaFile,
    mirrors: mirrors.filter((m) => !m.name.endsWith('-impostor')),
    dns,
    doh,
    sumdb,
    proxies,
    config,
    async stop() {
      await Promise.all([
        ...mirrors.map((m) => m.close()),
        ...proxies.map((p) => p.close()),
        database.close(),
        dns.close(),
        doh.close(),
      ]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

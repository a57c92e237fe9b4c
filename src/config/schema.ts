import { z } from 'zod';
import { parseVerifierKey, SUM_GOLANG_ORG_KEY } from '../integrity/verifier-key.js';
import {
  DEFAULT_CANARY,
  DEFAULT_DEADLINE_MS,
  DEFAULT_GUARD_LISTEN,
  DEFAULT_MIRRORS,
  DEFAULT_SUMDB_NAME,
  DEFAULT_TRUSTED_RESOLVERS,
  MAX_DEADLINE_MS,
  MIN_DEADLINE_MS,
} from './defaults.js';

// Characters that would split or corrupt a GOPROXY list if they appeared inside a mirror URL.
const GOPROXY_SEPARATORS = /[,|\s]/;

const mirrorSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, ".", "_" or "-"'),
    url: z.string().min(1, 'must not be empty'),
    allowInsecure: z.boolean().optional(),
  })
  .superRefine((mirror, ctx) => {
    const problem = mirrorUrlProblem(mirror.url, mirror.allowInsecure === true);
    if (problem) ctx.addIssue({ code: 'custom', path: ['url'], message: problem });
  })
  .transform((mirror) => ({ ...mirror, url: mirror.url.replace(/\/+$/, '') }));

/** Why a mirror URL is unusable in GOPROXY, or undefined when it is fine. */
export function mirrorUrlProblem(url: string, allowInsecure: boolean): string | undefined {
  if (GOPROXY_SEPARATORS.test(url)) return `must not contain spaces, "," or "|" (got "${url}")`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `must be an absolute https:// URL such as https://goproxy.cn (got "${url}")`;
  }
  if (parsed.protocol === 'http:' && !allowInsecure) {
    return `must use https:// (got "${url}"); set "allowInsecure": true on this mirror to accept plain http`;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    return `must be an https:// URL (got scheme "${parsed.protocol}")`;
  }
  if (parsed.username || parsed.password) return 'must not carry a user name or password';
  if (parsed.search || parsed.hash) return `must not have a query or fragment (got "${url}")`;
  return undefined;
}

const canarySchema = z.strictObject({
  module: z
    .string()
    .regex(
      /^[a-z0-9.-]+\.[a-z]{2,}(\/[A-Za-z0-9._~+-]+)*$/,
      'must be a module path such as golang.org/x/text (host with a dot, then path elements)',
    ),
  version: z
    .string()
    .regex(
      /^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+incompatible)?$/,
      'must be a semantic version such as v0.14.0',
    ),
});

const hostPort = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

const dnsSchema = z.strictObject({
  systemResolver: z
    .string()
    .regex(hostPort, 'must be "host:port" such as 127.0.0.1:53 or [::1]:53')
    .refine((v) => Number(v.slice(v.lastIndexOf(':') + 1)) <= 65535, 'port must be 1-65535')
    .optional(),
  /**
   * DoH resolvers (RFC 8484, https:// URLs) whose answers the system resolver's are compared
   * with; a mirror name the system resolves differently, to a private address or not at all is
   * reported as dns-hijacked. IP-literal URLs keep a hijacked resolver out of the check itself.
   */
  trusted: z
    .array(
      z.string().superRefine((url, ctx) => {
        const problem = dohUrlProblem(url);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
    )
    .default([...DEFAULT_TRUSTED_RESOLVERS]),
  /**
   * Hosts pinning (opt-in): a mirror whose system answer is hijacked or fails gets the trusted
   * addresses that proved its name over TLS in the hosts file's GoProxyGuard block, removed
   * again once the system answer is healthy. On Windows it needs an elevated run.
   */
  pin: z.boolean().default(false),
  /**
   * The hosts file pinned off Windows (tests, Linux users); Windows always uses
   * %SystemRoot%\System32\drivers\etc\hosts.
   */
  hostsFile: z.string().min(1, 'must be a file path such as /etc/hosts').optional(),
});

/** Why a DoH resolver URL is unusable, or undefined when it is fine. */
function dohUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `must be a DoH URL such as https://1.1.1.1/dns-query (got "${url}")`;
  }
  if (parsed.protocol !== 'https:') return `must use https:// (RFC 8484 DoH; got "${url}")`;
  if (parsed.hash) return `must not have a fragment (got "${url}")`;
  return undefined;
}

const sumdbSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9.-]+\.[a-z]{2,}$/, 'must be a checksum database name such as sum.golang.org')
      .default(DEFAULT_SUMDB_NAME),
    /** The database's verifier key (name+hash+key); go's own key for sum.golang.org unless given. */
    key: z
      .string()
      .superRefine((key, ctx) => {
        try {
          parseVerifierKey(key);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message });
        }
      })
      .optional(),
    /** Where the database itself answers; https://<name> unless given. */
    url: z
      .string()
      .refine(
        (url) => mirrorUrlProblem(url, false) === undefined,
        'must be an https:// URL without query or fragment',
      )
      .optional(),
  })
  .superRefine((sumdb, ctx) => {
    if (sumdb.key && !sumdb.key.startsWith(`${sumdb.name}+`)) {
      ctx.addIssue({
        code: 'custom',
        path: ['key'],
        message: `must be the key of ${sumdb.name} (it names another database)`,
      });
    }
  })
  .transform((sumdb) => ({
    ...sumdb,
    url: (sumdb.url ?? `https://${sumdb.name}`).replace(/\/+$/, ''),
    key: sumdb.key ?? (sumdb.name === DEFAULT_SUMDB_NAME ? SUM_GOLANG_ORG_KEY : undefined),
  }));

const count = (what: string) =>
  z
    .number()
    .int(`must be a whole number of ${what}`)
    .min(1, `must be at least 1 ${what}`)
    .max(100, `must be at most 100 ${what}`);

const scheduleSchema = z.strictObject({
  /** Minutes between runs: Task Scheduler accepts 1 minute to 31 days. */
  intervalMinutes: z
    .number()
    .int('must be a whole number of minutes')
    .min(1, 'must be at least 1 minute (Task Scheduler repeats no more often)')
    .max(44640, 'must be at most 44640 minutes (31 days, the longest Task Scheduler repetition)')
    .default(15),
  atLogon: z.boolean().default(true),
  onNetworkChange: z.boolean().default(true),
  onUnlock: z.boolean().default(true),
  /** Task Scheduler stops a run that takes longer than this. */
  timeLimitMinutes: z.number().int('must be a whole number of minutes').min(1).max(60).default(5),
  /** A Prometheus textfile written after each scheduled run (windows_exporter's textfile collector). */
  textfile: z.string().min(1, 'must be a file path').optional(),
});

const policySchema = z.strictObject({
  /** Consecutive failed runs before a mirror in the list is taken out. */
  failAfter: count('runs').default(2),
  /** Consecutive healthy runs before a mirror out of the list is put back. */
  recoverAfter: count('runs').default(2),
  /** End the GOPROXY list with direct (fetch from the origin when every mirror fails). */
  allowDirect: z.boolean().default(false),
});

const proxySchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, ".", "_" or "-"'),
    url: z.string(),
  })
  .superRefine((proxy, ctx) => {
    const problem = proxyUrlProblem(proxy.url);
    if (problem) ctx.addIssue({ code: 'custom', path: ['url'], message: problem });
  });

/** Why an outbound proxy URL is unusable, or undefined when it is fine. */
export function proxyUrlProblem(url: string): string | undefined {
  // The URL parser would quietly drop or encode these; in a registry value or a netsh argument
  // they would change what Windows reads, so they are refused outright.
  // Percent escapes are allowed (credentials in the user-info part need them).
  if (/[\s"';,<>\\]|%(?![0-9A-Fa-f]{2})/.test(url) || /[^\x21-\x7e]/.test(url))
    return `must not contain spaces, quotes, ";", ",", "<", ">", "\\", a bare "%" or non-ASCII characters (got "${url}")`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `must be a proxy URL such as http://proxy.corp.example:8080 (got "${url}")`;
  }
  if (parsed.protocol !== 'http:')
    return `must be an http:// proxy URL, as go's HTTPS_PROXY takes it (got "${url}")`;
  // Written out even when it is the default 80: the URL parser drops that one, so read the text.
  if (!/:\d{1,5}\/?$/.test(url))
    return `must name the port, such as http://proxy.corp.example:8080 (got "${url}")`;
  if (parsed.pathname !== '/' || parsed.search || parsed.hash)
    return `must be just scheme, host and port (got "${url}")`;
  return undefined;
}

/** Why a bypass entry is unusable in NO_PROXY, ProxyOverride and the WinHTTP bypass list. */
export function bypassEntryProblem(entry: string): string | undefined {
  if (entry === '<local>') return undefined;
  if (!/^[A-Za-z0-9*.:[\]/_-]+$/.test(entry))
    return `must be a host name, "*.domain", ".domain", an IP address, a CIDR range or <local> (got "${entry}"); separators and spaces are added by GoProxyGuard`;
  return undefined;
}

/** Where the chosen proxy is written: go's user environment, WinINet (browsers), WinHTTP (services). */
export const PROXY_TARGETS = ['env', 'wininet', 'winhttp'] as const;

const proxiesSchema = z.strictObject({
  /**
   * Outbound HTTP proxies (http://host:port, each with a name), in order of preference: every run
   * connects through each to a mirror, and the first that works is written for go (HTTPS_PROXY)
   * and the desktop (WinINet, WinHTTP).
   */
  candidates: z.array(proxySchema).default([]),
  /** Hosts reached without the proxy: NO_PROXY, WinINet ProxyOverride, the WinHTTP bypass list. */
  bypass: z
    .array(
      z.string().superRefine((entry, ctx) => {
        const problem = bypassEntryProblem(entry);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
    )
    .default(['<local>', 'localhost', '127.0.0.1', '::1']),
  /** Which settings GoProxyGuard manages; WinHTTP is machine-wide and needs an elevated run. */
  targets: z
    .array(z.enum(PROXY_TARGETS, { message: `must be one of ${PROXY_TARGETS.join(', ')}` }))
    .default(['env', 'wininet']),
  /** When every candidate fails: go direct (clear the proxy) instead of keeping the current one. */
  direct: z.boolean().default(false),
});

/** Why a guard listen address is unusable, or undefined when it is a loopback "host:port". */
export function listenProblem(listen: string): string | undefined {
  const match = /^(\[([0-9a-fA-F:.]+)\]|([0-9.]+)|localhost):(\d{1,5})$/.exec(listen);
  if (!match || Number(match[4]) > 65535) {
    return `must be a loopback "address:port" such as ${DEFAULT_GUARD_LISTEN} or [::1]:47193 (got "${listen}")`;
  }
  const address = match[2] ?? match[3] ?? 'localhost';
  const loopback =
    address === 'localhost' || address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address);
  if (!loopback) {
    return `must be a loopback address (127.0.0.0/8 or [::1]): the guard never listens where other machines can reach it (got "${listen}")`;
  }
  return undefined;
}

const millis = (min: number, max: number) =>
  z
    .number()
    .int('must be a whole number of milliseconds')
    .min(min, `must be at least ${min} ms`)
    .max(max, `must be at most ${max} ms`);

const guardSchema = z
  .strictObject({
    /**
     * Guard mode: apply writes GOPROXY=http://<listen>|<usable mirrors> once and leaves it alone,
     * and the scheduled task runs the guard proxy from logon; the guard then picks a mirror per
     * request. Off (the default), apply writes the health-ordered mirror list itself.
     */
    enabled: z.boolean().default(false),
    /**
     * Where the guard proxy listens, "address:port" on loopback (127.0.0.0/8 or [::1]); go is
     * pointed at http://<listen>. Any other address is refused: the guard serves this desktop only.
     */
    listen: z
      .string()
      .superRefine((listen, ctx) => {
        const problem = listenProblem(listen);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .default(DEFAULT_GUARD_LISTEN),
    /** How long a mirror may take to send its answer's headers before the guard gives up on it for that request. */
    firstByteMs: millis(200, 60_000).default(4000),
    /** How long an answer's body may stop flowing before the guard abandons it and asks the next mirror. */
    stallMs: millis(200, 60_000).default(5000),
    /**
     * The shortest wait before the same request also goes to the next mirror (a hedge); the wait is
     * learned from the first mirror's recent latency and kept between hedgeMinMs and hedgeMaxMs.
     */
    hedgeMinMs: millis(10, 30_000).default(150),
    /** The longest wait before a hedge: a mirror slower than this always gets a second mirror racing it. */
    hedgeMaxMs: millis(10, 30_000).default(2000),
    /**
     * How long a version list, an @latest or the .info of a branch or query is reused without
     * asking a mirror again; older ones are still served (flagged stale) when every mirror fails.
     */
    listFreshMs: millis(0, 24 * 3_600_000).default(60_000),
    /** Megabytes of immutable answers (.info, .mod, .zip, checksum database tiles) kept on disk. */
    cacheMaxMb: z
      .number()
      .int('must be a whole number of megabytes')
      .min(16, 'must be at least 16 MB (one go.mod may be that large)')
      .max(1_048_576, 'must be at most 1048576 MB (1 TB)')
      .default(2048),
    /** Requests the guard sends to one mirror at the same time; more wait their turn or go to another mirror. */
    perMirrorConcurrency: count('requests').default(8),
  })
  .superRefine((guard, ctx) => {
    if (guard.hedgeMinMs > guard.hedgeMaxMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['hedgeMinMs'],
        message: `must not exceed guard.hedgeMaxMs (${guard.hedgeMaxMs} ms)`,
      });
    }
  });

const wslSchema = z.strictObject({
  /** Keep GOPROXY and GOSUMDB of go inside every WSL distribution that has go in step (Windows). */
  enabled: z.boolean().default(false),
  /** Start a stopped distribution to update it; off, a stopped one waits for a run while it is up. */
  startStopped: z.boolean().default(false),
});

const tlsSchema = z.strictObject({
  extraCaFiles: z.array(z.string().min(1, 'must be a file path')).default([]),
});

export const configSchema = z
  .strictObject({
    /**
     * The Go module mirrors (GOPROXY servers), each a name and an https:// URL, in order of
     * preference: every run probes them all and writes the healthy ones, best first, joined with
     * "|" so go moves on after any error.
     */
    mirrors: z
      .array(mirrorSchema)
      .min(1, 'must list at least one mirror')
      .default(DEFAULT_MIRRORS.map((m) => ({ ...m }))),
    /**
     * The module every mirror is asked for (its version list, .info and .mod) to prove it serves
     * Go modules; a small module that never changes and that every mirror carries.
     */
    canary: canarySchema.default({ ...DEFAULT_CANARY }),
    /**
     * Milliseconds one run may spend probing every mirror and proxy at once; a mirror that has
     * not answered by then is called timeout, so a hanging mirror never stalls the run.
     */
    deadlineMs: z
      .number()
      .int('must be a whole number of milliseconds')
      .min(MIN_DEADLINE_MS, `must be at least ${MIN_DEADLINE_MS} ms`)
      .max(MAX_DEADLINE_MS, `must be at most ${MAX_DEADLINE_MS} ms`)
      .default(DEFAULT_DEADLINE_MS),
    dns: dnsSchema.prefault({}),
    sumdb: sumdbSchema.prefault({}),
    policy: policySchema.default({ failAfter: 2, recoverAfter: 2, allowDirect: false }),
    schedule: scheduleSchema.prefault({}),
    tls: tlsSchema.default({ extraCaFiles: [] }),
    proxies: proxiesSchema.prefault({}),
    /** The guard proxy (goproxy-guard serve): a GOPROXY on loopback that fails over per request. */
    guard: guardSchema.prefault({}),
    /** go inside WSL: its go env follows the decision as the Windows one does. */
    wsl: wslSchema.prefault({}),
  })
  .superRefine((config, ctx) => {
    const seen = new Map<string, number>();
    config.mirrors.forEach((mirror, index) => {
      const first = seen.get(mirror.name.toLowerCase());
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['mirrors', index, 'name'],
          message: `duplicates the name of mirrors[${first}]; give every mirror its own name`,
        });
      } else seen.set(mirror.name.toLowerCase(), index);
    });
    const proxyNames = new Map<string, number>();
    config.proxies.candidates.forEach((proxy, index) => {
      const first = proxyNames.get(proxy.name.toLowerCase());
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['proxies', 'candidates', index, 'name'],
          message: `duplicates the name of proxies.candidates[${first}]; give every proxy its own name`,
        });
      } else proxyNames.set(proxy.name.toLowerCase(), index);
    });
  });

export type Config = z.output<typeof configSchema>;
export type MirrorConfig = Config['mirrors'][number];

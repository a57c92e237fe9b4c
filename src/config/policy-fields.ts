// The config fields a company sets by Group Policy or Intune: one row per policy, naming the
// registry value GoProxyGuard reads under Software\Policies\GoProxyGuard (HKLM, then HKCU) and
// the config field it sets. The ADMX/ADML templates are generated from these rows and from the
// TSDoc of each field in schema.ts (src/codegen/policy-templates.ts); the build fails on a config
// field that is in neither POLICY_FIELDS nor LOCAL_ONLY_FIELDS, and on a row naming no field.

/** Where the policy keys are, as reg.exe and the registry layer take them. */
export const POLICY_KEYS = {
  machine: 'HKLM\\SOFTWARE\\Policies\\GoProxyGuard',
  user: 'HKCU\\SOFTWARE\\Policies\\GoProxyGuard',
} as const;

/** The key path the templates name (the same for both scopes, without the hive). */
export const POLICY_KEY_PATH = 'Software\\Policies\\GoProxyGuard';

export type PolicyScope = keyof typeof POLICY_KEYS;

/**
 * How a policy is stored, as Group Policy writes it: a REG_DWORD 1/0 (boolean), a REG_DWORD
 * number (decimal), a REG_SZ or REG_EXPAND_SZ (text), or a subkey of the policy's name holding
 * the entries as values "1", "2", ... in order (list, as Chrome's list policies are stored).
 */
export type PolicyKind = 'boolean' | 'decimal' | 'text' | 'list';

export interface PolicyField {
  /** The ADMX policy name and the registry value (or, for a list, subkey) name. */
  name: string;
  /** The config field it sets, a dotted path; undefined only for LockLocalSettings. */
  field: string | undefined;
  kind: PolicyKind;
  /** The policy's title in the Group Policy editor (English; Chinese in policy-texts.zh-CN.ts). */
  title: string;
  /** For text and list policies: the form of one entry, shown in the template and in warnings. */
  entry?: string;
  /** A decimal policy whose config field is not a number (the guard's port): its bounds. */
  range?: { min: number; max: number };
  /** Turns the registry data (number for boolean/decimal, text, or list entries) into the field's raw value. */
  toConfig?: (data: never) => unknown;
}

/** "name=URL" entries of the mirror and proxy lists; the config's own checks judge the URL. */
function namedUrl(entry: string): { name: string; url: string } {
  const at = entry.indexOf('=');
  if (at <= 0) throw new Error('must be name=URL, such as corp=https://goproxy.corp.example');
  return { name: entry.slice(0, at).trim(), url: entry.slice(at + 1).trim() };
}

/**
 * When on, the config file on this desktop (--config, GOPROXYGUARD_CONFIG) and command-line
 * options change no setting: what policy sets takes the policy's value, and every other setting
 * takes its built-in default.
 */
export const LOCK_LOCAL_SETTINGS = 'LockLocalSettings';

/** The guard proxy's loopback address when policy sets its port. */
export const GUARD_POLICY_HOST = '127.0.0.1';

export const POLICY_FIELDS: readonly PolicyField[] = [
  {
    name: 'Mirrors',
    field: 'mirrors',
    kind: 'list',
    title: 'Go module mirrors',
    entry: 'name=URL, such as corp=https://goproxy.corp.example',
    toConfig: (entries: string[]) => entries.map(namedUrl),
  },
  {
    name: 'Canary',
    field: 'canary',
    kind: 'text',
    title: 'Canary module',
    entry: 'module@version, such as golang.org/x/text@v0.14.0',
    toConfig: (text: string) => {
      const at = text.lastIndexOf('@');
      if (at <= 0) throw new Error('must be module@version, such as golang.org/x/text@v0.14.0');
      return { module: text.slice(0, at), version: text.slice(at + 1) };
    },
  },
  { name: 'DeadlineMs', field: 'deadlineMs', kind: 'decimal', title: 'Probe deadline (milliseconds)' },
  {
    name: 'TrustedResolvers',
    field: 'dns.trusted',
    kind: 'list',
    title: 'Trusted DNS-over-HTTPS resolvers',
    entry: 'a DoH URL, such as https://223.5.5.5/dns-query',
  },
  {
    name: 'FailAfter',
    field: 'policy.failAfter',
    kind: 'decimal',
    title: 'Failed runs before a mirror is taken out',
  },
  {
    name: 'RecoverAfter',
    field: 'policy.recoverAfter',
    kind: 'decimal',
    title: 'Healthy runs before a mirror is put back',
  },
  {
    name: 'AllowDirect',
    field: 'policy.allowDirect',
    kind: 'boolean',
    title: 'End the GOPROXY list with direct',
  },
  {
    name: 'PinHostsFile',
    field: 'dns.pin',
    kind: 'boolean',
    title: 'Pin proven mirror addresses in the hosts file',
  },
  {
    name: 'WslTargets',
    field: 'wsl.enabled',
    kind: 'boolean',
    title: 'Keep go inside WSL distributions in step',
  },
  {
    name: 'MetricsTextfile',
    field: 'schedule.textfile',
    kind: 'text',
    title: 'Prometheus textfile for windows_exporter',
    entry: 'a file path, such as %ProgramData%\\windows_exporter\\textfile_inputs\\goproxyguard.prom',
  },
  {
    name: 'ProxyCandidates',
    field: 'proxies.candidates',
    kind: 'list',
    title: 'Corporate HTTP proxy candidates',
    entry: 'name=URL, such as hq=http://proxy.corp.example:8080',
    toConfig: (entries: string[]) => entries.map(namedUrl),
  },
  {
    name: 'ProxyBypass',
    field: 'proxies.bypass',
    kind: 'list',
    title: 'Hosts reached without the proxy',
    entry: 'a host, *.domain, an IP address, a CIDR range or <local>',
  },
  {
    name: 'ProxyTargets',
    field: 'proxies.targets',
    kind: 'list',
    title: 'Proxy settings GoProxyGuard manages',
    entry: 'env, wininet or winhttp',
  },
  { name: 'ProxyDirect', field: 'proxies.direct', kind: 'boolean', title: 'Go direct when no proxy works' },
  { name: 'GuardEnabled', field: 'guard.enabled', kind: 'boolean', title: 'Guard proxy (guard mode)' },
  {
    name: 'GuardPort',
    field: 'guard.listen',
    kind: 'decimal',
    title: 'Guard proxy port',
    range: { min: 1, max: 65535 },
    toConfig: (port: number) => `${GUARD_POLICY_HOST}:${port}`,
  },
  { name: LOCK_LOCAL_SETTINGS, field: undefined, kind: 'boolean', title: 'Forbid local settings' },
];

/**
 * Config fields no policy sets, each with the reason; a field added to the schema must go here
 * or into POLICY_FIELDS, or the build fails.
 */
export const LOCAL_ONLY_FIELDS: Readonly<Record<string, string>> = {
  'dns.systemResolver': 'a resolver address for tests and for diagnosing one desktop',
  'dns.hostsFile': 'the hosts file off Windows; Windows always uses its own',
  'wsl.startStopped': "starting a user's stopped distribution is the user's choice",
  'sumdb.name': 'the checksum database name, key and URL must agree; go verifies against them',
  'sumdb.key': 'the checksum database name, key and URL must agree; go verifies against them',
  'sumdb.url': 'the checksum database name, key and URL must agree; go verifies against them',
  'schedule.intervalMinutes': 'the repetition of the scheduled task, written when the task is registered',
  'schedule.atLogon': 'a trigger of the scheduled task, written when the task is registered',
  'schedule.onNetworkChange': 'a trigger of the scheduled task, written when the task is registered',
  'schedule.onUnlock': 'a trigger of the scheduled task, written when the task is registered',
  'schedule.timeLimitMinutes': 'a limit of the scheduled task, written when the task is registered',
  'tls.extraCaFiles':
    'files on one desktop; a company deploys its roots to the Windows certificate store, which the probes read',
  'guard.firstByteMs': "tuning of the guard proxy for one desktop's network",
  'guard.stallMs': "tuning of the guard proxy for one desktop's network",
  'guard.hedgeMinMs': "tuning of the guard proxy for one desktop's network",
  'guard.hedgeMaxMs': "tuning of the guard proxy for one desktop's network",
  'guard.listFreshMs': "tuning of the guard proxy for one desktop's network",
  'guard.cacheMaxMb': "tuning of the guard proxy for one desktop's disk",
  'guard.perMirrorConcurrency': "tuning of the guard proxy for one desktop's network",
};

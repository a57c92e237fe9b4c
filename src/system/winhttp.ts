import type { WinHttpProxy } from '../settings/setting-value.js';
import { readRegistryValues } from './registry.js';
import { runTool, TOOLS, toolSaid } from './windows-tool.js';

/** netsh's argv, each value its own element: no shell, so `<local>` and `;` need no quoting. */
export const netshArgs = {
  show: () => ['winhttp', 'show', 'proxy'],
  set: ({ proxyServer, bypassList }: WinHttpProxy) => [
    'winhttp',
    'set',
    'proxy',
    `proxy-server=${proxyServer}`,
    ...(bypassList ? [`bypass-list=${bypassList}`] : []),
  ],
  reset: () => ['winhttp', 'reset', 'proxy'],
};

// A proxy-server value: host:port, or per-scheme "http=host:port;https=host:port".
const PROXY_SERVER = /^(?:[a-z]+=)?[^\s;=]+(?:;(?:[a-z]+=)?[^\s;=]+)*$/i;

export class UnparseableOutput extends Error {
  override name = 'UnparseableOutput';
}

/** Where WinHTTP keeps its machine-wide settings; netsh writes them there as one binary value. */
export const WINHTTP_SETTINGS_KEY =
  'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Connections';
export const WINHTTP_SETTINGS_NAME = 'WinHttpSettings';

/**
 * Parses `netsh winhttp show proxy`. The text is localized, so the proxy case is read by shape:
 * exactly two "label : value" lines, the first a proxy server, the second a bypass list or a
 * parenthesized "none" (a bypass entry never starts with "("). Direct access has no such lines:
 * it is recognized by its English wording, or, in any language, when the machine's stored
 * WinHttpSettings says direct (`stored` null). Anything else throws, rather than guessing.
 */
export function parseWinHttpShow(output: string, stored?: WinHttpProxy | null): WinHttpProxy | null {
  const lines = output.split(/\r?\n/).map((line) => line.trim());
  const fields = lines
    .map((line) => /^([^:]+?)\s+:\s+(.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => (match[2] as string).trim());
  if (fields.length === 0 && lines.some((line) => /^Direct access \(no proxy server\)\.?$/i.test(line))) {
    return null;
  }
  // The layout of direct access in any language: a heading and one statement, no fields.
  if (fields.length === 0 && stored === null && lines.filter(Boolean).length === 2) return null;
  if (fields.length === 2) {
    const [proxyServer, bypass] = fields as [string, string];
    const bypassList = /^\(.*\)$/.test(bypass) ? '' : bypass;
    if (PROXY_SERVER.test(proxyServer) && !/\s/.test(bypassList)) return { proxyServer, bypassList };
  }
  throw new UnparseableOutput(
    `netsh winhttp show proxy printed something GoProxyGuard cannot read, so WinHTTP is left alone: ${JSON.stringify(output.trim().slice(0, 300))}`,
  );
}

// WINHTTP_PROXY_INFO flags in the stored blob: WINHTTP_ACCESS_TYPE_NO_PROXY and _NAMED_PROXY.
const FLAG_PROXY = 2;

/**
 * Reads the WinHttpSettings blob (hex): a DWORD size, a DWORD change counter, DWORD flags, then
 * the proxy server and the bypass list, each a DWORD length and that many ASCII bytes. It is the
 * layout netsh writes and is not documented, so anything that does not add up exactly is
 * undefined (unknown), never a guess. Null is direct access.
 */
export function parseWinHttpSettings(hex: string): WinHttpProxy | null | undefined {
  const bytes = Buffer.from(hex, 'hex');
  // The length-prefixed string at `at`, or undefined when the blob ends before it does.
  const stringAt = (at: number) => {
    if (at + 4 > bytes.length) return undefined;
    const end = at + 4 + bytes.readUInt32LE(at);
    return end > bytes.length ? undefined : { text: bytes.toString('latin1', at + 4, end), end };
  };
  const proxy = stringAt(12);
  const bypass = proxy && stringAt(proxy.end);
  if (!proxy || !bypass) return undefined;
  // The flags decide, as they do for WinHTTP: a proxy left behind while they say direct is unused.
  if ((bytes.readUInt32LE(8) & FLAG_PROXY) === 0) return null;
  return PROXY_SERVER.test(proxy.text) ? { proxyServer: proxy.text, bypassList: bypass.text } : undefined;
}

export async function readWinHttp(env: NodeJS.ProcessEnv): Promise<WinHttpProxy | null> {
  const run = await runTool(TOOLS.netsh, netshArgs.show(), env);
  if (run.exitCode !== 0) throw new UnparseableOutput(`netsh winhttp show proxy failed (${toolSaid(run)})`);
  try {
    return parseWinHttpShow(run.stdout);
  } catch (error) {
    // Direct access worded in another language: the stored settings settle it, or nothing does.
    if (!(error instanceof UnparseableOutput)) throw error;
    const stored = await readRegistryValues(WINHTTP_SETTINGS_KEY, [WINHTTP_SETTINGS_NAME], env)
      .then((values) => values[WINHTTP_SETTINGS_NAME])
      .catch(() => undefined);
    if (stored?.was !== 'set' || stored.type !== 'REG_BINARY') throw error;
    return parseWinHttpShow(run.stdout, parseWinHttpSettings(stored.value));
  }
}

export async function writeWinHttp(proxy: WinHttpProxy | null, env: NodeJS.ProcessEnv): Promise<void> {
  const args = proxy ? netshArgs.set(proxy) : netshArgs.reset();
  const run = await runTool(TOOLS.netsh, args, env);
  if (run.exitCode !== 0) {
    throw new Error(
      `netsh ${args.join(' ')} failed (${toolSaid(run)}; WinHTTP is machine-wide: run this elevated, as administrator)`,
    );
  }
}

// Mandatory integrity levels: High (an elevated administrator) and System.
const ELEVATED_LEVELS = ['S-1-16-12288', 'S-1-16-16384'];

/**
 * Whether this process runs elevated, from `whoami /groups`: its mandatory label SID is the same
 * on every Windows language, unlike the group names around it.
 */
export async function isElevated(env: NodeJS.ProcessEnv): Promise<boolean> {
  // A whoami that cannot run says nothing about rights: treat it as not elevated (WinHTTP skipped).
  const run = await runTool(TOOLS.whoami, ['/groups', '/fo', 'csv', '/nh'], env).catch(() => undefined);
  return run?.exitCode === 0 && ELEVATED_LEVELS.some((sid) => run.stdout.includes(`"${sid}"`));
}

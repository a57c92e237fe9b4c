import type { WinHttpProxy } from './setting-value.js';
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

/**
 * Parses `netsh winhttp show proxy`. The text is localized, so the proxy case is read by shape:
 * exactly two "label : value" lines, the first a proxy server, the second a bypass list or a
 * parenthesized "none" (a bypass entry never starts with "("). Direct access has no such lines;
 * only the English wording is recognized there. Anything else throws, rather than guessing.
 */
export function parseWinHttpShow(output: string): WinHttpProxy | null {
  const lines = output.split(/\r?\n/).map((line) => line.trim());
  const fields = lines
    .map((line) => /^([^:]+?)\s+:\s+(.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => (match[2] as string).trim());
  if (fields.length === 0 && lines.some((line) => /^Direct access \(no proxy server\)\.?$/i.test(line))) {
    return null;
  }
  if (fields.length === 2) {
    const [proxyServer, bypass] = fields as [string, string];
    const bypassList = /^\(.*\)$/.test(bypass) ? '' : bypass;
    if (PROXY_SERVER.test(proxyServer) && !/\s/.test(bypassList)) return { proxyServer, bypassList };
  }
  throw new UnparseableOutput(
    `netsh winhttp show proxy printed something GoProxyGuard cannot read, so WinHTTP is left alone: ${JSON.stringify(output.trim().slice(0, 300))}`,
  );
}

export async function readWinHttp(env: NodeJS.ProcessEnv): Promise<WinHttpProxy | null> {
  const run = await runTool(TOOLS.netsh, netshArgs.show(), env);
  if (run.exitCode !== 0) throw new UnparseableOutput(`netsh winhttp show proxy failed (${toolSaid(run)})`);
  return parseWinHttpShow(run.stdout);
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

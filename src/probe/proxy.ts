import net from 'node:net';
import tls from 'node:tls';
import { hideSecrets } from '../settings/setting-value.js';
import { connectRequest, proxyAuthorization, readResponseHead } from './connect.js';
import type { ProbeContext } from './context.js';
import { observeDns } from './dns.js';
import type { Verdict } from './types.js';

export interface ProxyHealth {
  name: string;
  url: string;
  verdict: Verdict;
  healthy: boolean;
  latencyMs: number | null;
  /** The mirror the tunnel was opened to, host:port. */
  target: string;
  evidence: string[];
}

/**
 * Probes one outbound HTTP proxy as go uses it (HTTPS_PROXY): CONNECT to a mirror through it,
 * then a TLS handshake with the mirror's name inside the tunnel, so a proxy that answers 200 but
 * does not really reach the mirror (or re-signs its traffic) is not called healthy. A plain-http
 * mirror (only when no https one is configured) is asked for in absolute form, as go does.
 */
export async function probeProxy(
  proxy: { name: string; url: string },
  target: URL,
  context: ProbeContext,
): Promise<ProxyHealth> {
  const started = performance.now();
  const proxyUrl = new URL(proxy.url);
  const targetHost = target.hostname.replace(/^\[|\]$/g, '');
  const targetPort = Number(target.port) || (target.protocol === 'http:' ? 80 : 443);
  const authority = `${target.hostname}:${targetPort}`;
  const result = (verdict: Verdict, evidence: string[]): ProxyHealth => ({
    name: proxy.name,
    url: hideSecrets(proxy.url),
    verdict,
    healthy: verdict === 'healthy',
    latencyMs: verdict === 'healthy' ? Math.round(performance.now() - started) : null,
    target: authority,
    evidence,
  });
  const { signal } = context;
  const dns = await observeDns(proxyUrl.hostname.replace(/^\[|\]$/g, ''), context);
  if (!('addresses' in dns.system)) {
    const { code, timedOut } = dns.system.error;
    return result(timedOut ? 'timeout' : 'dns-failed', [
      `dns lookup of proxy host ${proxyUrl.hostname} failed (${code})`,
    ]);
  }
  const address = dns.system.addresses[0] as string;
  const port = Number(proxyUrl.port) || 80;
  const socket = net.connect({ host: address, port });
  const abort = () => socket.destroy(Object.assign(new Error('deadline reached'), { code: 'ETIMEDOUT' }));
  signal.addEventListener('abort', abort, { once: true });
  let stage = 'connect';
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const plain = target.protocol === 'http:';
    stage = plain ? 'GET' : 'CONNECT';
    socket.write(plain ? absoluteFormRequest(target, proxyUrl) : connectRequest(authority, proxyUrl));
    const head = await readResponseHead(socket);
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
    const said = `${plain ? `GET ${target.origin}/` : `CONNECT ${authority}`} via ${proxyUrl.host}: ${head.split('\r\n')[0]}`;
    if (status === 407) {
      const realm = /^proxy-authenticate: *(.*)$/im.exec(head)?.[1] ?? 'no Proxy-Authenticate header';
      return result('auth-required', [
        `${said} (${realm}); put credentials in the proxy URL or use a proxy that knows this user`,
      ]);
    }
    if (plain) {
      // go sends plain http to the proxy as it is: any answer but a gateway failure came from the mirror.
      const reached = status > 0 && status !== 502 && status !== 504;
      return result(reached ? 'healthy' : 'http-error', [
        reached ? `${said}; the mirror answered through it` : said,
      ]);
    }
    if (status !== 200) return result('http-error', [said]);
    stage = 'tls';
    const secured = tls.connect({
      socket,
      servername: net.isIP(targetHost) ? undefined : targetHost,
      host: targetHost,
      secureContext: context.secureContext,
    });
    await new Promise<void>((resolve, reject) => {
      secured.once('secureConnect', resolve);
      secured.once('error', reject);
    });
    secured.destroy();
    return result('healthy', [`${said}; TLS with ${targetHost} through the tunnel verified`]);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'ERROR';
    if (signal.aborted) {
      return result('timeout', [
        `no answer within the ${context.deadlineMs} ms deadline during ${stage} (proxy ${proxyUrl.host})`,
      ]);
    }
    if (stage === 'connect')
      return result('unreachable', [`connect to proxy ${proxyUrl.host} (${address}:${port}): ${code}`]);
    if (stage === 'tls') {
      return result('tls-invalid', [
        `the tunnel to ${authority} does not prove ${targetHost} over TLS (${code}): TLS inspection?`,
      ]);
    }
    return result('http-error', [`${stage} via ${proxyUrl.host}: ${code} ${(error as Error).message}`]);
  } finally {
    signal.removeEventListener('abort', abort);
    socket.destroy();
  }
}

/** A GET of a plain-http mirror's root in absolute form, as go sends it through HTTP_PROXY. */
function absoluteFormRequest(target: URL, proxy: URL): string {
  const auth = proxyAuthorization(proxy);
  return `GET ${target.origin}/ HTTP/1.1\r\nHost: ${target.host}\r\n${auth ? `Proxy-Authorization: ${auth}\r\n` : ''}Connection: close\r\n\r\n`;
}

/** How many mirrors each proxy may tunnel to at once: enough to find one that answers. */
export const MAX_PROXY_TARGETS = 4;

/**
 * Probes one proxy by tunnelling to several mirrors at once: the proxy is healthy as soon as one
 * tunnel proves its mirror over TLS, so a mirror that is down never makes a good proxy look
 * bad. The other attempts are then stopped. When every tunnel fails, the proxy's verdict is the
 * one they share (a dead or hanging proxy fails them all alike), 407 first; otherwise the
 * first target's, with one evidence line per target.
 */
export async function probeProxyThroughAny(
  proxy: { name: string; url: string },
  targets: URL[],
  context: ProbeContext,
): Promise<ProxyHealth> {
  const stop = new AbortController();
  const onDeadline = () => stop.abort();
  context.signal.addEventListener('abort', onDeadline, { once: true });
  const scoped: ProbeContext = { ...context, signal: stop.signal };
  const attempts = targets.map((target) => probeProxy(proxy, target, scoped));
  try {
    return await Promise.any(
      attempts.map((attempt) => attempt.then((health) => (health.healthy ? health : Promise.reject(health)))),
    );
  } catch {
    const failures = await Promise.all(attempts);
    const first = failures[0];
    if (!first) throw new Error('internal: a proxy probe needs at least one mirror to tunnel to');
    const authRequired = failures.find((f) => f.verdict === 'auth-required');
    if (authRequired) return authRequired;
    if (failures.every((f) => f.verdict === first.verdict && f.evidence[0] === first.evidence[0]))
      return first;
    return { ...first, evidence: failures.map((f) => `${f.target}: ${f.evidence[0] ?? f.verdict}`) };
  } finally {
    context.signal.removeEventListener('abort', onDeadline);
    stop.abort(); // ends the attempts still running once one has succeeded
  }
}

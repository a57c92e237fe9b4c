import { hideSecrets } from '../settings/setting-value.js';
import { openConnection, proxyAuthorization, readResponseHead } from './connect.js';
import type { ProbeContext } from './context.js';
import { whenAborted } from './deadline.js';
import { observeDns } from './dns.js';
import type { PhaseError } from './phase-error.js';
import type { ProxyHealth, ProxyObservation } from './types.js';
import { judgeFailedTunnels, judgeProxy } from './verdict.js';

// The result type lives with the others in types.ts; policy and guard import it from here.
export type { ProxyHealth } from './types.js';

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
  const observation = await observeProxy(new URL(proxy.url), target, context);
  return judgeProxy({
    name: proxy.name,
    url: hideSecrets(proxy.url),
    observation,
    latencyMs: performance.now() - started,
    deadlineMs: context.deadlineMs,
  });
}

/** Talks to the proxy through connect.ts (the one CONNECT and TLS path) and records what it saw. */
async function observeProxy(proxyUrl: URL, target: URL, context: ProbeContext): Promise<ProxyObservation> {
  const targetHost = target.hostname.replace(/^\[|\]$/g, '');
  const plain = target.protocol === 'http:';
  const targetPort = Number(target.port) || (plain ? 80 : 443);
  const observation: ProxyObservation = {
    proxy: proxyUrl.host,
    proxyHost: proxyUrl.hostname,
    target: `${target.hostname}:${targetPort}`,
    targetHost,
    targetOrigin: target.origin,
    plain,
  };
  const dns = await observeDns(proxyUrl.hostname.replace(/^\[|\]$/g, ''), context);
  if (!('addresses' in dns.system)) {
    return { ...observation, failure: { stage: 'dns', ...dns.system.error } };
  }
  const address = dns.system.addresses[0] as string;
  const port = Number(proxyUrl.port) || 80;
  observation.address = `${address}:${port}`;
  const { signal } = context;
  try {
    const opened = await openConnection({
      address,
      port,
      host: targetHost,
      secure: !plain,
      secureContext: context.secureContext,
      extraCaFingerprints: context.extraCaFingerprints,
      signal,
      ...(plain ? {} : { tunnel: { proxy: proxyUrl, targetPort } }),
    });
    if (!plain) {
      opened.socket.destroy();
      return { ...observation, tunnelVerified: true, ...answered(opened.tunnelAnswer) };
    }
    // go sends plain http to the proxy as it is, in absolute form.
    try {
      opened.socket.write(absoluteFormRequest(target, proxyUrl));
      const head = await Promise.race([
        readResponseHead(opened.socket),
        whenAborted(signal, 'ttfb', proxyUrl.hostname),
      ]);
      return { ...observation, answer: head };
    } finally {
      opened.socket.destroy();
    }
  } catch (error) {
    const failed = error as PhaseError;
    const stage =
      failed.phase === 'tls' ? 'tls' : failed.phase === 'connect' && !failed.tunnel ? 'connect' : 'request';
    return {
      ...observation,
      ...answered(failed.tunnel?.answer),
      // A refused tunnel is judged from the proxy's answer; anything else from the failure.
      ...(failed.tunnel?.answer && stage === 'request'
        ? {}
        : {
            failure: {
              stage,
              code: failed.code ?? 'ERROR',
              message: failed.message,
              timedOut: failed.timedOut === true || signal.aborted,
            },
          }),
    };
  }
}

const answered = (answer: string | undefined) => (answer === undefined ? {} : { answer });

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
 * bad. The other attempts are then stopped. When every tunnel fails, judgeFailedTunnels says
 * which verdict the proxy gets.
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
    return judgeFailedTunnels(await Promise.all(attempts));
  } finally {
    context.signal.removeEventListener('abort', onDeadline);
    stop.abort(); // ends the attempts still running once one has succeeded
  }
}

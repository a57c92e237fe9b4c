import { openConnection, PhaseError } from './connect.js';
import type { ProbeContext } from './context.js';
import { getOverSocket } from './http.js';
import { escapeModulePath } from './module-path.js';
import { resolveHost } from './resolve.js';
import type { MirrorObservation, Phase } from './types.js';

/** A version list is small; anything past this is not a version list. */
const LIST_BODY_LIMIT = 64 * 1024;
const USER_AGENT = 'goproxy-guard (+health probe)';

/**
 * Probes one mirror with the GOPROXY protocol: resolve its host, connect to the first address,
 * TLS with the mirror's name, then GET <mirror>/<module>/@v/list for the canary module.
 * Never throws: every failure becomes part of the observation.
 */
export async function probeMirrorList(mirrorUrl: string, context: ProbeContext): Promise<MirrorObservation> {
  const url = new URL(mirrorUrl);
  const secure = url.protocol === 'https:';
  const port = Number(url.port) || (secure ? 443 : 80);
  const observation: MirrorObservation = { phases: {} };
  const timed = async <T>(phase: Phase, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work();
    } finally {
      observation.phases[phase] = Math.round(performance.now() - started);
    }
  };
  try {
    const addresses = await timed('dns', () =>
      resolveHost(url.hostname, context.signal, context.systemResolver).catch((error) => {
        throw new PhaseError('dns', error.code ?? 'ERROR', error.message, error.timedOut === true);
      }),
    );
    const address = addresses[0] as string;
    observation.address = address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
    const opened = await openConnection({
      address,
      port,
      host: url.hostname.replace(/^\[|\]$/g, ''),
      secure,
      secureContext: context.secureContext,
      signal: context.signal,
    });
    observation.phases.connect = Math.round(opened.connectMs);
    if (opened.tlsMs !== undefined) observation.phases.tls = Math.round(opened.tlsMs);
    const path = `${url.pathname.replace(/\/$/, '')}/${escapeModulePath(context.canary.module)}/@v/list`;
    const response = await getOverSocket({
      origin: url.origin,
      path,
      socket: opened.socket,
      signal: context.signal,
      maxBytes: LIST_BODY_LIMIT,
      userAgent: USER_AGENT,
    });
    observation.phases.ttfb = Math.round(response.ttfbMs);
    observation.phases.transfer = Math.round(response.transferMs);
    observation.response = {
      url: `${url.origin}${path}`,
      status: response.status,
      contentType: response.contentType,
      body: response.body,
      truncated: response.truncated,
      ...(response.location ? { location: response.location } : {}),
    };
  } catch (error) {
    const failure =
      error instanceof PhaseError
        ? error
        : new PhaseError('connect', (error as NodeJS.ErrnoException).code ?? 'ERROR', String(error));
    observation.failure = {
      phase: failure.phase,
      code: failure.code,
      message: failure.message,
      timedOut: failure.timedOut,
    };
  }
  return observation;
}

import type { ProbeContext } from './context.js';
import { createFetcher } from './fetcher.js';
import { escapeModulePath } from './module-path.js';
import { PhaseError } from './phase-error.js';
import type { MirrorObservation } from './types.js';

/** Body limits per step: far above what an honest mirror sends, far below what could hurt. */
export const BODY_LIMITS = { list: 64 * 1024, info: 16 * 1024, mod: 256 * 1024, sumdb: 64 * 1024 } as const;

/**
 * Probes one mirror with the GOPROXY protocol on the canary module (@v/list, then .info and
 * .mod of the canary version) and asks whether it proxies the checksum database
 * (/sumdb/<name>/supported, then a lookup). Stops at the first step that fails; never throws.
 */
export async function probeMirror(mirrorUrl: string, context: ProbeContext): Promise<MirrorObservation> {
  const observation: MirrorObservation = { phases: {}, dns: [], exchanges: [] };
  const fetcher = createFetcher(context, observation);
  const base = mirrorUrl.replace(/\/$/, '');
  const { module, version } = context.canary;
  const modulePath = `${base}/${escapeModulePath(module)}/@v`;
  try {
    const list = await fetcher.get(`${modulePath}/list`, 'list', BODY_LIMITS.list);
    if (list.status !== 200) return observation;
    const info = await fetcher.get(`${modulePath}/${version}.info`, 'info', BODY_LIMITS.info);
    if (info.status !== 200) return observation;
    const mod = await fetcher.get(`${modulePath}/${version}.mod`, 'mod', BODY_LIMITS.mod);
    if (mod.status !== 200) return observation;
    const sumdb = `${base}/sumdb/${context.sumdb.name}`;
    const supported = await fetcher.get(`${sumdb}/supported`, 'sumdb-supported', BODY_LIMITS.sumdb);
    if (supported.status === 200) {
      await fetcher.get(
        `${sumdb}/lookup/${escapeModulePath(module)}@${version}`,
        'sumdb-lookup',
        BODY_LIMITS.sumdb,
      );
    }
  } catch (error) {
    const failure =
      error instanceof PhaseError
        ? error
        : new PhaseError(
            'connect',
            (error as NodeJS.ErrnoException).code ?? 'ERROR',
            String(error),
            false,
            new URL(mirrorUrl).hostname,
          );
    observation.failure = {
      phase: failure.phase,
      code: failure.code,
      message: failure.message,
      timedOut: failure.timedOut,
      host: failure.host,
      ...(failure.tls ? { tls: failure.tls } : {}),
    };
  } finally {
    fetcher.close();
  }
  return observation;
}

import { readFile, rm } from 'node:fs/promises';
import { createTempFile } from './answer-cache.js';
import { type AnswerKind, answerProblem } from './answer-check.js';
import {
  hedgeDelayMs,
  type MirrorHealthState,
  type Outcome,
  orderMirrors,
  recordCancelled,
  recordOutcome,
  recordOutrun,
  recordStart,
} from './mirror-health.js';
import { type Upstream, UpstreamError } from './upstream.js';

/** One place a request can be sent: a mirror (or the checksum database) and its health. */
export interface Target {
  health: MirrorHealthState;
  /** The URL of this request on that target. */
  url: string;
}

export interface FailoverCounters {
  hedgesFired: number;
  failovers: number;
  tamperedRefused: number;
}

/** What the guard answers go after asking the mirrors. */
export type FailoverResult =
  | {
      kind: 'answer';
      /** The body's temp file, when onDisk (else never made: the whole body is in `body`). */
      file: string;
      onDisk: boolean;
      size: number;
      contentType: string;
      mirror: string;
      /** The whole body when it fits in what the upstream kept in memory: served without reading the file. */
      body?: Buffer;
    }
  | { kind: 'not-found'; status: 404 | 410; body: string; mirror: string }
  | { kind: 'failed'; reasons: string[] };

export interface FailoverRequest {
  kind: AnswerKind;
  /** HEAD: the mirrors are asked for the headers alone, and the answer carries no body. */
  method?: 'GET' | 'HEAD';
  maxBytes: number;
  /** A temp file for each attempt (answerCache.tempFile()). */
  tempFile(): string;
  /** Checks a fully received, valid body (its file, or the body itself when held whole in memory); 'tampered' refuses it. */
  verify?(source: { file: string } | { body: Buffer }, signal: AbortSignal): Promise<'ok' | 'tampered'>;
}

/**
 * Asks the targets for one request, best first, until one gives a valid answer: a target that
 * fails hands over at once (failover); a target that has not answered within its hedge delay
 * gets the next one racing it (hedge); the first valid answer wins and the others are
 * cancelled. 404/410 is the answer only when no target gave a valid one and at least one said so.
 */
export async function askTargets(
  targets: readonly Target[],
  request: FailoverRequest,
  upstream: Upstream,
  counters: FailoverCounters,
  hedgeBounds: { minMs: number; maxMs: number },
  /** Fires when go hung up or the guard is closing: every attempt is cancelled. */
  signal: AbortSignal,
  now: () => number = Date.now,
): Promise<FailoverResult> {
  const byName = new Map(targets.map((t) => [t.health.name, t]));
  const order = orderMirrors(
    targets.map((t) => t.health),
    now(),
  ).map((health) => byName.get(health.name) as Target);
  if (order.length === 0)
    return { kind: 'failed', reasons: ['every mirror is out for a while (circuit breakers open)'] };
  const reasons: string[] = [];
  let notFound: Extract<FailoverResult, { kind: 'not-found' }> | undefined;
  const controllers = new Map<Target, AbortController>(); // attempts still running
  const silent = new Map<Target, number>(); // attempts under way and when they started
  let next = 0;
  let running = 0;
  let settled = false;

  return new Promise<FailoverResult>((resolve) => {
    const finish = (result: FailoverResult) => {
      if (settled) return;
      settled = true;
      for (const [target, startedAt] of silent) {
        if (result.kind === 'answer') recordOutrun(target.health, now() - startedAt);
        else recordCancelled(target.health);
      }
      // Only attempts still running: an abort makes a DOMException with a stack, per request.
      for (const controller of controllers.values()) controller.abort();
      resolve(result);
    };
    const launch = (why: 'first' | 'hedge' | 'failover') => {
      const target = order[next++];
      if (!target || settled) return;
      if (why === 'hedge') counters.hedgesFired++;
      if (why === 'failover') counters.failovers++;
      const controller = new AbortController();
      controllers.set(target, controller);
      running++;
      recordStart(target.health, now());
      silent.set(target, now());
      const hedge = setTimeout(() => launch('hedge'), hedgeDelayMs(target.health, hedgeBounds));
      attempt(target, request, upstream, controller.signal).then((result) => {
        clearTimeout(hedge);
        controllers.delete(target);
        running--;
        silent.delete(target);
        if (settled) {
          if (result.kind === 'answer') void rm(result.file, { force: true });
          return; // lost the race: its outcome says nothing about the mirror
        }
        if (result.outcome === 'local') {
          // The guard's disk failed: no mirror is to blame, and none would fare better.
          recordCancelled(target.health);
          return finish({ kind: 'failed', reasons: [result.reason] });
        }
        recordOutcome(target.health, result.outcome, now(), result.firstByteMs);
        if (result.kind === 'answer') return finish(result);
        if (result.outcome === 'tampered') counters.tamperedRefused++;
        if (result.kind === 'not-found') notFound ??= result;
        else reasons.push(`${target.health.name}: ${result.reason}`);
        if (next < order.length) return launch('failover');
        if (running === 0) finish(notFound ?? { kind: 'failed', reasons });
      });
    };
    if (signal.aborted) return finish({ kind: 'failed', reasons: ['cancelled'] });
    signal.addEventListener('abort', () => finish({ kind: 'failed', reasons: ['cancelled'] }), {
      once: true,
    });
    launch('first');
  });
}

type Attempt =
  | (Extract<FailoverResult, { kind: 'answer' }> & { outcome: 'ok'; firstByteMs: number })
  | (Extract<FailoverResult, { kind: 'not-found' }> & { outcome: 'not-found'; firstByteMs?: number })
  | { kind: 'failed'; outcome: Outcome | 'local'; reason: string; firstByteMs?: number };

/** One target asked once; never throws. */
async function attempt(
  target: Target,
  request: FailoverRequest,
  upstream: Upstream,
  signal: AbortSignal,
): Promise<Attempt> {
  const mirror = target.health.name;
  const file = request.tempFile();
  try {
    const answer = await upstream.fetch(target.url, file, request.maxBytes, signal, request.method);
    if (answer.status === 404 || answer.status === 410) {
      return {
        kind: 'not-found',
        status: answer.status,
        body: `${mirror}: ${answer.status} for ${target.url}\n`,
        mirror,
        outcome: 'not-found',
      };
    }
    if (answer.status !== 200) {
      return { kind: 'failed', outcome: 'error', reason: `GET ${target.url}: ${answer.status}` };
    }
    if (request.method === 'HEAD') {
      // No body to judge: a mirror's headers are all go asked for.
      const { contentType, size, firstByteMs } = answer;
      return { kind: 'answer', file, onDisk: false, size, contentType, mirror, outcome: 'ok', firstByteMs };
    }
    // Small answers are judged whole; a zip by its first bytes (it is hashed by the gate).
    const whole = request.kind === 'zip' || answer.size <= answer.head.length;
    const head = whole ? answer.head : await readFile(file);
    const problem = answerProblem(request.kind, answer.contentType, head);
    if (problem) {
      await rm(file, { force: true });
      return { kind: 'failed', outcome: 'invalid', reason: `GET ${target.url}: 200 but ${problem}` };
    }
    // The gate hashes a go.mod held in memory as it is; a zip it reads from a file, so a small
    // zip held in memory alone is written out for it first.
    const writeOut = request.verify !== undefined && !answer.onDisk && request.kind === 'zip';
    if (writeOut) {
      const written = await writeBody(file, answer.head);
      if (written) return { kind: 'failed', outcome: 'local', reason: written };
    }
    const source = answer.onDisk || writeOut ? { file } : { body: answer.head.subarray(0, answer.size) };
    if (request.verify && (await request.verify(source, signal)) === 'tampered') {
      await rm(file, { force: true });
      return {
        kind: 'failed',
        outcome: 'tampered',
        reason: `GET ${target.url}: the content differs from the checksum database's record (refused)`,
      };
    }
    return {
      kind: 'answer',
      file,
      // Written out for the gate if it was not already.
      onDisk: answer.onDisk || writeOut,
      size: answer.size,
      contentType: answer.contentType,
      mirror,
      outcome: 'ok',
      firstByteMs: answer.firstByteMs,
      ...(answer.size <= answer.head.length ? { body: answer.head.subarray(0, answer.size) } : {}),
    };
  } catch (error) {
    await rm(file, { force: true });
    const outcome = error instanceof UpstreamError ? error.outcome : 'error';
    return { kind: 'failed', outcome, reason: `GET ${target.url}: ${(error as Error).message}` };
  }
}

/** Writes a body held in memory to its temp file; the error, in words, when the guard's disk fails. */
export async function writeBody(file: string, body: Buffer): Promise<string | undefined> {
  try {
    const handle = await createTempFile(file);
    try {
      await handle.writeFile(body);
    } finally {
      await handle.close();
    }
    return undefined;
  } catch (error) {
    await rm(file, { force: true });
    return `the guard cannot write its cache folder: ${(error as Error).message}`;
  }
}

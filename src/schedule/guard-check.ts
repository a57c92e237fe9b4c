import type { GuardAnswer } from '../guardproxy/status-client.js';
import { type GuardEventKind, type GuardSeen, guardEvents } from '../policy/guard-watch.js';
import type { StatePaths } from '../state/paths.js';

/** How long the run waits for the guard's status: it answers from memory, at once when it runs. */
const STATUS_TIMEOUT_MS = 3000;

export interface GuardCheck {
  seen: GuardSeen;
  /** The events this run wrote (none while nothing changed), with how the write went. */
  events: { kind: GuardEventKind; message: string; eventLog: { written: boolean; detail: string } }[];
}

/**
 * The scheduled run's look at the guard proxy (guard mode): asks it once for its status, writes
 * the Event Log entries the rules in policy/guard-watch call for, records the look in the history
 * and remembers it for the next run.
 */
export async function checkGuard(
  listen: string,
  paths: StatePaths,
  env: NodeJS.ProcessEnv,
  now: Date,
): Promise<GuardCheck> {
  const [{ askGuard }, { loadGuardWatch, saveGuardWatch }, { writeEvent }, { appendHistory }] =
    await Promise.all([
      import('../guardproxy/status-client.js'),
      import('../state/guard-watch.js'),
      import('../system/event-log.js'),
      import('../state/history.js'),
    ]);
  const seen = seenOf(await askGuard(listen, STATUS_TIMEOUT_MS));
  const { events, next } = guardEvents(await loadGuardWatch(paths.guardWatch), seen, now);
  const written: GuardCheck['events'] = [];
  for (const event of events)
    written.push({ ...event, eventLog: await writeEvent(event.kind, event.message, env) });
  await appendHistory(paths.history, {
    at: now.toISOString(),
    command: 'run',
    event: 'guard',
    guard: seen,
    events: written,
  });
  await saveGuardWatch(paths.guardWatch, next);
  return { seen, events: written };
}

/** The guard's status reduced to what the run reports; a counter it lacks reads 0. */
function seenOf(answer: GuardAnswer): GuardSeen {
  if (!answer.running) return answer;
  const { status } = answer;
  const count = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
  const counters = status.counters as unknown as Record<string, unknown>;
  return {
    running: true,
    url: status.url,
    uptimeSeconds: count(status.uptimeSeconds),
    counters: {
      requests: count(counters?.requests),
      hedgesFired: count(counters?.hedgesFired),
      failovers: count(counters?.failovers),
      tamperedRefused: count(counters?.tamperedRefused),
      staleServed: count(counters?.staleServed),
      joined: count(counters?.joined),
      prefetched: count(counters?.prefetched),
    },
    tamperedBy: Object.fromEntries(
      status.mirrors.map((m) => [m.name, count((m.counts as Record<string, unknown>)?.tampered)]),
    ),
  };
}

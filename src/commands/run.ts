import type { Plan } from '../guard/plan.js';
import type { GuardSeen } from '../policy/guard-watch.js';
import { defineCommand } from './definition.js';
import { EXIT } from './exit-codes.js';
import { loadForRun } from './shared.js';

/** One line on the guard proxy for the run's text output. */
const guardLine = (seen: GuardSeen) =>
  seen.running
    ? `guard proxy: up at ${seen.url}, ${seen.counters.requests} requests, ${seen.counters.hedgesFired} hedges fired, ${seen.counters.failovers} failovers, ${seen.counters.tamperedRefused} tampered refused, ${seen.counters.staleServed} stale served`
    : `guard proxy: down (${seen.reason})`;

/** Extra time a scheduled cycle may take beyond the probe deadline (go env calls, writes). */
const CYCLE_MARGIN_MS = 60_000;

/**
 * One unattended guard cycle, as the scheduled task runs it.
 *
 * Takes the lock (if another run holds it, exits 0 at once: the next trigger will come), probes,
 * decides, backs up, applies and verifies exactly like apply, records the history, writes an
 * Application event log entry on Windows when the settings changed, and writes the Prometheus
 * textfile named by schedule.textfile (or --textfile). In guard mode (guard.enabled) it also asks
 * the guard proxy for its status once: whether it runs and what it did (requests, hedges fired,
 * failovers, tampered answers refused, stale answers served) go into the output, the history and
 * the textfile, and an event log entry says when the guard went down, when it came back and when
 * it refused tampered answers since the last run (once per change, not on every run). The whole cycle is bounded by
 * the probe deadline plus one minute. Exit codes: 0 done (or skipped), 1 no mirror works (the last
 * known good configuration was kept), 2 bad config or a machine to fix first (a read-only or full
 * state folder, a missing tool), 3 a tool failed, a change did not verify, or a bug.
 *
 * @example
 * goproxy-guard run --scheduled --config goproxy-guard.json
 * What the scheduled task runs.
 * @cli
 * goproxy-guard run --scheduled --config goproxy-guard.json --textfile C:\metrics\goproxyguard.prom
 */
export const run = defineCommand({
  name: 'run',
  cmdlet: 'Invoke-GoProxyCycle',
  outputType: 'GoProxyGuard.Plan',
  outputProperty: '.',
  changesMachine: true,
  cliOnly: true,
  whatIf: { target: 'go env file', action: 'Run one guard cycle' },
  columns: [],
  options: {
    /** Path of the JSON config file (else GOPROXYGUARD_CONFIG, else the built-in public mirrors). */
    config: { kind: 'path', flag: 'config', parameter: 'ConfigPath', valueName: 'FILE' },
    /** Unattended: no progress, and a held lock is a quiet success. */
    scheduled: { kind: 'switch', flag: 'scheduled', parameter: 'Scheduled' },
    /** Where to write the Prometheus textfile (overrides schedule.textfile). */
    textfile: { kind: 'path', flag: 'textfile', parameter: 'TextfilePath', valueName: 'FILE' },
  },
  async run(options, io) {
    const started = performance.now();
    const loaded = await loadForRun(options, io, true);
    const [
      { planDocument },
      { planAndApply },
      { LOCK_WAIT_MS, underRunLock },
      { LockHeldError },
      { stateDir, statePaths },
    ] = await Promise.all([
      import('../guard/plan.js'),
      import('../guard/apply.js'),
      import('../guard/run-lock.js'),
      import('../state/lock.js'),
      import('../state/paths.js'),
    ]);
    const paths = statePaths(stateDir(io.env));
    const budget = loaded.config.deadlineMs + CYCLE_MARGIN_MS;
    const emit = options.scheduled ? () => {} : io.emit;
    const warn = (message: string) => io.emit({ type: 'log', level: 'warning', message });
    const cycle = async () => {
      const { planned, result } = await planAndApply(loaded, paths, io.env, emit, new Date());
      // Guard mode: one look at the guard proxy per run, for the textfile, the log and the history.
      const guard = loaded.config.guard.enabled
        ? await (await import('../schedule/guard-check.js')).checkGuard(
            loaded.config.guard.listen,
            paths,
            io.env,
            new Date(),
          )
        : undefined;
      const textfile = loaded.config.schedule.textfile; // --textfile is in it unless policy fixes it
      if (textfile) {
        const [{ metricsText }, { writeFileAtomic }] = await Promise.all([
          import('../schedule/metrics.js'),
          import('../state/atomic.js'),
        ]);
        await writeFileAtomic(
          textfile,
          metricsText(
            planned,
            { changed: result.changed, durationMs: performance.now() - started, at: new Date() },
            guard?.seen,
          ),
        );
      }
      if (result.changed) await recordChangeEvent(planned, paths.history, io.env);
      return { planned, result, guard };
    };
    let outcome: Awaited<ReturnType<typeof cycle>>;
    try {
      // Scheduled: a held lock is a quiet success (the next trigger will come), so no wait.
      outcome = await underRunLock(paths, options.scheduled ? 0 : LOCK_WAIT_MS, warn, () =>
        withinBudget(cycle(), budget),
      );
    } catch (error) {
      if (!(error instanceof LockHeldError) || !options.scheduled) throw error;
      io.emit({ type: 'log', level: 'verbose', message: `skipped: ${error.message}` });
      return {
        exitCode: EXIT.ok,
        document: { skipped: true, reason: error.message },
        text: `skipped: ${error.message}`,
      };
    }
    const { planned, result, guard } = outcome;
    const summary = `${result.changed ? 'changed' : 'unchanged'}: GOPROXY=${planned.decision.goproxy}${planned.decision.keptLastGood ? ' (last known good kept: no mirror works)' : ''}`;
    return {
      exitCode: planned.decision.keptLastGood ? EXIT.unhealthy : EXIT.ok,
      document: planDocument(planned, {
        skipped: false,
        applied: result.changed,
        ...(guard ? { guard: { ...guard.seen, events: guard.events } } : {}),
      }),
      text: guard ? `${summary}\n${guardLine(guard.seen)}` : summary,
    };
  },
});

/** The cycle's result, or an error once it has taken longer than `budget` ms. */
async function withinBudget<T>(work: Promise<T>, budget: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const overrun = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the cycle did not finish within ${budget} ms`)), budget);
  });
  try {
    return await Promise.race([work, overrun]);
  } finally {
    clearTimeout(timer);
  }
}

/** An Application event log entry on Windows saying what changed and why, noted in the history. */
async function recordChangeEvent(planned: Plan, history: string, env: NodeJS.ProcessEnv): Promise<void> {
  const [{ writeChangeEvent }, { showValue }, { appendHistory }] = await Promise.all([
    import('../system/event-log.js'),
    import('../settings/setting-value.js'),
    import('../state/history.js'),
  ]);
  const changes = planned.changes.map(
    (c) => `${c.setting.replace(/^go-env:/, '')}: ${showValue(c.from)} -> ${showValue(c.to)}`,
  );
  const eventLog = await writeChangeEvent(
    `GoProxyGuard changed go settings. ${changes.join('; ')}. ${planned.reasons.join('; ')}`,
    env,
  );
  await appendHistory(history, {
    at: new Date().toISOString(),
    command: 'run',
    event: 'event-log',
    eventLog,
  });
}

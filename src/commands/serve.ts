import { UsageError } from './argv.js';
import { type CommandIO, type CommandOutcome, defineCommand } from './definition.js';
import { EXIT } from './exit-codes.js';

/**
 * Runs the guard proxy: a GOPROXY on loopback that fails over per request, so go never stalls.
 *
 * Point go at it with GOPROXY=http://127.0.0.1:47193|<mirrors> (the mirrors after "|" are go's
 * own fallback when the guard is not running). For every request the guard asks the mirror with
 * the best live score; a mirror that has not answered within a delay learned from its recent
 * latency gets the next mirror racing it (the first valid answer wins), a mirror that fails or
 * stops sending hands over at once, and a mirror that keeps failing is left out for a while.
 * Answers are checked as the probes check them (a captive portal's page is a failure) and every
 * .mod and .zip is checked against the checksum database before go sees it, so a tampered mirror
 * is skipped instead of stopping go with a SECURITY ERROR. Modules covered by GOPRIVATE or
 * GONOPROXY are never asked of any mirror. Immutable answers are kept on disk under the state
 * folder (guard.cacheMaxMb). It listens on loopback only (guard.listen, default 127.0.0.1:47193)
 * and answers only requests addressed to that address. When it is ready it prints one line
 * naming its URL (with -AsJson / --json, one JSON object with url), then runs in the foreground
 * until Ctrl+C (SIGINT) or SIGTERM, and ends cleanly with exit code 0. A listen address already
 * in use is bad input (exit code 2). Its live standing is at <url>/_guard/status.
 *
 * @example
 * Start-GoProxyServer -ConfigPath .\goproxy-guard.json
 * Runs the guard on 127.0.0.1:47193 with the mirrors of a config file until Ctrl+C.
 * @example
 * Start-GoProxyServer -Listen 127.0.0.1:0 -AsJson
 * Runs the guard on a free port and prints where it listens as JSON.
 * @cli
 * goproxy-guard serve --listen 127.0.0.1:0 --json
 */
export const serve = defineCommand({
  name: 'serve',
  cmdlet: 'Start-GoProxyServer',
  outputType: 'GoProxyGuard.GuardProxy',
  outputProperty: '.',
  changesMachine: false,
  columns: [{ label: 'Url', property: 'Url' }],
  options: {
    /** Path of the JSON config file (else GOPROXYGUARD_CONFIG, else the built-in public mirrors). */
    config: { kind: 'path', flag: 'config', parameter: 'ConfigPath', valueName: 'FILE' },
    /** Loopback "address:port" to listen on, overriding guard.listen; port 0 picks a free port. */
    listen: { kind: 'string', flag: 'listen', parameter: 'Listen', valueName: 'ADDRESS:PORT' },
    /** Start the guard detached, return once it listens and leave it running (stop: Stop-GoProxyServer). */
    background: { kind: 'switch', flag: 'background', parameter: 'Background' },
  },
  async run(options, io) {
    const [{ loadForRun }, { listenProblem }, { startGuard, splitListen }] = await Promise.all([
      import('./shared.js'),
      import('../config/schema.js'),
      import('../guardproxy/start.js'),
    ]);
    const problem = options.listen === undefined ? undefined : listenProblem(options.listen);
    if (problem) throw new UsageError('--listen', problem);
    const loaded = await loadForRun(options, io);
    const listenAt = options.listen ?? loaded.config.guard.listen;
    if (options.background) return startBackground(options, listenAt, io);
    const listen = splitListen(listenAt);
    const guard = await startGuard(loaded, io.env, listen, (level, message) =>
      io.emit({ type: 'log', level, message }),
    );
    const { writeGuardRecord, removeGuardRecord } = await import('../guardproxy/guard-record.js');
    const { VERSION } = await import('./version.js');
    await writeGuardRecord(io.env, {
      pid: process.pid,
      url: guard.url,
      startedAt: new Date().toISOString(),
      version: VERSION,
    });
    const stop = () => void guard.close();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    io.announce?.(
      { url: guard.url, pid: process.pid, status: `${guard.url}/_guard/status` },
      `goproxy-guard serve: listening on ${guard.url} (Ctrl+C to stop)`,
    );
    await guard.closed;
    await removeGuardRecord(io.env);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    const counters = guard.status().counters;
    return {
      exitCode: EXIT.ok,
      document: undefined,
      text: `goproxy-guard serve: stopped after ${counters.requests} requests (${counters.failovers} failovers, ${counters.hedgesFired} hedges, ${counters.tamperedRefused} tampered answers refused)`,
    };
  },
});

/** serve --background: refuses when a guard already answers, else starts one detached. */
async function startBackground(
  options: { config?: string | undefined },
  listenAt: string,
  io: CommandIO,
): Promise<CommandOutcome> {
  const [{ askGuard }, { findRecordedGuard }, { startInBackground }, { resolve }] = await Promise.all([
    import('../guardproxy/status-client.js'),
    import('../guardproxy/guard-record.js'),
    import('../guardproxy/background.js'),
    import('node:path'),
  ]);
  const recorded = await findRecordedGuard(io.env);
  if (recorded.running)
    throw new UsageError(
      '--background',
      `a guard already runs at ${recorded.record.url} (pid ${recorded.record.pid}); stop it first: goproxy-guard serve stop`,
    );
  if (!listenAt.endsWith(':0') && (await askGuard(listenAt)).running)
    throw new UsageError('--background', `a guard already answers at ${listenAt}; stop it first`);
  const args = ['--listen', listenAt];
  if (options.config !== undefined) args.push('--config', resolve(options.config));
  const record = await startInBackground(args, io.env);
  return {
    exitCode: EXIT.ok,
    document: { url: record.url, pid: record.pid, status: `${record.url}/_guard/status` },
    text: `goproxy-guard serve: listening on ${record.url} in the background (pid ${record.pid}); stop it with: goproxy-guard serve stop`,
  };
}

/**
 * Shows whether the guard proxy this state folder recorded is running, with its counters.
 *
 * Reads guard.json in the state folder (written by a running serve) and asks the guard at that
 * URL for its status. A record whose process is gone, or whose URL does not answer as the guard
 * does, is not running (the reason says which). Exit code 0 when running, 1 when not.
 *
 * @example
 * Get-GoProxyServer
 * Shows whether the guard runs, where, and what it has done since it started.
 * @cli
 * goproxy-guard serve status --json
 */
export const serveStatus = defineCommand({
  name: 'serve status',
  cmdlet: 'Get-GoProxyServer',
  outputType: 'GoProxyGuard.GuardProxyStatus',
  outputProperty: '.',
  changesMachine: false,
  columns: [
    { label: 'Running', property: 'running' },
    { label: 'Url', property: 'url' },
    { label: 'Pid', property: 'pid' },
  ],
  options: {},
  async run(_options, io) {
    const { findRecordedGuard } = await import('../guardproxy/guard-record.js');
    const found = await findRecordedGuard(io.env);
    if (!found.running) {
      return {
        exitCode: EXIT.unhealthy,
        document: {
          running: false,
          reason: found.reason,
          url: found.record?.url ?? null,
          pid: found.record?.pid ?? null,
        },
        text: `goproxy-guard serve: not running (${found.reason})`,
      };
    }
    const { status } = found.answer;
    const c = status.counters;
    const counters = {
      requests: c.requests,
      hedgesFired: c.hedgesFired,
      failovers: c.failovers,
      tamperedRefused: c.tamperedRefused,
      staleServed: c.staleServed,
      joined: c.joined,
      prefetched: c.prefetched,
    };
    return {
      exitCode: EXIT.ok,
      document: {
        running: true,
        url: found.record.url,
        pid: found.record.pid,
        startedAt: found.record.startedAt,
        version: found.record.version,
        uptimeSeconds: status.uptimeSeconds,
        counters,
      },
      text: `goproxy-guard serve: running at ${found.record.url} (pid ${found.record.pid}, up ${status.uptimeSeconds} s): ${Object.entries(
        counters,
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    };
  },
});

/** How long stop waits for the guard to end after the signal. */
const STOP_WAIT_MS = 10_000;

/**
 * Stops the guard proxy this state folder recorded (started with serve or serve --background).
 *
 * Signals the recorded process only after the guard answers at the recorded URL (a reused pid
 * is never signalled), waits until it is gone and removes the record. On Windows the process
 * ends at once (Windows has no SIGTERM), so open downloads are cut. Exit code 1 when no guard runs.
 *
 * @example
 * Stop-GoProxyServer
 * Stops the guard started with Start-GoProxyServer -Background.
 * @cli
 * goproxy-guard serve stop
 */
export const serveStop = defineCommand({
  name: 'serve stop',
  cmdlet: 'Stop-GoProxyServer',
  outputType: 'GoProxyGuard.GuardProxyStop',
  outputProperty: '.',
  changesMachine: true,
  whatIf: { target: 'the GoProxyGuard guard proxy', action: 'Stop the guard proxy' },
  columns: [
    { label: 'Stopped', property: 'stopped' },
    { label: 'Pid', property: 'pid' },
  ],
  options: {},
  async run(_options, io) {
    const [{ findRecordedGuard, pidAlive, removeGuardRecord }, { setTimeout: sleep }] = await Promise.all([
      import('../guardproxy/guard-record.js'),
      import('node:timers/promises'),
    ]);
    const found = await findRecordedGuard(io.env);
    if (!found.running) {
      return {
        exitCode: EXIT.unhealthy,
        document: { stopped: false, pid: found.record?.pid ?? null, reason: found.reason },
        text: `goproxy-guard serve stop: no guard running (${found.reason})`,
      };
    }
    const { pid } = found.record;
    // SIGTERM lets the guard close cleanly on Linux and macOS; on Windows process.kill ends the
    // process at once whatever the signal (Windows has no SIGTERM), so the record is removed here.
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + STOP_WAIT_MS;
    while (pidAlive(pid) && Date.now() < deadline) await sleep(100);
    if (pidAlive(pid)) throw new Error(`the guard (pid ${pid}) did not end within ${STOP_WAIT_MS / 1000} s`);
    await removeGuardRecord(io.env);
    return {
      exitCode: EXIT.ok,
      document: { stopped: true, pid, url: found.record.url },
      text: `goproxy-guard serve stop: stopped the guard at ${found.record.url} (pid ${pid})`,
    };
  },
});

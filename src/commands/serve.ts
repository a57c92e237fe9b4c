import { UsageError } from './argv.js';
import { defineCommand } from './definition.js';
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
    const listen = splitListen(options.listen ?? loaded.config.guard.listen);
    const guard = await startGuard(loaded, io.env, listen, (level, message) =>
      io.emit({ type: 'log', level, message }),
    );
    const stop = () => void guard.close();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    io.announce?.(
      { url: guard.url, pid: process.pid, status: `${guard.url}/_guard/status` },
      `goproxy-guard serve: listening on ${guard.url} (Ctrl+C to stop)`,
    );
    await guard.closed;
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

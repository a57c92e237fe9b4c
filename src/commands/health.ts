import type { HealthReport } from '../probe/run.js';
import { defineCommand } from './definition.js';
import { EXIT } from './exit-codes.js';
import { probeOptions } from './probe-options.js';
import { loadForRun, selectMirrors } from './shared.js';
import { renderTable } from './table.js';

/**
 * Probes every configured Go module mirror at once and gives each a verdict with evidence.
 *
 * Every mirror is asked for the canary module's version list with the GOPROXY protocol
 * (<mirror>/<module>/@v/list); the connection is timed phase by phase (dns, connect, tls,
 * ttfb, transfer) and the body must really be a version list, so a captive portal's HTML page
 * or a mirror that hangs is never called healthy. All probes share one deadline (deadlineMs,
 * 5000 by default): the run ends by then however many mirrors hang. The config comes from
 * -ConfigPath, else the file named by GOPROXYGUARD_CONFIG, else the built-in public mirrors.
 * The exit code of the runtime is 0 when at least one mirror is healthy, 1 when none is, and
 * 2 on bad input; nothing on the machine is changed. The cmdlet emits one object per mirror and,
 * for every mirror that is not healthy, a non-terminating error whose id names the verdict.
 *
 * @example
 * Invoke-GoProxyHealth
 * Probes the built-in public mirrors (goproxy.cn, aliyun, goproxy.io, proxy.golang.org).
 * @example
 * Invoke-GoProxyHealth -ConfigPath .\goproxy-guard.json | Where-Object Healthy
 * Probes the mirrors of a config file and keeps only the healthy ones.
 * @example
 * 'goproxy.cn', 'aliyun' | Invoke-GoProxyHealth -ErrorAction SilentlyContinue
 * Probes two of the mirrors, given by name on the pipeline, without an error record per failed mirror.
 * @example
 * Invoke-GoProxyHealth -DeadlineMs 2000 -AsJson | Set-Content health.json
 * Saves the raw JSON report of a run limited to two seconds.
 * @cli
 * goproxy-guard health --config goproxy-guard.json --json
 */
export const health = defineCommand({
  name: 'health',
  cmdlet: 'Invoke-GoProxyHealth',
  outputType: 'GoProxyGuard.MirrorHealth',
  outputProperty: 'mirrors',
  changesMachine: false,
  reportsUnhealthy: true,
  columns: [
    { label: 'Mirror', property: 'Name' },
    { label: 'Verdict', property: 'Verdict' },
    { label: 'Healthy', property: 'Healthy' },
    { label: 'LatencyMs', property: 'LatencyMs' },
    { label: 'Url', property: 'Url' },
    { label: 'Evidence', property: 'Evidence', list: true },
  ],
  options: {
    ...probeOptions,
    /**
     * Names of the mirrors to probe (default: every mirror in the config). Takes mirror names,
     * or objects with a Name, from the pipeline; completes names from the config.
     */
    mirror: { kind: 'list', flag: 'mirror', parameter: 'Mirror', valueName: 'NAMES', pipeline: true },
  },
  async run(options, io) {
    // Loaded here, not at start-up: --version and --help must not pay for zod and undici.
    const [loaded, { probeMirrors }] = await Promise.all([
      loadForRun(options, io),
      import('../probe/run.js'),
    ]);
    const { extraCas } = loaded;
    // A new config for the chosen mirrors: the loaded one is frozen.
    const config = options.mirror
      ? { ...loaded.config, mirrors: selectMirrors(loaded.config.mirrors, options.mirror) }
      : loaded.config;
    io.emit({
      type: 'log',
      level: 'verbose',
      message: `config: ${loaded.source}; probing ${config.mirrors.length} mirror(s) within ${config.deadlineMs} ms`,
    });
    const report = await probeMirrors(
      config,
      extraCas,
      ({ done, total, mirror }) => {
        io.emit({
          type: 'progress',
          activity: 'Probing Go module mirrors',
          status: `${done}/${total}: ${mirror.name} is ${mirror.verdict}`,
          percent: Math.round((done / total) * 100),
        });
        io.emit({
          type: 'log',
          level: 'verbose',
          message: `${mirror.name}: ${mirror.verdict}: ${mirror.evidence[0] ?? ''}`,
        });
      },
      undefined,
      loaded.route,
    );
    const anyHealthy = report.mirrors.some((mirror) => mirror.healthy);
    return { exitCode: anyHealthy ? EXIT.ok : EXIT.unhealthy, document: report, text: renderHealth(report) };
  },
});

function renderHealth(report: HealthReport): string {
  const rows = report.mirrors.map((m) => [
    m.name,
    m.verdict,
    m.latencyMs === null ? '-' : `${m.latencyMs} ms`,
    m.url,
    // the first line says why; the rest is in --json and on the PowerShell objects
    m.evidence.length > 1
      ? `${m.evidence[0]} (+${m.evidence.length - 1} more in --json)`
      : (m.evidence[0] ?? ''),
  ]);
  const table = renderTable(['MIRROR', 'VERDICT', 'LATENCY', 'URL', 'EVIDENCE'], rows);
  const proxies =
    report.proxies.length === 0
      ? ''
      : `\n\n${renderTable(
          ['PROXY', 'VERDICT', 'LATENCY', 'URL', 'EVIDENCE'],
          report.proxies.map((p) => [
            p.name,
            p.verdict,
            p.latencyMs === null ? '-' : `${p.latencyMs} ms`,
            p.url,
            p.evidence.join('; '),
          ]),
        )}`;
  const healthy = report.mirrors.filter((m) => m.healthy).length;
  return `${table}${proxies}\n\n${healthy} of ${report.mirrors.length} mirrors healthy (canary ${report.canary.module}@${report.canary.version}, ${report.elapsedMs} ms of a ${report.deadlineMs} ms deadline)`;
}

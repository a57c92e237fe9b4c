import type { Plan } from '../guard/plan.js';
import type { GuardCounters, GuardSeen } from '../policy/guard-watch.js';

/** Label values in the Prometheus text format escape backslash, double quote and newline. */
const label = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** The guard proxy's counters as metrics: generated from the record, so none is left out. */
const GUARD_COUNTERS: Record<keyof GuardCounters, [name: string, help: string]> = {
  requests: ['goproxyguard_guard_requests_total', 'Requests the guard proxy answered since it started.'],
  hedgesFired: [
    'goproxyguard_guard_hedges_fired_total',
    'Requests the guard proxy also sent to a second mirror because the first was slow.',
  ],
  failovers: [
    'goproxyguard_guard_failovers_total',
    'Requests the guard proxy moved to another mirror after one failed.',
  ],
  tamperedRefused: [
    'goproxyguard_guard_tampered_refused_total',
    'Answers the guard proxy refused because they did not match the checksum database.',
  ],
  staleServed: [
    'goproxyguard_guard_stale_served_total',
    'Lists and @latest answers served stale from the cache because every mirror failed.',
  ],
  joined: [
    'goproxyguard_guard_joined_total',
    'Requests that joined a fetch of the same answer already under way instead of starting one.',
  ],
  prefetched: [
    'goproxyguard_guard_prefetched_total',
    'go.mod files the guard proxy fetched as go asked for their .info, before go asked for them.',
  ],
};

/**
 * One scheduled run as a Prometheus textfile (exposition format 0.0.4), for windows_exporter's
 * textfile collector or node_exporter's.
 */
export function metricsText(
  plan: Plan,
  run: { changed: boolean; durationMs: number; at: Date },
  /** What asking the guard proxy found (guard mode only). */
  guard?: GuardSeen,
): string {
  const lines: string[] = [];
  const metric = (name: string, help: string, type: 'gauge' | 'counter', samples: [string, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples)
      lines.push(`${name}${labels} ${Number.isFinite(value) ? value : 'NaN'}`);
  };
  const mirrors = plan.report.mirrors;
  metric(
    'goproxyguard_mirror_healthy',
    'Whether the mirror was healthy in the last run (1) or not (0), with its verdict.',
    'gauge',
    mirrors.map((m) => [`{mirror="${label(m.name)}",verdict="${label(m.verdict)}"}`, m.healthy ? 1 : 0]),
  );
  metric(
    'goproxyguard_mirror_latency_seconds',
    'Time to probe the mirror in the last run; NaN when it did not answer.',
    'gauge',
    mirrors.map((m) => [
      `{mirror="${label(m.name)}"}`,
      m.latencyMs === null ? Number.NaN : m.latencyMs / 1000,
    ]),
  );
  metric(
    'goproxyguard_mirror_in_goproxy',
    'Whether the mirror is in the GOPROXY list GoProxyGuard chose (1) or not (0).',
    'gauge',
    plan.decision.mirrors.map((m) => [`{mirror="${label(m.name)}"}`, m.inList ? 1 : 0]),
  );
  if (plan.report.proxies.length > 0) {
    const chosen = plan.proxy?.choice;
    metric(
      'goproxyguard_proxy_healthy',
      'Whether the corporate proxy candidate tunnelled to a mirror in the last run (1) or not (0), with its verdict.',
      'gauge',
      plan.report.proxies.map((p) => [
        `{proxy="${label(p.name)}",verdict="${label(p.verdict)}"}`,
        p.healthy ? 1 : 0,
      ]),
    );
    // Only where GoProxyGuard manages the proxy (Windows); "keep" names none.
    if (chosen && chosen !== 'keep') {
      metric(
        'goproxyguard_proxy_chosen',
        'Whether the candidate is the proxy GoProxyGuard set (1) or not (0).',
        'gauge',
        plan.report.proxies.map((p) => [`{proxy="${label(p.name)}"}`, p.name === chosen.name ? 1 : 0]),
      );
    }
  }
  if (guard) {
    metric(
      'goproxyguard_guard_up',
      'Whether the guard proxy answered the last scheduled run (1) or not (0).',
      'gauge',
      [['', guard.running ? 1 : 0]],
    );
    // The guard's own counters, since it started (they restart at 0 with it, as counters may);
    // absent while it is down: there is nothing to count.
    if (guard.running) {
      for (const [key, [name, help]] of Object.entries(GUARD_COUNTERS))
        metric(name, help, 'counter', [['', guard.counters[key as keyof GuardCounters]]]);
      metric('goproxyguard_guard_uptime_seconds', 'How long the guard proxy has been running.', 'gauge', [
        ['', guard.uptimeSeconds],
      ]);
    }
  }
  metric(
    'goproxyguard_kept_last_good',
    'Whether no mirror worked and the last known good list was kept.',
    'gauge',
    [['', plan.decision.keptLastGood ? 1 : 0]],
  );
  metric('goproxyguard_changed', 'Whether the last run changed go settings.', 'gauge', [
    ['', run.changed ? 1 : 0],
  ]);
  metric('goproxyguard_run_duration_seconds', 'How long the last scheduled run took.', 'gauge', [
    ['', run.durationMs / 1000],
  ]);
  metric(
    'goproxyguard_last_run_timestamp_seconds',
    'When the last scheduled run ended (Unix time).',
    'gauge',
    [['', Math.round(run.at.getTime() / 1000)]],
  );
  return `${lines.join('\n')}\n`;
}

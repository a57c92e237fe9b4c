import type { GuardAnswer } from '../guardproxy/status-client.js';
import { guardEntryOf } from '../policy/guard-mode.js';
import type { Finding } from './findings.js';

/**
 * The guard layer: GOPROXY starts with a loopback http URL (the guard proxy), so whether go gets
 * its modules depends on whether the guard answers and on the separator after it. go moves past
 * a refused or failed entry only through "|"; after "," it stops at any error other than 404/410.
 */
export function checkGuard(goproxy: string, answer: GuardAnswer): Finding[] {
  const entry = guardEntryOf(goproxy);
  if (!entry) return [];
  const tail = goproxy.slice(entry.url.length).replace(/^\/?[,|]/, '');
  const rewrite = `go env -w GOPROXY="${entry.url}|${tail || '<mirrors>'}" (or, with "guard": {"enabled": true} in the config: goproxy-guard apply)`;
  const evidence = [`GOPROXY=${goproxy}`];
  if (answer.running) {
    const { counters, uptimeSeconds } = answer.status;
    const findings: Finding[] = [
      {
        severity: 'info',
        layer: 'network',
        title: `the guard proxy ${entry.url} answers`,
        evidence: [
          ...evidence,
          `up ${uptimeSeconds} s; ${counters.requests} requests, ${counters.hedgesFired} hedges, ${counters.failovers} failovers, ${counters.tamperedRefused} tampered answers refused, ${counters.staleServed} stale answers served`,
        ],
        fix: '',
      },
    ];
    if (entry.separator !== '|') {
      findings.push({
        severity: 'warning',
        layer: 'settings',
        title: `GOPROXY has ${entry.separator ? '","' : 'nothing'} after the guard proxy: the day the guard stops, go fails instead of moving on`,
        evidence,
        fix: rewrite,
      });
    }
    return findings;
  }
  evidence.push(`the guard does not answer: ${answer.reason}`);
  if (entry.separator === '|') {
    return [
      {
        severity: 'warning',
        layer: 'network',
        title: `the guard proxy ${entry.url} does not answer: go skips it through "|" and uses ${tail}`,
        evidence,
        fix: 'start the guard: Start-GoProxyServer (goproxy-guard serve)',
      },
    ];
  }
  return [
    {
      severity: 'error',
      layer: 'settings',
      title: `the guard proxy ${entry.url} does not answer and GOPROXY has ${entry.separator ? '","' : 'nothing'} after it: go will FAIL (a failed first entry stops go unless "|" follows it)`,
      evidence,
      fix: `${rewrite}, then start the guard: goproxy-guard serve`,
    },
  ];
}

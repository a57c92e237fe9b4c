import type { GuardAct } from '../lab/demo-guard-act.js';

/** The demo's second act in a few lines: what happened, what it shows, the numbers. */
export function describeGuardAct(act: GuardAct): string {
  const title = 'Act two: a mirror begins to hang in the middle of a download.';
  if (!act.ran) return [title, `  Skipped: ${act.reason}.`].join('\n');
  const { guard, naive } = act;
  const through = guard.succeeded
    ? `go downloaded ${guard.downloaded} of ${act.modules.length} modules in ${guard.seconds} s ` +
      `(${guard.hedgesFired} hedges fired, ${guard.failovers} failovers).`
    : `go did not finish (${guard.error ?? 'exit code not 0'}).`;
  const stalled = naive.finished
    ? 'finished before its kill (the flaky mirror answered in time this run).'
    : `stalled; killed after ${naive.killedAfterSeconds} s, as go has no request timeout.`;
  return [
    title,
    `  ${act.go}; ${act.modules.length} modules (${shortList(act.modules)}); the first mirror answers ${act.flakyAnswersBeforeHang} requests, then never again.`,
    `  Through the guard (GOPROXY=${guard.goproxy}):`,
    `    ${through}`,
    `  Naive (GOPROXY=${naive.goproxy}):`,
    `    ${stalled}`,
    '  The guard gives up on a silent mirror per request and asks the next; "|" only moves on after an error.',
    'The guard is stopped; nothing is left running.',
  ].join('\n');
}

/** The first modules by name, then how many more: a line a person reads at a glance. */
function shortList(modules: readonly string[], shown = 3): string {
  const more = modules.length - shown;
  return `${modules.slice(0, shown).join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

import { defineCommand } from './definition.js';
import { EXIT } from './exit-codes.js';
import { PLAN_COLUMNS, probeOptions } from './probe-options.js';
import { loadForRun, renderPlan } from './shared.js';

/**
 * Probes the mirrors and writes the healthy GOPROXY and GOSUMDB into go's env file, backed up and verified.
 *
 * Before the first change GoProxyGuard records every original value (including "not set") and a
 * byte copy of go's env file; it writes with go env -w, reads the file back to verify, and puts
 * the previous values back if they differ. State and an append-only history are kept in the state
 * directory, under a lock so two runs never interleave. Restore-GoProxySettings undoes it all.
 * On Windows, with proxies.candidates configured, it also switches the corporate proxy to the
 * first healthy candidate (with the same hysteresis as mirrors) in the places proxies.targets
 * names: the user environment (HTTP_PROXY, HTTPS_PROXY, NO_PROXY), WinINet, and WinHTTP when
 * elevated; each is backed up, verified by reading back, and announced to running programs.
 * With -WhatIf (--dry-run) it only shows what it would change.
 *
 * @example
 * Set-GoProxy -ConfigPath .\goproxy-guard.json
 * Writes the health-ordered GOPROXY list for the configured mirrors.
 * @example
 * Set-GoProxy -WhatIf
 * Shows what would change for the built-in public mirrors, and changes nothing.
 * @cli
 * goproxy-guard apply --config goproxy-guard.json
 * goproxy-guard apply --dry-run
 */
export const apply = defineCommand({
  name: 'apply',
  cmdlet: 'Set-GoProxy',
  outputType: 'GoProxyGuard.Plan',
  outputProperty: '.',
  changesMachine: true,
  whatIf: {
    target: 'go env file (GOPROXY, GOSUMDB), and on Windows the corporate proxy settings',
    action: 'Write the health-ordered GOPROXY and GOSUMDB and switch to a healthy proxy',
  },
  columns: PLAN_COLUMNS,
  options: {
    ...probeOptions,
    /** Show what would change and change nothing (PowerShell: -WhatIf). */
    dryRun: { kind: 'switch', flag: 'dry-run', parameter: 'DryRun' },
  },
  async run(options, io) {
    const loaded = await loadForRun(options, io, !options.dryRun);
    const [
      { makePlan, planDocument },
      { planAndApply },
      { LOCK_WAIT_MS, underRunLock },
      { stateDir, statePaths },
    ] = await Promise.all([
      import('../guard/plan.js'),
      import('../guard/apply.js'),
      import('../guard/run-lock.js'),
      import('../state/paths.js'),
    ]);
    const now = new Date();
    const exitCode = (kept: boolean) => (kept ? EXIT.unhealthy : EXIT.ok);
    if (options.dryRun) {
      const planned = await makePlan(loaded, io.env, io.emit, now);
      return {
        exitCode: exitCode(planned.decision.keptLastGood),
        document: planDocument(planned, { applied: false, dryRun: true }),
        text: renderPlan(planned, 'Dry run (nothing was changed):'),
      };
    }
    const paths = statePaths(stateDir(io.env));
    const warn = (message: string) => io.emit({ type: 'log', level: 'warning', message });
    const { planned, result } = await underRunLock(paths, LOCK_WAIT_MS, warn, () =>
      planAndApply(loaded, paths, io.env, io.emit, now),
    );
    const heading = result.changed
      ? `Applied and verified (backup in ${paths.backup}; undo with: goproxy-guard restore):`
      : 'Nothing to change:';
    return {
      exitCode: exitCode(planned.decision.keptLastGood),
      document: planDocument(planned, {
        applied: result.changed,
        dryRun: false,
        backup: paths.backup,
        notified: result.notified ?? [],
      }),
      text: [renderPlan(planned, heading), ...(result.notified ?? []).map((n) => `windows: ${n}`)].join('\n'),
    };
  },
});

import { renderSources, sourcesDocument } from './config-sources.js';
import { defineCommand } from './definition.js';
import { EXIT } from './exit-codes.js';
import { PLAN_COLUMNS, probeOptions } from './probe-options.js';
import { loadForRun, renderPlan } from './shared.js';

/**
 * Probes the mirrors and shows the GOPROXY and GOSUMDB GoProxyGuard would write, and why. Changes nothing.
 *
 * The plan lists the usable mirrors best first, joined with "|" so go moves on after any error,
 * keeps a mirror that just started failing until policy.failAfter runs in a row have failed, and
 * keeps the last known good list when nothing works. It also shows what go uses now and where
 * each value comes from, and says when an environment variable overrides go's env file. On
 * Windows, with proxies.candidates configured, it also shows each corporate proxy's verdict, the
 * proxy it would switch to, and every Windows setting (user environment, WinINet, WinHTTP) it
 * would change, with the value now and the planned one.
 *
 * @example
 * Get-GoProxyPlan -ConfigPath .\goproxy-guard.json
 * Shows the planned settings, each mirror's verdict and whether it is in the list.
 * @example
 * (Get-GoProxyPlan).Changes
 * Lists only the settings that would change, with their old and new values.
 * @example
 * (Get-GoProxyPlan).SystemChanges
 * Lists the Windows proxy and environment settings that would change.
 * @cli
 * goproxy-guard plan --config goproxy-guard.json
 */
export const plan = defineCommand({
  name: 'plan',
  cmdlet: 'Get-GoProxyPlan',
  outputType: 'GoProxyGuard.Plan',
  outputProperty: '.',
  changesMachine: false,
  columns: PLAN_COLUMNS,
  options: {
    ...probeOptions,
  },
  async run(options, io) {
    const loaded = await loadForRun(options, io);
    const { makePlan, planDocument } = await import('../guard/plan.js');
    const planned = await makePlan(loaded, io.env, io.emit, new Date());
    return {
      exitCode: planned.decision.keptLastGood ? EXIT.unhealthy : EXIT.ok,
      document: { ...planDocument(planned), settingSources: sourcesDocument(loaded.settings) },
      text: [renderPlan(planned, 'Plan (nothing was changed):'), ...renderSources(loaded.settings)].join(
        '\n',
      ),
    };
  },
});

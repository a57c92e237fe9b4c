import type { LoadedConfig } from '../config/load.js';
import type { Finding } from '../doctor/findings.js';
import { shownFinding } from '../doctor/shown.js';
import { UsageError } from './argv.js';
import { renderSources, sourcesDocument } from './config-sources.js';
import { defineCommand } from './definition.js';
import { EXIT } from './exit-codes.js';
import { lastPinsAndWsl, renderPinsAndWsl } from './pins-and-wsl.js';
import { GUARD_ASK_MS, loadForRun } from './shared.js';
import { renderTable } from './table.js';

/**
 * Walks the layers a Go download depends on and names the real cause of a failure, with the fix.
 *
 * Layers: the Go installation (every go on PATH in order and the one that wins, dead and repeated
 * PATH entries, GOROOT against the binary, writable GOPATH/GOMODCACHE/GOBIN, the go env file);
 * the settings and where each comes from (an environment variable overriding go's env file,
 * GOPROXY=direct or off, GOSUMDB=off, GONOSUMDB=*, GOINSECURE, GOFLAGS, the proxy variables); the
 * network path (the probes of the configured mirrors and the checksum database); and, given a
 * failed command's output, each error line attributed to its cause, cross-checked with the live
 * probe of the mirror it names. The doctor never changes anything: each finding says which
 * command would fix it.
 *
 * @example
 * go mod download 2>&1 | Invoke-GoProxyDoctor
 * Attributes each error line of a failed download to its cause, with the fix.
 * @example
 * Invoke-GoProxyDoctor -LogPath .\build.log -Offline
 * Checks the installation, the settings and a saved log, without probing the network.
 * @cli
 * go mod download 2>&1 | goproxy-guard doctor --log -
 */
export const doctor = defineCommand({
  name: 'doctor',
  cmdlet: 'Invoke-GoProxyDoctor',
  outputType: 'GoProxyGuard.Finding',
  outputProperty: 'findings',
  changesMachine: false,
  columns: [
    { label: 'Severity', property: 'Severity' },
    { label: 'Layer', property: 'Layer' },
    { label: 'Title', property: 'Title' },
    { label: 'Fix', property: 'Fix' },
  ],
  options: {
    /** Path of the JSON config file (else GOPROXYGUARD_CONFIG, else the built-in public mirrors). */
    config: { kind: 'path', flag: 'config', parameter: 'ConfigPath', valueName: 'FILE' },
    /** A failed go command's output to attribute: a file, or - for standard input. */
    log: { kind: 'lines', flag: 'log', parameter: 'LogPath', valueName: 'FILE|-' },
    /** Skip the network probes: check the installation, the settings and the log only. */
    offline: { kind: 'switch', flag: 'offline', parameter: 'Offline' },
  },
  async run(options, io) {
    const loaded = await loadForRun(options, io);
    const [{ checkGoInstall }, { checkSettings }, { attributeFile }, { readGoSettings }] = await Promise.all([
      import('../doctor/go-install.js'),
      import('../doctor/settings.js'),
      import('../doctor/attribution.js'),
      import('../system/go-env.js'),
    ]);
    const findings: Finding[] = [];
    const install = await checkGoInstall(io.env);
    findings.push(...install.findings);
    if (install.winner) {
      const settings = await readGoSettings({ ...io.env, GOPROXYGUARD_GO: install.winner });
      findings.push(
        ...checkSettings(settings, io.env),
        ...(await guardFindings(settings.effective.GOPROXY, loaded)),
      );
    }
    findings.push(...(await windowsEnvironmentFindings(io.env)));
    // Fleet policy: what an admin set that was ignored or overrode a local setting.
    for (const warning of loaded.policyWarnings ?? []) {
      findings.push({
        severity: 'warning',
        layer: 'settings',
        title: 'a policy value needs attention',
        evidence: [warning],
        fix: 'correct the policy (Group Policy or Intune) or the config file it names',
      });
    }
    const logFindings =
      options.log === undefined
        ? []
        : await attributeFile(options.log).catch((error: NodeJS.ErrnoException) => {
            // A log that cannot be read is bad input, said plainly (not an internal error).
            throw new UsageError(
              '--log',
              `cannot read ${options.log} (${error.code ?? error.message}); pass a text file, or - for standard input`,
            );
          });
    if (!options.offline) {
      const { probeMirrors } = await import('../probe/run.js');
      const report = await probeMirrors(loaded.config, loaded.extraCas, undefined, undefined, loaded.route);
      for (const mirror of report.mirrors.filter((m) => !m.healthy)) {
        findings.push({
          severity: 'warning',
          layer: 'network',
          title: `mirror ${mirror.name} is ${mirror.verdict}`,
          evidence: mirror.evidence.slice(0, 2),
          fix: 'goproxy-guard apply',
        });
      }
      if (!report.database.healthy) {
        findings.push({
          severity: 'warning',
          layer: 'network',
          title: `checksum database ${report.database.name} does not verify`,
          evidence: [report.database.evidence],
          fix: 'goproxy-guard apply (GOSUMDB through a mirror that proxies it)',
        });
      }
      // Cross-check: a log line that names a configured mirror gets that mirror's live verdict.
      for (const finding of logFindings) {
        for (const mirror of report.mirrors) {
          if (finding.evidence.some((line) => line.includes(new URL(mirror.url).host))) {
            finding.evidence.push(
              `live probe now: ${mirror.name} is ${mirror.verdict} (${mirror.evidence[0] ?? ''})`,
            );
          }
        }
      }
    }
    findings.push(...logFindings);
    // What people paste into tickets: no proxy passwords, no terminal sequences from a log.
    const last = await lastPinsAndWsl(io.env);
    const visible = findings.map(shownFinding);
    const errors = visible.filter((f) => f.severity === 'error').length;
    const text = [
      renderTable(
        ['SEVERITY', 'LAYER', 'FINDING', 'FIX'],
        visible.map((f) => [f.severity, f.layer, f.title, f.fix]),
      ),
      '',
      ...visible
        .filter((f) => f.evidence.length)
        .flatMap((f) => [`${f.title}:`, ...f.evidence.map((e) => `    ${e}`)]),
      ...renderPinsAndWsl(last.pins, last.wsl),
      ...renderSources(loaded.settings),
    ].join('\n');
    return {
      exitCode: errors > 0 ? EXIT.unhealthy : EXIT.ok,
      document: {
        findings: visible,
        path: install.entries,
        pins: last.pins,
        wsl: last.wsl,
        settingSources: sourcesDocument(loaded.settings),
      },
      text,
    };
  },
});

/** Whether the guard proxy GOPROXY starts with answers, asked only when GOPROXY or guard mode names one. */
async function guardFindings(goproxy: string, loaded: LoadedConfig): Promise<Finding[]> {
  const [{ guardToAsk }, { askGuard }, { checkGuard }] = await Promise.all([
    import('../policy/guard-mode.js'),
    import('../guardproxy/status-client.js'),
    import('../doctor/guard.js'),
  ]);
  const listen = guardToAsk(goproxy, loaded.config.guard);
  return listen === undefined ? [] : checkGuard(goproxy, await askGuard(listen, GUARD_ASK_MS));
}

/** On Windows: where go's and the proxy variables come from (user or machine environment, stale window). */
async function windowsEnvironmentFindings(env: NodeJS.ProcessEnv): Promise<Finding[]> {
  const { windowsEffects } = await import('../system/platform.js');
  if (!windowsEffects(env)) return [];
  const [{ checkWindowsEnvironment, WATCHED }, { readWindowsSettings }] = await Promise.all([
    import('../doctor/windows-env.js'),
    import('../system/windows-settings.js'),
  ]);
  try {
    const user = await readWindowsSettings(
      WATCHED.map((name) => `user-env:${name}`),
      env,
    );
    return checkWindowsEnvironment(env, user);
  } catch (error) {
    return [
      {
        severity: 'info',
        layer: 'settings',
        title: 'the user environment could not be read',
        evidence: [(error as Error).message],
        fix: '',
      },
    ];
  }
}

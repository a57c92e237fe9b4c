import type { LoadedConfig } from '../config/load.js';
import type { Finding } from '../doctor/findings.js';
import { shownFinding, shownOrigin } from '../doctor/shown.js';
import type { VariableOrigin } from '../doctor/windows-env.js';
import { wslFindings } from '../doctor/wsl.js';
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
    // Only a go that ran: one that does not is already a finding, and asking it again would abort the doctor.
    if (install.go) {
      const settings = await readGoSettings({ ...io.env, GOPROXYGUARD_GO: install.go.path });
      findings.push(
        ...checkSettings(settings, io.env),
        ...(await guardFindings(settings.effective.GOPROXY, loaded)),
      );
    }
    const environment = await windowsEnvironmentFindings(io.env);
    findings.push(...environment.findings);
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
    const last = await lastPinsAndWsl(io.env);
    findings.push(...wslFindings(last.wsl));
    // What people paste into tickets: no proxy passwords, no terminal sequences from a log.
    const visible = findings.map(shownFinding);
    const origins = environment.origins.map(shownOrigin);
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
      ...renderOrigins(origins),
      ...renderPinsAndWsl(last.pins, last.wsl),
      ...renderSources(loaded.settings),
    ].join('\n');
    return {
      exitCode: errors > 0 ? EXIT.unhealthy : EXIT.ok,
      document: {
        findings: visible,
        path: install.entries,
        go: install.go,
        environment: origins,
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

/** On Windows: where go's and the proxy variables come from (user or machine environment, this window). */
async function windowsEnvironmentFindings(
  env: NodeJS.ProcessEnv,
): Promise<{ findings: Finding[]; origins: VariableOrigin[] }> {
  const { windowsEffects } = await import('../system/platform.js');
  if (!windowsEffects(env)) return { findings: [], origins: [] };
  const [{ windowsEnvironment, WATCHED, MACHINE_ENV_KEY }, { readRegistryValues }, { USER_ENV_KEY }] =
    await Promise.all([
      import('../doctor/windows-env.js'),
      import('../system/registry.js'),
      import('../system/windows-settings.js'),
    ]);
  const unreadable: Finding[] = [];
  // Each key on its own: a machine environment that cannot be read still leaves the user's.
  const read = (key: string) =>
    readRegistryValues(key, WATCHED, env).catch((error: Error) => {
      unreadable.push({
        severity: 'info',
        layer: 'settings',
        title: `${key} could not be read`,
        evidence: [error.message],
        fix: '',
      });
      return undefined;
    });
  const [user, machine] = await Promise.all([read(USER_ENV_KEY), read(MACHINE_ENV_KEY)]);
  const { findings, origins } = windowsEnvironment({ window: env, user, machine });
  return { findings: [...unreadable, ...findings], origins };
}

const SOURCE_WORDS: Record<VariableOrigin['source'], string> = {
  user: 'your user environment',
  machine: 'the machine environment',
  window: 'only this window',
  unset: 'not set',
  unknown: 'unknown (a key could not be read)',
};

/** The text's short "variables from:" section (Windows only; JSON carries the values too). */
export function renderOrigins(origins: VariableOrigin[]): string[] {
  if (origins.length === 0) return [];
  const width = Math.max(...origins.map((o) => o.name.length));
  return [
    '',
    'variables from (this window; new programs):',
    ...origins.map(
      (o) => `    ${o.name.padEnd(width)}  ${SOURCE_WORDS[o.source]}; ${SOURCE_WORDS[o.newPrograms]}`,
    ),
  ];
}

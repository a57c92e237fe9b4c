import { UsageError } from './argv.js';
import { defineCommand } from './definition.js';
import { EXIT } from './exit-codes.js';
import { loadForRun, selectMirrors } from './shared.js';
import { renderTable } from './table.js';

const MODULE_AT_VERSION =
  /^([a-z0-9.-]+\.[a-z]{2,}(?:\/[A-Za-z0-9._~+-]+)*)@(v\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+incompatible)?)$/;

/**
 * Checks that every mirror serves a module version exactly as the checksum database records it.
 *
 * The database's record for the module version is verified (tree head signed with sumdb.key,
 * record proven in the tree from its tiles), directly or, when the database does not answer,
 * through a mirror's proxy of it: the signature makes the path irrelevant. Then the .mod and
 * .zip from each mirror are hashed (h1, as go.sum holds them) and compared. The runtime exits 0
 * only when every mirror that answered agrees with the database.
 *
 * @example
 * Test-GoModuleIntegrity golang.org/x/text@v0.14.0
 * Compares what every configured mirror serves for golang.org/x/text v0.14.0 with the checksum database.
 * @example
 * Test-GoModuleIntegrity golang.org/x/text@v0.14.0 -Mirror goproxy.cn | Where-Object Zip -ne 'ok'
 * Checks one mirror and shows it only when its zip does not match.
 * @cli
 * goproxy-guard verify golang.org/x/text@v0.14.0 --mirror goproxy.cn
 */
export const verify = defineCommand({
  name: 'verify',
  cmdlet: 'Test-GoProxyModuleIntegrity',
  cmdletAliases: ['Test-GoModuleIntegrity'],
  outputType: 'GoProxyGuard.ModuleIntegrity',
  outputProperty: 'mirrors',
  changesMachine: false,
  positional: 'module',
  columns: [
    { label: 'Mirror', property: 'Name' },
    { label: 'Mod', property: 'Mod' },
    { label: 'Zip', property: 'Zip' },
    { label: 'Evidence', property: 'Evidence', list: true },
  ],
  options: {
    /** The module version to check, as MODULE@VERSION (golang.org/x/text@v0.14.0). */
    module: { kind: 'string', flag: 'module', parameter: 'Module', valueName: 'MODULE@VERSION' },
    /** Path of the JSON config file (else GOPROXYGUARD_CONFIG, else the built-in public mirrors). */
    config: { kind: 'path', flag: 'config', parameter: 'ConfigPath', valueName: 'FILE' },
    /** Names of the mirrors to check (default: every mirror in the config). */
    mirror: { kind: 'list', flag: 'mirror', parameter: 'Mirror', valueName: 'NAMES', pipeline: true },
  },
  async run(options, io) {
    const match = MODULE_AT_VERSION.exec(options.module ?? '');
    if (!match) {
      throw new UsageError(
        'MODULE@VERSION',
        `must be a module path and a version such as golang.org/x/text@v0.14.0 (got "${options.module ?? ''}")`,
      );
    }
    const all = await loadForRun(options, io);
    // A new config for the chosen mirrors: the loaded one is frozen.
    const loaded = options.mirror
      ? { ...all, config: { ...all.config, mirrors: selectMirrors(all.config.mirrors, options.mirror) } }
      : all;
    const { verifyModule } = await import('../guard/verify.js');
    const report = await verifyModule(loaded, { module: match[1] as string, version: match[2] as string });
    const answered = report.mirrors.filter((m) => m.mod !== 'unavailable' || m.zip !== 'unavailable');
    const agree =
      report.database.record !== null && answered.every((m) => m.mod !== 'mismatch' && m.zip !== 'mismatch');
    const allAgreeAndChecked = agree && answered.every((m) => m.mod === 'ok' && m.zip === 'ok');
    const text = [
      `${report.module}@${report.version}: ${report.database.evidence}${report.recordFrom ? ` (from ${report.recordFrom})` : ''}`,
      '',
      renderTable(
        ['MIRROR', 'MOD', 'ZIP', 'EVIDENCE'],
        report.mirrors.map((m) => [m.name, m.mod, m.zip, m.evidence.join('; ')]),
      ),
    ].join('\n');
    return { exitCode: allAgreeAndChecked ? EXIT.ok : EXIT.unhealthy, document: report, text };
  },
});

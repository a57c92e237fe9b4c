import { defineCommand } from './definition.js';
import { EXIT } from './exit-codes.js';

/**
 * Runs a one-minute demonstration on loopback only: five mirrors fail in five ways, GoProxyGuard says why.
 *
 * Act one starts a lab with one healthy, one DNS-hijacked, one expired-TLS, one hanging and one tampered
 * mirror (and its own DNS resolver, DoH resolver and checksum database), probes them, decides the
 * GOPROXY it would write, explains each verdict, and stops the lab. Act two (when go is on PATH)
 * lets a mirror begin to hang in the middle of a download: go finishes through the guard proxy,
 * while the naive GOPROXY "flaky|healthy" stalls until the demo kills it. Nothing leaves the
 * machine and nothing on it is changed.
 *
 * @example
 * Start-GoProxyGuardLab -Demo
 * Shows every verdict with its evidence and the GOPROXY list GoProxyGuard would choose.
 * @cli
 * goproxy-guard lab --demo
 */
export const demo = defineCommand({
  name: 'lab demo',
  cmdlet: 'Start-GoProxyLab',
  cmdletAliases: ['Start-GoProxyGuardLab'],
  outputType: 'GoProxyGuard.DemoMirror',
  outputProperty: 'mirrors',
  changesMachine: false,
  columns: [
    { label: 'Mirror', property: 'Name' },
    { label: 'Verdict', property: 'Verdict' },
    { label: 'Meaning', property: 'Meaning' },
  ],
  options: {
    /** Run the demonstration (the only mode of this cmdlet; long-running labs: goproxy-guard lab --scenario NAME). */
    demo: { kind: 'switch', flag: 'demo', parameter: 'Demo' },
  },
  async run(_options, io) {
    const [
      { startLab },
      { validate },
      { probeMirrors },
      { decide },
      { freshState },
      { VERDICT_MEANING },
      { renderTable },
      { runGuardAct },
      { describeGuardAct },
    ] = await Promise.all([
      import('../lab/scenarios.js'),
      import('../config/load.js'),
      import('../probe/run.js'),
      import('../policy/decide.js'),
      import('../state/store.js'),
      import('./explain.js'),
      import('./table.js'),
      import('../lab/demo-guard-act.js'),
      import('./demo-guard-text.js'),
    ]);
    io.emit({
      type: 'progress',
      activity: 'GoProxyGuard demo',
      status: 'starting the lab on loopback',
      percent: 10,
    });
    const lab = await startLab('demo', 2000);
    let first: { text: string; document: Record<string, unknown> };
    try {
      const { config, extraCas } = await validate(lab.config);
      io.emit({
        type: 'progress',
        activity: 'GoProxyGuard demo',
        status: 'probing five mirrors at once',
        percent: 40,
      });
      const report = await probeMirrors(config, extraCas);
      const { decision } = decide({
        mirrors: report.mirrors,
        database: report.database,
        state: freshState(),
        policy: config.policy,
        sumdb: config.sumdb,
        current: {
          GOPROXY: 'https://proxy.golang.org,direct',
          GOSUMDB: config.sumdb.name,
          GOPRIVATE: '',
          GONOPROXY: '',
          GONOSUMDB: '',
        },
        now: new Date(),
      });
      const mirrors = report.mirrors.map((m) => ({ ...m, meaning: VERDICT_MEANING[m.verdict] }));
      // The list a person might have typed: the hanging mirror first, the healthy one last.
      const order = (verdict: string) => (verdict === 'timeout' ? 0 : verdict === 'healthy' ? 2 : 1);
      const naive = [...report.mirrors]
        .sort((a, b) => order(a.verdict) - order(b.verdict))
        .map((m) => m.url)
        .join(',');
      const text = [
        'GoProxyGuard demo: five lab mirrors on 127.0.0.1, each failing the way real mirrors fail.',
        '',
        renderTable(
          ['MIRROR', 'VERDICT', 'WHAT IT MEANS'],
          mirrors.map((m) => [m.name, m.verdict, m.meaning]),
        ),
        '',
        'Evidence (why each verdict):',
        ...mirrors.map((m) => `  ${m.name}: ${m.evidence[0] ?? ''}`),
        '',
        `checksum database: ${report.database.evidence}`,
        '',
        `A naive GOPROXY:                 ${naive}`,
        '  go would wait forever on the hanging mirror at its head (go has no overall timeout; "|"',
        '  does not help), never reaching the healthy one; alone, the others fail with no such host,',
        '  an x509 error, or SECURITY ERROR.',
        `GoProxyGuard would write:        GOPROXY=${decision.goproxy}`,
        `  because: ${decision.reasons.join('; ')}`,
        '',
        `Done in ${report.elapsedMs} ms (deadline ${report.deadlineMs} ms). The lab is stopped; nothing was changed.`,
      ].join('\n');
      first = { text, document: { mirrors, database: report.database, goproxy: decision.goproxy, naive } };
    } finally {
      await lab.stop();
    }
    io.emit({
      type: 'progress',
      activity: 'GoProxyGuard demo',
      status: 'act two: go downloads while a mirror begins to hang',
      percent: 70,
    });
    const guardAct = await runGuardAct(io.env);
    return {
      exitCode: EXIT.ok, // the second act only shows; a machine without go skips it
      document: { ...first.document, guardAct },
      text: `${first.text}\n\n${describeGuardAct(guardAct)}`,
    };
  },
});

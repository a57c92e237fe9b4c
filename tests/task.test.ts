import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { parseWindowsCommandLine } from '../src/schedule/command-line.js';
import { parseTaskQuery } from '../src/system/schtasks.js';
import { cli, RUNTIME, writeJson } from './helpers.js';
import { taskSchema } from './task-schema.js';

const XSD = taskSchema();
// Under the home folder, not /tmp: the task refuses a config in a folder other users can write to.
const dir = await mkdtemp(join(homedir(), '.gpg-task-test-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

// Windows paths as a user has them: spaces, non-ASCII, a quote in a file name.
const PATHS = [
  '--node',
  'C:\\Program Files\\nodejs\\node.exe',
  '--runtime',
  'C:\\Users\\Zoë Ärger\\AppData\\Local\\GoProxyGuard\\bin\\goproxy-guard.mjs',
  '--user',
  'CORP\\zoë',
];

async function xmlFor(schedule: Record<string, unknown>, extra: string[] = []) {
  const config = await writeJson(dir, `c-${Math.random()}.json`, {
    mirrors: [{ name: 'a', url: 'https://a.example' }],
    schedule,
  });
  return cli(['task', 'xml', '--config', config, ...PATHS, ...extra]);
}

/** Validates a task XML file's bytes as they are: printed text is UTF-8, the file schtasks reads UTF-16. */
async function validate(xml: string | Buffer): Promise<{ ok: boolean; message: string }> {
  const file = join(dir, `t-${Math.random()}.xml`);
  await writeFile(file, xml);
  const run = await execa('xmllint', ['--noout', '--schema', XSD, file], { reject: false });
  return { ok: run.exitCode === 0, message: run.stderr };
}

describe('task xml', () => {
  const variants: Record<string, unknown>[] = [];
  for (const atLogon of [true, false])
    for (const onNetworkChange of [true, false])
      for (const onUnlock of [true, false]) variants.push({ atLogon, onNetworkChange, onUnlock });
  for (const intervalMinutes of [1, 15, 60, 1440, 44640])
    variants.push({ intervalMinutes, timeLimitMinutes: 60 });

  it.each(variants)('validates against the Task Scheduler 1.3 schema: %j', async (schedule) => {
    const run = await xmlFor(schedule);
    expect(run.code).toBe(0);
    const result = await validate(run.stdout);
    expect(result.message).toContain('validates');
    expect(result.ok).toBe(true);
  });

  it('prints what it says it is: `task xml > t.xml` from the bundled runtime validates as it is', async () => {
    const config = await writeJson(dir, 'printed.json', {
      mirrors: [{ name: 'a', url: 'https://a.example' }],
    });
    // The bytes the runtime writes to stdout, as a shell redirection stores them.
    const run = await execa(process.execPath, [RUNTIME, 'task', 'xml', '--config', config, ...PATHS], {
      encoding: 'buffer',
    });
    const printed = Buffer.from(run.stdout);
    expect(printed.toString('utf8')).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n/);
    expect(printed.toString('utf8')).toContain('<UserId>CORP\\zoë</UserId>');
    const result = await validate(printed);
    expect(result.message).toContain('validates');
    expect(result.ok).toBe(true);
  });

  it('refuses a config path with "%", and an --output it cannot write, before writing anything', async () => {
    const percent = await writeJson(dir, 'a%TEMP%b.json', {
      mirrors: [{ name: 'a', url: 'https://a.example' }],
    });
    const refused = await cli(['task', 'xml', '--config', percent, ...PATHS]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('option "--config": contains "%"');
    const config = await writeJson(dir, 'ok.json', { mirrors: [{ name: 'a', url: 'https://a.example' }] });
    const missing = join(dir, 'no-such-folder', 'guard.xml');
    const run = await cli(['task', 'xml', '--config', config, ...PATHS, '--output', missing]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`option "--output": cannot write ${missing}: ENOENT`);
  });

  it('has the triggers, settings and principal the guard needs', async () => {
    const { stdout } = await xmlFor({ intervalMinutes: 120 });
    expect(stdout).toContain('<Interval>PT2H</Interval>');
    expect(stdout).toContain('<LogonTrigger id="AtLogon">');
    expect(stdout).toContain(
      'Microsoft-Windows-NetworkProfile/Operational&quot;&gt;*[System[(EventID=10000)]]',
    );
    expect(stdout).toContain('<StateChange>SessionUnlock</StateChange>');
    for (const setting of [
      '<MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>',
      '<StartWhenAvailable>true</StartWhenAvailable>',
      '<DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>',
      '<StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>',
      '<Hidden>true</Hidden>',
      '<ExecutionTimeLimit>PT5M</ExecutionTimeLimit>',
      '<LogonType>InteractiveToken</LogonType>',
      '<RunLevel>LeastPrivilege</RunLevel>',
      '<UserId>CORP\\zoë</UserId>',
      '<Command>%SystemRoot%\\System32\\conhost.exe</Command>',
    ]) {
      expect(stdout).toContain(setting);
    }
  });

  it('leaves out the triggers that are switched off', async () => {
    const { stdout } = await xmlFor({ atLogon: false, onNetworkChange: false, onUnlock: false });
    expect(stdout).not.toMatch(/LogonTrigger|EventTrigger|SessionStateChangeTrigger/);
    expect(stdout).toContain('<TimeTrigger');
  });

  it('writes an action command line that splits back into exactly the same arguments', async () => {
    const config = await writeJson(dir, 'Zoë "quoted" config.json', {
      mirrors: [{ name: 'a', url: 'https://a.example' }],
    });
    const run = await cli(['task', 'xml', '--config', config, ...PATHS]);
    const file = join(dir, 'args.xml');
    await writeFile(file, run.stdout);
    // read back with a real XML parser, as Task Scheduler would
    const xpath = await execa('xmllint', ['--xpath', 'string(//*[local-name()="Arguments"])', file]);
    expect(parseWindowsCommandLine(xpath.stdout)).toEqual([
      '--headless',
      'C:\\Program Files\\nodejs\\node.exe',
      'C:\\Users\\Zoë Ärger\\AppData\\Local\\GoProxyGuard\\bin\\goproxy-guard.mjs',
      'run',
      '--scheduled',
      '--config',
      config,
    ]);
  });

  it('in guard mode also defines the guard proxy task: serve from logon, no time limit, restarted on failure', async () => {
    const config = await writeJson(dir, 'Zoë guard.json', {
      mirrors: [{ name: 'a', url: 'https://a.example' }],
      guard: { enabled: true },
    });
    const json = await cli(['task', 'xml', '--config', config, ...PATHS, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const document = JSON.parse(json.stdout);
    expect(document.taskName).toBe('\\GoProxyGuard\\Guard');
    expect(document.guardProxy.taskName).toBe('\\GoProxyGuard\\GuardProxy');
    const printed = await cli(['task', 'xml', '--config', config, ...PATHS, '--guard-proxy']);
    expect(printed.stdout).toBe(document.guardProxy.xml);
    // What the cmdlet returns (the document's xml) is the task asked for.
    const asked = JSON.parse(
      (await cli(['task', 'xml', '--config', config, ...PATHS, '--guard-proxy', '--json'])).stdout,
    );
    expect(asked).toEqual({ taskName: '\\GoProxyGuard\\GuardProxy', xml: printed.stdout });
    const result = await validate(printed.stdout);
    expect(result.message).toContain('validates');
    expect(result.ok).toBe(true);
    const xml = printed.stdout;
    for (const setting of [
      '<URI>\\GoProxyGuard\\GuardProxy</URI>',
      '<LogonTrigger id="AtLogon">',
      '<RestartOnFailure>\n      <Interval>PT1M</Interval>\n      <Count>255</Count>\n    </RestartOnFailure>',
      '<ExecutionTimeLimit>PT0S</ExecutionTimeLimit>',
      '<MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>',
      '<Hidden>true</Hidden>',
      '<LogonType>InteractiveToken</LogonType>',
      '<RunLevel>LeastPrivilege</RunLevel>',
      '<UserId>CORP\\zoë</UserId>',
      '<Command>%SystemRoot%\\System32\\conhost.exe</Command>',
    ]) {
      expect(xml).toContain(setting);
    }
    // Logon only: no periodic, network or unlock trigger starts a second guard proxy.
    expect(xml).not.toMatch(/TimeTrigger|EventTrigger|SessionStateChangeTrigger/);
    // The periodic task keeps its limit and never restarts on failure (the next trigger runs it).
    expect(document.xml).toContain('<ExecutionTimeLimit>PT5M</ExecutionTimeLimit>');
    expect(document.xml).not.toContain('RestartOnFailure');
    const file = join(dir, 'guard-proxy-args.xml');
    await writeFile(file, xml);
    const xpath = await execa('xmllint', ['--xpath', 'string(//*[local-name()="Arguments"])', file]);
    expect(parseWindowsCommandLine(xpath.stdout)).toEqual([
      '--headless',
      'C:\\Program Files\\nodejs\\node.exe',
      // The guard's node flags (src/guardproxy/node-flags.ts): small memory all session long.
      '--max-semi-space-size=1',
      '--max-old-space-size=64',
      '--v8-pool-size=1',
      'C:\\Users\\Zoë Ärger\\AppData\\Local\\GoProxyGuard\\bin\\goproxy-guard.mjs',
      'serve',
      '--config',
      config,
    ]);
  });

  it('has no guard proxy task outside guard mode, and says so when asked for one', async () => {
    const config = await writeJson(dir, 'no-guard.json', {
      mirrors: [{ name: 'a', url: 'https://a.example' }],
    });
    const json = await cli(['task', 'xml', '--config', config, ...PATHS, '--json']);
    expect(JSON.parse(json.stdout).guardProxy).toBeUndefined();
    const asked = await cli(['task', 'xml', '--config', config, ...PATHS, '--guard-proxy']);
    expect(asked.code).toBe(2);
    expect(asked.stdout).toBe('');
    expect(asked.stderr).toContain('option "--guard-proxy": guard.enabled is false in the config');
  });

  it('refuses a "%" in the paths of the guard proxy task too', async () => {
    const config = await writeJson(dir, 'guard-percent.json', {
      mirrors: [{ name: 'a', url: 'https://a.example' }],
      guard: { enabled: true },
    });
    const args = [...PATHS];
    args[args.indexOf('--runtime') + 1] = 'C:\\Users\\zoe\\100%USERNAME%\\goproxy-guard.mjs';
    const run = await cli(['task', 'xml', '--config', config, ...args, '--guard-proxy']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('"--runtime": ');
  });

  it.each([
    [{ intervalMinutes: 0 }, 'schedule.intervalMinutes', 'must be at least 1 minute'],
    [{ intervalMinutes: 0.5 }, 'schedule.intervalMinutes', 'must be a whole number of minutes'],
    [{ intervalMinutes: 50000 }, 'schedule.intervalMinutes', 'must be at most 44640 minutes'],
    [{ onReboot: true }, 'schedule.onReboot', 'unknown field'],
  ])('refuses %j before producing any XML', async (schedule, field, message) => {
    const run = await xmlFor(schedule);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`config field "${field}": ${message}`);
  });

  it.each([
    [
      '--runtime',
      'C:\\Users\\zoe\\100%USERNAME%\\goproxy-guard.mjs',
      'would read as an environment variable',
    ],
    ['--node', 'C:\\Users\\zoe\\50%\\node.exe', 'contains "%"'],
    ['--runtime', 'C:\\ProgramData\\GoProxyGuard\\goproxy-guard.mjs', 'other users can write to'],
    ['--runtime', 'C:\\Users\\Public\\goproxy-guard.mjs', 'other users can write to'],
    ['--node', '\\\\fileserver\\tools\\node.exe', 'network share'],
    ['--node', 'node.exe', 'must be an absolute path'],
  ])('refuses %s %s', async (flag, path, message) => {
    const args = [...PATHS];
    args[args.indexOf(flag) + 1] = path;
    const config = await writeJson(dir, 'ok.json', { mirrors: [{ name: 'a', url: 'https://a.example' }] });
    const run = await cli(['task', 'xml', '--config', config, ...args]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`"${flag}": `);
    expect(run.stderr).toContain(message);
  });
});

// The shape of `schtasks /Query /V /FO CSV` as documented (typed from Microsoft's schtasks
// documentation, not captured on Windows): a quoted header line, then one record.
const QUERY_OUTPUT =
  '"HostName","TaskName","Next Run Time","Status","Logon Mode","Last Run Time","Last Result","Author","Task To Run"\r\n' +
  '"DESKTOP-1","\\GoProxyGuard\\Guard","26/11/2026 07:15:00","Ready","Interactive only","26/11/2026 07:00:01","0","CORP\\zoë","%SystemRoot%\\System32\\conhost.exe --headless ""C:\\Program Files\\nodejs\\node.exe"""\r\n';

/**
 * A stand-in for schtasks.exe (Wine's is an empty stub): records every call's argv and the XML it
 * was given, one JSON line each. `byTask` answers differently for a task named by /TN, or for
 * one verb on it ("/Delete \\GoProxyGuard\\GuardProxy").
 */
async function standIn(
  output: string,
  exitCode = 0,
  byTask: Record<string, { output: string; exitCode: number }> = {},
) {
  const record = join(dir, `argv-${Math.random()}.jsonl`);
  const script = join(dir, `schtasks-${Math.random()}.mjs`);
  await writeFile(
    script,
    `#!${process.execPath}
import { appendFileSync, readFileSync } from 'node:fs';
const argv = process.argv.slice(2);
const xmlAt = argv.indexOf('/XML');
const xml = xmlAt >= 0 ? readFileSync(argv[xmlAt + 1]).toString('base64') : null;
appendFileSync(${JSON.stringify(record)}, JSON.stringify({ argv, xml }) + '\\n');
const byTask = ${JSON.stringify(byTask)};
const task = argv[argv.indexOf('/TN') + 1];
const answer = byTask[argv[0] + ' ' + task] ?? byTask[task] ?? { output: ${JSON.stringify(output)}, exitCode: ${exitCode} };
process.stdout.write(answer.output);
process.exit(answer.exitCode);
`,
  );
  await chmod(script, 0o755);
  const env = { GOPROXYGUARD_PLATFORM: 'win32', GOPROXYGUARD_SCHTASKS: script, PATH: process.env.PATH };
  const calls = async () =>
    (await readFile(record, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { argv: string[]; xml: string | null });
  /** The first call: the periodic task's. */
  const recorded = async () => (await calls())[0] as { argv: string[]; xml: string | null };
  return { env, recorded, calls };
}

describe('task register, unregister and status (schtasks argv)', () => {
  it('register runs schtasks /Create /TN \\GoProxyGuard\\Guard /XML <file> /F with valid UTF-16 XML', async () => {
    const schtasks = await standIn(
      'SUCCESS: The scheduled task "\\GoProxyGuard\\Guard" has successfully been created.',
    );
    const config = await writeJson(dir, 'reg.json', { mirrors: [{ name: 'a', url: 'https://a.example' }] });
    const run = await cli(['task', 'register', '--config', config, ...PATHS], schtasks.env);
    expect(run.code, run.stderr).toBe(0);
    const { argv, xml } = await schtasks.recorded();
    expect(argv).toEqual([
      '/Create',
      '/TN',
      '\\GoProxyGuard\\Guard',
      '/XML',
      expect.stringMatching(/GoProxyGuard\.xml$/),
      '/F',
    ]);
    const bytes = Buffer.from(xml as string, 'base64');
    expect([...bytes.subarray(0, 2)]).toEqual([0xff, 0xfe]);
    expect((await validate(bytes)).ok).toBe(true);
  });

  it('register in guard mode creates both tasks, each from its own valid UTF-16 XML', async () => {
    const schtasks = await standIn('SUCCESS');
    const config = await writeJson(dir, 'reg-guard.json', {
      mirrors: [{ name: 'a', url: 'https://a.example' }],
      guard: { enabled: true },
    });
    const run = await cli(['task', 'register', '--config', config, ...PATHS, '--json'], schtasks.env);
    expect(run.code, run.stderr).toBe(0);
    const calls = await schtasks.calls();
    expect(calls.map((call) => call.argv)).toEqual([
      ['/Create', '/TN', '\\GoProxyGuard\\Guard', '/XML', expect.stringMatching(/GoProxyGuard\.xml$/), '/F'],
      [
        '/Create',
        '/TN',
        '\\GoProxyGuard\\GuardProxy',
        '/XML',
        expect.stringMatching(/GoProxyGuardProxy\.xml$/),
        '/F',
      ],
    ]);
    for (const call of calls) {
      const bytes = Buffer.from(call.xml as string, 'base64');
      expect([...bytes.subarray(0, 2)]).toEqual([0xff, 0xfe]);
      const result = await validate(bytes);
      expect(result.message).toContain('validates');
      expect(result.ok).toBe(true);
    }
    expect(Buffer.from(calls[1]?.xml as string, 'base64').toString('utf16le')).toContain(
      '<ExecutionTimeLimit>PT0S</ExecutionTimeLimit>',
    );
    expect(JSON.parse(run.stdout)).toMatchObject({
      taskName: '\\GoProxyGuard\\Guard',
      done: true,
      guardProxy: { taskName: '\\GoProxyGuard\\GuardProxy', done: true },
    });
  });

  it('task xml --output writes the very bytes register hands schtasks, which validate as they are', async () => {
    const schtasks = await standIn('SUCCESS');
    const config = await writeJson(dir, 'out.json', { mirrors: [{ name: 'a', url: 'https://a.example' }] });
    const output = join(dir, 'guard.xml');
    const written = await cli(
      ['task', 'xml', '--config', config, ...PATHS, '--output', output],
      schtasks.env,
    );
    expect(written.code, written.stderr).toBe(0);
    expect(written.stdout).toBe(
      `Wrote ${output} (UTF-16LE with a byte order mark, as schtasks.exe /Create /TN \\GoProxyGuard\\Guard /XML takes it).`,
    );
    expect((await cli(['task', 'register', '--config', config, ...PATHS], schtasks.env)).code).toBe(0);
    const handed = Buffer.from((await schtasks.recorded()).xml as string, 'base64');
    const file = await readFile(output);
    // The two runs may fall in different minutes: only the time trigger's start (to the minute) may differ.
    const start = (bytes: Buffer) =>
      bytes.toString('utf16le').replace(/<StartBoundary>[^<]*<\/StartBoundary>/, '<StartBoundary/>');
    expect(start(file)).toBe(start(handed));
    expect(file.length).toBe(handed.length);
    expect([...file.subarray(0, 2)]).toEqual([0xff, 0xfe]);
    expect(file.subarray(2).toString('utf16le')).toMatch(/^<\?xml version="1\.0" encoding="UTF-16"\?>\n/);
    const result = await validate(file);
    expect(result.message).toContain('validates');
    expect(result.ok).toBe(true);
  });

  it('register --dry-run shows the command and runs nothing', async () => {
    const run = await cli(['task', 'register', '--dry-run', ...PATHS, '--json'], {
      GOPROXYGUARD_PLATFORM: 'win32',
      GOPROXYGUARD_SCHTASKS: '/nonexistent',
    });
    expect(JSON.parse(run.stdout)).toMatchObject({
      done: false,
      argv: [
        'schtasks.exe',
        '/Create',
        '/TN',
        '\\GoProxyGuard\\Guard',
        '/XML',
        expect.stringMatching(/GoProxyGuard\.xml$/),
        '/F',
      ],
    });
  });

  it('unregister runs schtasks /Delete /TN \\GoProxyGuard\\Guard /F (no guard proxy task registered)', async () => {
    const schtasks = await standIn('SUCCESS', 0, {
      '\\GoProxyGuard\\GuardProxy': {
        output: 'ERROR: The system cannot find the file specified.',
        exitCode: 1,
      },
    });
    const run = await cli(['task', 'unregister', '--json'], schtasks.env);
    expect(run.code, run.stderr).toBe(0);
    expect((await schtasks.calls()).map((call) => call.argv)).toEqual([
      ['/Query', '/TN', '\\GoProxyGuard\\GuardProxy', '/V', '/FO', 'CSV'],
      ['/Delete', '/TN', '\\GoProxyGuard\\Guard', '/F'],
    ]);
    expect(JSON.parse(run.stdout).guardProxy).toBeUndefined();
  });

  it('unregister stops and removes the guard proxy task too when it is registered', async () => {
    const schtasks = await standIn('SUCCESS');
    const run = await cli(['task', 'unregister', '--json'], schtasks.env);
    expect(run.code, run.stderr).toBe(0);
    expect((await schtasks.calls()).map((call) => call.argv)).toEqual([
      ['/Query', '/TN', '\\GoProxyGuard\\GuardProxy', '/V', '/FO', 'CSV'],
      ['/End', '/TN', '\\GoProxyGuard\\GuardProxy'],
      ['/Delete', '/TN', '\\GoProxyGuard\\GuardProxy', '/F'],
      ['/Delete', '/TN', '\\GoProxyGuard\\Guard', '/F'],
    ]);
    expect(JSON.parse(run.stdout)).toMatchObject({
      taskName: '\\GoProxyGuard\\Guard',
      done: true,
      guardProxy: { taskName: '\\GoProxyGuard\\GuardProxy', done: true },
    });
  });

  it('unregister --dry-run shows the commands for both tasks and runs nothing', async () => {
    const run = await cli(['task', 'unregister', '--dry-run', '--json'], {
      GOPROXYGUARD_PLATFORM: 'win32',
      GOPROXYGUARD_SCHTASKS: '/nonexistent',
    });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      done: false,
      argv: ['schtasks.exe', '/Delete', '/TN', '\\GoProxyGuard\\Guard', '/F'],
      guardProxy: {
        done: false,
        before: ['schtasks.exe', '/End', '/TN', '\\GoProxyGuard\\GuardProxy'],
        argv: ['schtasks.exe', '/Delete', '/TN', '\\GoProxyGuard\\GuardProxy', '/F'],
      },
    });
  });

  it('unregister fails, naming the task, when the guard proxy task cannot be deleted', async () => {
    const schtasks = await standIn(QUERY_OUTPUT, 0, {
      '/Delete \\GoProxyGuard\\GuardProxy': { output: 'ERROR: Access is denied.', exitCode: 1 },
    });
    const run = await cli(['task', 'unregister'], schtasks.env);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(
      'schtasks /Delete \\GoProxyGuard\\GuardProxy failed (1): ERROR: Access is denied.',
    );
  });

  it('status runs schtasks /Query /TN \\GoProxyGuard\\Guard /V /FO CSV and reads the last result', async () => {
    const schtasks = await standIn(QUERY_OUTPUT, 0, {
      '\\GoProxyGuard\\GuardProxy': {
        output: 'ERROR: The system cannot find the file specified.',
        exitCode: 1,
      },
    });
    const run = await cli(['task', 'status', '--json'], schtasks.env);
    expect((await schtasks.recorded()).argv).toEqual([
      '/Query',
      '/TN',
      '\\GoProxyGuard\\Guard',
      '/V',
      '/FO',
      'CSV',
    ]);
    expect(JSON.parse(run.stdout)).toEqual({
      taskName: '\\GoProxyGuard\\Guard',
      registered: true,
      status: 'Ready',
      lastRunTime: '26/11/2026 07:00:01',
      lastResult: '0',
      nextRunTime: '26/11/2026 07:15:00',
      guardProxy: {
        taskName: '\\GoProxyGuard\\GuardProxy',
        registered: false,
        status: null,
        lastRunTime: null,
        lastResult: null,
        nextRunTime: null,
      },
    });
  });

  it('status shows the guard proxy task beside the periodic one', async () => {
    const guardProxy =
      '"HostName","TaskName","Next Run Time","Status","Logon Mode","Last Run Time","Last Result","Author","Task To Run"\r\n' +
      '"DESKTOP-1","\\GoProxyGuard\\GuardProxy","N/A","Running","Interactive only","26/11/2026 06:58:12","267009","CORP\\zoë","%SystemRoot%\\System32\\conhost.exe --headless"\r\n';
    const schtasks = await standIn(QUERY_OUTPUT, 0, {
      '\\GoProxyGuard\\GuardProxy': { output: guardProxy, exitCode: 0 },
    });
    const run = await cli(['task', 'status'], schtasks.env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      '\\GoProxyGuard\\GuardProxy: Running; last run 26/11/2026 06:58:12, result 267009; next run N/A',
    );
    expect((await schtasks.calls()).map((call) => call.argv[2])).toEqual([
      '\\GoProxyGuard\\Guard',
      '\\GoProxyGuard\\GuardProxy',
    ]);
  });

  it('status of an unregistered task says so (schtasks exits 1)', async () => {
    const schtasks = await standIn('ERROR: The system cannot find the file specified.', 1);
    const run = await cli(['task', 'status', '--json'], schtasks.env);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).registered).toBe(false);
  });

  it('reports output it cannot read instead of guessing', () => {
    expect(() => parseTaskQuery('Nom de la tâche: autre chose', '\\GoProxyGuard\\Guard')).toThrow(
      'schtasks output does not describe',
    );
  });

  it('says plainly that registering needs Windows', async () => {
    const run = await cli(['task', 'register', ...PATHS], { GOPROXYGUARD_PLATFORM: 'linux' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('scheduled tasks need Windows (schtasks.exe)');
  });
});

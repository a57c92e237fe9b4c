import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { parseWindowsCommandLine } from '../src/schedule/command-line.js';
import { parseTaskQuery } from '../src/system/schtasks.js';
import { cli, RUNTIME, writeJson } from './helpers.js';

// The Task Scheduler schema lives in shared/reference beside the repository (as CI lays it out);
// GOPROXYGUARD_TASK_XSD points elsewhere.
const XSD =
  process.env.GOPROXYGUARD_TASK_XSD ??
  join(import.meta.dirname, '..', '..', 'shared', 'reference', 'task-scheduler-1.3.xsd');
if (!existsSync(XSD))
  throw new Error(`the Task Scheduler schema is not at ${XSD}; set GOPROXYGUARD_TASK_XSD`);
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

/** A stand-in for schtasks.exe (Wine's is an empty stub): records its argv and the XML it was given. */
async function standIn(output: string, exitCode = 0) {
  const record = join(dir, `argv-${Math.random()}.json`);
  const script = join(dir, `schtasks-${Math.random()}.mjs`);
  await writeFile(
    script,
    `#!${process.execPath}
import { readFileSync, writeFileSync } from 'node:fs';
const argv = process.argv.slice(2);
const xmlAt = argv.indexOf('/XML');
const xml = xmlAt >= 0 ? readFileSync(argv[xmlAt + 1]).toString('base64') : null;
writeFileSync(${JSON.stringify(record)}, JSON.stringify({ argv, xml }));
process.stdout.write(${JSON.stringify(output)});
process.exit(${exitCode});
`,
  );
  await chmod(script, 0o755);
  const env = { GOPROXYGUARD_PLATFORM: 'win32', GOPROXYGUARD_SCHTASKS: script, PATH: process.env.PATH };
  const recorded = async () =>
    JSON.parse(await readFile(record, 'utf8')) as { argv: string[]; xml: string | null };
  return { env, recorded };
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

  it('unregister runs schtasks /Delete /TN \\GoProxyGuard\\Guard /F', async () => {
    const schtasks = await standIn('SUCCESS');
    expect((await cli(['task', 'unregister'], schtasks.env)).code).toBe(0);
    expect((await schtasks.recorded()).argv).toEqual(['/Delete', '/TN', '\\GoProxyGuard\\Guard', '/F']);
  });

  it('status runs schtasks /Query /TN \\GoProxyGuard\\Guard /V /FO CSV and reads the last result', async () => {
    // The shape of `schtasks /Query /V /FO CSV` as documented (typed from Microsoft's schtasks
    // documentation, not captured on Windows): a quoted header line, then one record.
    const output =
      '"HostName","TaskName","Next Run Time","Status","Logon Mode","Last Run Time","Last Result","Author","Task To Run"\r\n' +
      '"DESKTOP-1","\\GoProxyGuard\\Guard","26/11/2026 07:15:00","Ready","Interactive only","26/11/2026 07:00:01","0","CORP\\zoë","%SystemRoot%\\System32\\conhost.exe --headless ""C:\\Program Files\\nodejs\\node.exe"""\r\n';
    const schtasks = await standIn(output);
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
    });
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

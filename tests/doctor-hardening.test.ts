import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { attributeLog, FAMILIES, RULES } from '../src/doctor/attribution.js';
import { cappedLines } from '../src/doctor/log-lines.js';
import { cli, RUNTIME } from './helpers.js';

const dir = await mkdtemp(join(tmpdir(), 'gpg-doctor-hard-'));
afterAll(() => rm(dir, { recursive: true, force: true }));
const env = { PATH: process.env.PATH, HOME: dir, GOENV: join(dir, 'go-env') };
const findingsOf = async (text: string) => attributeLog(Readable.from([text]));
/** The one finding a log should give. */
const only = (severity: string, title: string, evidence: string[]) => [
  expect.objectContaining({ severity, title, evidence }),
];

/** A file of `megabytes` MB with no newline at all (sparse: made in no time, read in full). */
async function noNewlines(name: string, megabytes: number): Promise<string> {
  const path = join(dir, name);
  const file = await open(path, 'w');
  await file.truncate(megabytes * 1024 * 1024);
  await file.close();
  return path;
}

/** Runs a shell line under /usr/bin/time -v; returns the runtime's output and its peak RSS in MB. */
async function measured(script: string) {
  const run = await execa('sh', ['-c', script], { reject: false, env, extendEnv: true });
  const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr)?.[1]);
  return { ...run, peakMb: kb / 1024 };
}

describe('doctor --log reads any input in bounded memory (the bundled runtime)', () => {
  it('300 MB without a newline, from a file: no crash, one capped line, peak RSS under 150 MB', async () => {
    const log = await noNewlines('nul.log', 300);
    const run = await measured(`/usr/bin/time -v node ${RUNTIME} doctor --offline --json --log ${log}`);
    expect(run.stderr).not.toMatch(/RangeError|\n\s+at /);
    expect(run.exitCode).toBe(0);
    const findings = JSON.parse(run.stdout).findings as { title: string; evidence: string[] }[];
    expect(findings).toContainEqual(
      expect.objectContaining({
        title: '1 line(s) longer than 64 KiB: only the first 64 KiB of each was read',
        evidence: [`${300 * 1024 * 1024 - 64 * 1024} bytes skipped`],
      }),
    );
    expect(run.peakMb).toBeLessThan(150);
  }, 120_000);

  it('300 MB without a newline on standard input (a real pipe): the same', async () => {
    const run = await measured(
      `head -c 300M /dev/zero | /usr/bin/time -v node ${RUNTIME} doctor --offline --json --log -`,
    );
    expect(run.stderr).not.toMatch(/RangeError|\n\s+at /);
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.stdout).findings).toContainEqual(
      expect.objectContaining({ title: 'the log holds binary data; those lines were skipped' }),
    );
    expect(run.peakMb).toBeLessThan(150);
  }, 120_000);

  it('a log that cannot be read is bad input naming the file, not an internal error', async () => {
    const missing = join(dir, 'no-such.log');
    const run = await execa('node', [RUNTIME, 'doctor', '--offline', '--log', missing], {
      reject: false,
      env,
    });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toBe(
      `goproxy-guard doctor: option "--log": cannot read ${missing} (ENOENT); pass a text file, or - for standard input`,
    );
  });
});

describe('the capped line reader', () => {
  it('splits across chunks, keeps CRLF logs readable, and counts what it skips', async () => {
    const chunks = ['go: a\r', '\nlong', 'er line\n', 'tail'];
    const lines = [];
    for await (const line of cappedLines(Readable.from(chunks), 4)) lines.push(line);
    expect(lines).toEqual([
      { text: 'go: ', skippedBytes: 2 }, // "go: a\r" cut at 4 bytes
      { text: 'long', skippedBytes: 7 },
      { text: 'tail', skippedBytes: 0 },
    ]);
  });
});

describe('doctor output hides proxy passwords and terminal sequences', () => {
  const secretEnv = { ...env, HTTPS_PROXY: 'http://alice:S3cr3tPW@127.0.0.1:1' };

  it.each([['text'], ['json']])('%s output masks HTTPS_PROXY as alice:***@', async (format) => {
    const run = await cli(['doctor', '--offline', ...(format === 'json' ? ['--json'] : [])], secretEnv);
    expect(run.stdout).not.toContain('S3cr3tPW');
    expect(run.stdout).toContain('HTTPS_PROXY=http://alice:***@127.0.0.1:1');
  });

  it('log lines lose ESC sequences, BEL and other controls, and passwords in URLs', async () => {
    const log = join(dir, 'colours.log');
    await writeFile(
      log,
      '\u001b[31mgo: m@v1.0.0: reading https://bob:hunter2@m.example/m/@v/v1.0.0.info: 418 I\u0007 am a teapot\u001b[0m\u001b]0;owned\u0007\n',
    );
    const run = await cli(['doctor', '--offline', '--json', '--log', log], env);
    expect(run.stdout).not.toMatch(/\\u001b|\\u0007|hunter2|owned/);
    const findings = JSON.parse(run.stdout).findings as { title: string; evidence: string[] }[];
    expect(findings.find((f) => f.title.startsWith('mirror:'))?.evidence).toEqual([
      'go: m@v1.0.0: reading https://bob:***@m.example/m/@v/v1.0.0.info: 418 I am a teapot',
    ]);
  });
});

describe('every go error line ends in a finding', () => {
  it.each([
    ['go: m@v1.0.0: Get "https://m.example/x": x509: a wording no rule lists', 'tls-other'],
    ['go: m@v1.0.0: Get "https://m.example/x": remote error: tls: handshake failure', 'tls-other'],
    ['go: m@v1.0.0: Get "https://m.example/x": dial tcp: lookup m.example: i/o timeout', 'dns-other'],
    [
      'go: m@v1.0.0: Get "https://m.example/x": dial tcp 10.0.0.1:443: connect: no route to host',
      'connect-other',
    ],
    ['go: m@v1.0.0: reading https://m.example/m/@v/v1.0.0.info: 403 Forbidden', 'mirror-other'],
  ])('%s -> the %s family', async (line, id) => {
    const family = FAMILIES.find((f) => f.id === id);
    expect(RULES.some((rule) => rule.pattern.test(line))).toBe(false);
    const findings = await findingsOf(`${line}\n`);
    expect(findings).toEqual(only('error', `${family?.layer}: ${family?.cause}`, [line]));
  });

  it('a go error nothing explains is reported "not attributed" with the line itself', async () => {
    const findings = await findingsOf('go: downloading m v1.0.0\ngo: m@v1.0.0: something new went wrong\n');
    expect(findings).toEqual(
      only('warning', 'not attributed: a go error no rule explains', [
        'go: m@v1.0.0: something new went wrong',
      ]),
    );
  });

  it('a specific rule wins over its family', async () => {
    const findings = await findingsOf(
      'go: m@v1.0.0: Get "https://m.example/x": x509: certificate signed by unknown authority\n',
    );
    expect(findings.map((f) => f.title)).toEqual([
      expect.stringMatching(/^tls: a certificate from a root this machine does not trust/),
    ]);
  });

  it('a log with no go error says so', async () => {
    const findings = await findingsOf('go: downloading m v1.0.0\nall good\n');
    expect(findings).toEqual(
      only('info', 'no go error in the log', ['2 line(s) read; none is a go error line']),
    );
  });
});

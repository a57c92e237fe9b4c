import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attributeLog, RULES } from '../src/doctor/attribution.js';
import { checkGoInstall, goNames, scanPath } from '../src/doctor/go-install.js';
import { checkSettings } from '../src/doctor/settings.js';
import { goWorld } from '../src/lab/go-world.js';
import { type RunningLab, startLab } from '../src/lab/scenarios.js';
import { readGoSettings } from '../src/system/go-env.js';
import { cli, RUNTIME } from './helpers.js';

const dir = await mkdtemp(join(tmpdir(), 'gpg-doctor-'));
afterAll(() => rm(dir, { recursive: true, force: true }));
const titles = async (text: string) => (await attributeLog(Readable.from([text]))).map((f) => f.title);

describe('the go installation layer', () => {
  it('reports every go on PATH in order with the winner, a dead entry and a repeated one', async () => {
    const makeGo = async (name: string, version: string) => {
      const bin = join(dir, name, 'bin');
      await mkdir(bin, { recursive: true });
      const json = JSON.stringify({
        GOVERSION: version,
        GOROOT: join(dir, name),
        GOPATH: join(dir, 'gopath'),
        GOMODCACHE: '',
        GOBIN: '',
        GOENV: 'off',
      });
      await writeFile(join(bin, 'go'), `#!/bin/sh\necho '${json}'\n`);
      await chmod(join(bin, 'go'), 0o755);
      return bin;
    };
    const first = await makeGo('go-a', 'go1.21.0');
    const second = await makeGo('go-b', 'go1.19.8');
    const dead = join(dir, 'old-go', 'bin');
    const { findings, winner } = await checkGoInstall(
      { PATH: [first, dead, second, first].join(':') },
      'linux',
    );
    expect(winner).toBe(join(first, 'go'));
    expect(findings.map((f) => f.title)).toEqual([
      'PATH entry 2 does not exist',
      'PATH entry 4 repeats entry 1',
      '2 go commands on PATH; the first one wins',
      `go go1.21.0 at ${join(first, 'go')}`,
    ]);
    expect(findings[0]?.evidence).toEqual([dead, 'it looks like an old or removed Go install']);
    expect(findings[2]?.evidence).toEqual([`wins: ${join(first, 'go')}`, `shadowed: ${join(second, 'go')}`]);
  });

  it('on Windows finds go as the shell does: PATHEXT in order, so a go.cmd shim earlier on PATH wins over a go.exe', async () => {
    const folder = async (name: string, files: string[]) => {
      const bin = join(dir, 'pathext', name);
      await mkdir(bin, { recursive: true });
      for (const file of files) {
        await writeFile(join(bin, file), '#!/bin/sh\n');
        await chmod(join(bin, file), 0o755);
      }
      return bin;
    };
    const shim = await folder('shim', ['go.cmd']);
    const both = await folder('both', ['go.exe', 'go.cmd']);
    const gos = async (env: NodeJS.ProcessEnv) => (await scanPath(env, 'win32')).map((e) => e.go);
    // PATH and PATHEXT by any case, as Windows looks names up
    expect(await gos({ Path: [shim, both].join(';') })).toEqual([join(shim, 'go.cmd'), join(both, 'go.exe')]);
    expect(await gos({ path: both, pathext: '.CMD;.EXE' })).toEqual([join(both, 'go.cmd')]);
    expect(await gos({ PATH: shim, PATHEXT: '.EXE' })).toEqual([null]);
    expect(goNames({}, 'win32')).toEqual(['go.com', 'go.exe', 'go.bat', 'go.cmd']);
    expect(goNames({ PATHEXT: '.EXE;.exe;;CMD' }, 'win32')).toEqual(['go.exe']);
    expect(goNames({ PATHEXT: '.EXE' }, 'linux')).toEqual(['go']);
  });

  it("refuses a go env file over the size go's settings may have, naming it, instead of reading it whole", async () => {
    const bin = join(dir, 'go-big-env', 'bin');
    await mkdir(bin, { recursive: true });
    const envFile = join(dir, 'go-big-env', 'env');
    // 2 MiB of lines go cannot read: read whole, each would be evidence of a broken file.
    await writeFile(envFile, 'not a setting\n'.repeat(150_000));
    const json = JSON.stringify({
      GOVERSION: 'go1.19',
      GOROOT: dir,
      GOPATH: dir,
      GOMODCACHE: '',
      GOBIN: '',
      GOENV: envFile,
    });
    await writeFile(join(bin, 'go'), `#!/bin/sh\necho '${json}'\n`);
    await chmod(join(bin, 'go'), 0o755);
    const { findings } = await checkGoInstall({ PATH: bin }, 'linux');
    const refused = findings.find((f) => f.title.startsWith(`go's env file ${envFile}`));
    expect(refused).toMatchObject({ severity: 'error', evidence: [`GOENV=${envFile}`] });
    expect(refused?.title).toMatch(/over the 1 MiB go's env file may be/);
  });

  it('says plainly when there is no go at all', async () => {
    const { findings, winner } = await checkGoInstall({ PATH: join(dir, 'nothing-here') }, 'linux');
    expect(winner).toBeNull();
    expect(findings.at(-1)).toMatchObject({ severity: 'error', title: 'no go command on PATH' });
  });
});

describe('the settings layer', () => {
  it('flags a GOPROXY environment variable that overrides the go env file, and GOSUMDB=off', async () => {
    const envFile = join(dir, 'go-env');
    await writeFile(envFile, 'GOPROXY=https://file.example\nGOSUMDB=off\n');
    const env = { PATH: process.env.PATH, HOME: dir, GOENV: envFile, GOPROXY: 'https://env.example' };
    const findings = checkSettings(await readGoSettings(env), env);
    expect(
      findings.find((f) => f.title === "GOPROXY in the environment overrides go's env file")?.evidence,
    ).toEqual([
      'environment: GOPROXY=https://env.example',
      `go env file ${envFile}: GOPROXY=https://file.example`,
    ]);
    expect(findings.map((f) => f.title)).toContain(
      'GOSUMDB=off: downloads are not checked against the checksum database',
    );
  });
});

describe('log attribution, rule by rule, on lines the real go printed against the lab', () => {
  let lab: RunningLab;
  const captured = new Map<string, string>();
  beforeAll(async () => {
    lab = await startLab({
      summary: 'failures for go',
      addressUrls: true,
      mirrors: [
        { name: 'ok', mode: { kind: 'ok' } },
        { name: 'bad-gateway', mode: { kind: 'status', status: 502 } },
        { name: 'gone', mode: { kind: 'status', status: 410 } },
        { name: 'expired', mode: { kind: 'ok' }, tls: 'expired' },
        { name: 'wrong-name', mode: { kind: 'ok' }, tls: 'wrong-name' },
        { name: 'tampered', mode: { kind: 'tampered' } },
        { name: 'client-only', mode: { kind: 'ok' }, tls: 'client-only' },
        { name: 'cn-only', mode: { kind: 'ok' }, tls: 'cn-only' },
        { name: 'plain', mode: { kind: 'ok' }, plain: true },
      ],
    });
    const url = (name: string) => lab.mirrors.find((m) => m.name === name)?.url as string;
    const sumdb = lab.config.sumdb as { key: string; url: string };
    const cases: [string, string, string, Record<string, string>][] = [
      ['refused', 'https://127.0.0.1:1', 'lab.test/canary@v1.1.0', {}],
      ['mirror-5xx', url('bad-gateway'), 'lab.test/canary@v1.1.0', {}],
      ['gone', url('gone'), 'lab.test/canary@v1.1.0', {}],
      ['not-found', url('ok'), 'lab.test/canary@v9.9.9', {}],
      ['invalid-version', url('ok'), 'lab.test/canary@master', {}],
      ['tls-expired', url('expired'), 'lab.test/canary@v1.1.0', {}],
      ['tls-name', url('wrong-name').replace('127.0.0.1', 'localhost'), 'lab.test/canary@v1.1.0', {}],
      ['tls-unknown-authority', url('ok'), 'lab.test/canary@v1.1.0', { SSL_CERT_FILE: '/dev/null' }],
      // The lab names its mirrors by address here, and the wrong-name leaf names only a host.
      ['tls-ip-san', url('wrong-name'), 'lab.test/canary@v1.1.0', {}],
      ['tls-key-usage', url('client-only'), 'lab.test/canary@v1.1.0', {}],
      ['tls-no-names', url('cn-only').replace('127.0.0.1', 'localhost'), 'lab.test/canary@v1.1.0', {}],
      ['http-to-https', url('plain').replace('http:', 'https:'), 'lab.test/canary@v1.1.0', {}],

      [
        'checksum-mismatch',
        url('tampered'),
        'lab.test/canary@v1.1.0',
        { GONOSUMDB: '', GOSUMDB: `${sumdb.key} ${sumdb.url}` },
      ],
    ];
    for (const [rule, goproxy, module, extra] of cases) {
      const world = await goWorld(lab, RUNTIME);
      const run = await world.go(['mod', 'download', module], { GOPROXY: goproxy, ...extra });
      captured.set(rule, `${run.stderr}`);
      await world.cleanup();
    }
    // go prints SECURITY ERROR in the same message as the checksum mismatch.
    captured.set('security-error', captured.get('checksum-mismatch') as string);
    // A name that cannot resolve: go runs in a namespace with only loopback, so no query leaves.
    const world = await goWorld(lab, RUNTIME);
    const run = await execa(
      'unshare',
      ['--net', 'sh', '-c', 'ip link set lo up && exec go mod download lab.test/canary@v1.1.0'],
      {
        env: { ...world.env, GOPROXY: 'https://no-such-mirror.lab.test' },
        extendEnv: false,
        reject: false,
        cwd: world.dir,
      },
    );
    captured.set('dns', `${run.stderr}`);
    await world.cleanup();
  }, 120_000);
  afterAll(() => lab?.stop());

  it.each(RULES.filter((rule) => !rule.source).map((rule) => [rule.id]))(
    '%s matches what go printed',
    async (id) => {
      const text = captured.get(id) as string;
      expect(text, `no go output captured for ${id}`).toBeTruthy();
      const rule = RULES.find((r) => r.id === id);
      expect(rule?.pattern.test(text), text).toBe(true);
      expect((await titles(text)).some((title) => title.startsWith(`${rule?.layer}: ${rule?.cause}`))).toBe(
        true,
      );
    },
  );

  it('every rule is either tested on a captured line or names the documentation it was typed from', () => {
    for (const rule of RULES)
      expect(rule.source ?? (captured.has(rule.id) ? 'captured' : undefined), rule.id).toBeDefined();
  });
});

describe('bad log input', () => {
  it('an empty log', async () => {
    expect(await titles('')).toEqual(['the log is empty']);
  });

  it('binary data', async () => {
    const findings = await attributeLog(Readable.from([Buffer.from([0x00, 0xff, 0x10, 0x0a, 0x00, 0x41])]));
    expect(findings.map((f) => f.title)).toEqual(['the log holds binary data; those lines were skipped']);
  });

  it('100 MB of log in bounded memory, one finding per rule with a count', async () => {
    const line =
      'go: example.com/m@v1.0.0: reading https://mirror.example/example.com/m/@v/v1.0.0.info: 502 Bad Gateway\n';
    const filler = 'downloading something that went fine, nothing to see here, just a long line of text\n';
    const chunk = `${line}${filler.repeat(99)}`;
    const chunks = Math.ceil((100 * 1024 * 1024) / chunk.length);
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < chunks; i++) {
          if (i % 1000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
          yield chunk;
        }
      })(),
    );
    const findings = await attributeLog(source);
    expect(findings).toHaveLength(1);
    expect(findings[0]?.title).toBe(`mirror: the mirror answered with a server error (${chunks} lines)`);
    expect(findings[0]?.evidence).toEqual([line.trim()]); // the same line is shown once
    expect(peak - before).toBeLessThan(64 * 1024 * 1024);
  }, 60_000);
});

describe('goproxy-guard doctor', () => {
  it('reports the layers and exits 1 when a log shows an error, without probing in --offline', async () => {
    const log = join(dir, 'failed.log');
    await writeFile(
      log,
      'go: lab.test/canary@v1.1.0: reading https://m.example/lab.test/canary/@v/v1.1.0.info: 410 Gone\n',
    );
    const env = { PATH: process.env.PATH, HOME: dir, GOENV: join(dir, 'go-env-2') };
    const run = await cli(['doctor', '--offline', '--log', log, '--json'], env);
    const findings = JSON.parse(run.stdout).findings as { layer: string; title: string }[];
    expect(findings.map((f) => f.layer)).toEqual(expect.arrayContaining(['go install', 'settings', 'log']));
    expect(findings.find((f) => f.layer === 'log')?.title).toBe(
      'mirror: this mirror does not have the module or version (go then tries the next "," or "|" entry)',
    );
    expect(run.code).toBe(1);
  });

  it('a go on PATH that does not run is a finding, and the doctor goes on to the other layers', async () => {
    const bin = join(dir, 'go-broken', 'bin');
    await mkdir(bin, { recursive: true });
    await writeFile(join(bin, 'go'), '#!/bin/sh\necho "go: cannot find GOROOT directory" >&2\nexit 2\n');
    await chmod(join(bin, 'go'), 0o755);
    const run = await cli(['doctor', '--offline', '--json'], { PATH: bin, HOME: dir });
    expect(run.code, run.stderr).toBe(1);
    const findings = JSON.parse(run.stdout).findings as {
      severity: string;
      title: string;
      evidence: string[];
    }[];
    expect(findings).toContainEqual({
      severity: 'error',
      layer: 'go install',
      title: `${join(bin, 'go')} does not run`,
      evidence: ['go: cannot find GOROOT directory'],
      fix: 'reinstall Go',
    });
  });
});

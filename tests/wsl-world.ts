import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from './helpers.js';

// A wsl.exe stand-in: each distribution is a folder, and "running" a marker file in it. Its
// own messages are UTF-16LE, as wsl.exe's are; `-d <name> --exec go ...` runs the real Linux go
// with that distribution's own GOENV and HOME (a WSL distribution is Linux, so this is close
// to the real thing), and any command run in a stopped distribution starts it, as WSL does.
// Any other command runs for real with that environment: `--exec /bin/sh -c ...` is the real sh,
// and the login shell it starts (this machine's, from getent) reads the distribution's own
// ~/.profile, where a test can put an `export GOPROXY=...`.

export interface WslDistroPlan {
  name: string;
  go: boolean;
  running: boolean;
  /** The distribution's ~/.profile, read by its login shell (a terminal), never by --exec. */
  profile?: string;
  /** Variables Windows passes in through WSLENV: in every process of the distribution. */
  fromWindows?: Record<string, string>;
}

export interface WslWorld {
  dir: string;
  /** Merge into a run's environment: GOPROXYGUARD_WSL, USERPROFILE, PATH. */
  env: Record<string, string>;
  /** The argv of every wsl.exe call, in order. */
  calls: () => Promise<string[][]>;
  /** A distribution's go env file as go wrote it ("" when there is none). */
  goEnvFile: (distro: string) => Promise<string>;
  /** Where go in the distribution keeps its env file (its GOENV, the default place). */
  goEnvPath: (distro: string) => string;
  running: (distro: string) => Promise<boolean>;
  /** Writes %USERPROFILE%\.wslconfig. */
  setWslConfig: (text: string) => Promise<void>;
}

export async function wslWorld(distros: WslDistroPlan[]): Promise<WslWorld> {
  const dir = await tempDir();
  const root = join(dir, 'distros');
  const profile = join(dir, 'profile');
  await mkdir(profile, { recursive: true });
  // The order `wsl --list` prints them in.
  await mkdir(root, { recursive: true });
  await writeFile(join(root, 'order.json'), JSON.stringify(distros.map((d) => d.name)));
  for (const distro of distros) {
    const home = join(root, distro.name, 'home');
    await mkdir(home, { recursive: true });
    if (distro.go) await writeFile(join(root, distro.name, 'has-go'), '');
    if (distro.running) await writeFile(join(root, distro.name, 'running'), '');
    if (distro.profile !== undefined) await writeFile(join(home, '.profile'), distro.profile);
    await writeFile(join(root, distro.name, 'from-windows.json'), JSON.stringify(distro.fromWindows ?? {}));
  }
  const wsl = join(dir, 'wsl');
  await writeFile(
    wsl,
    `#!/usr/bin/env node
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const root = ${JSON.stringify(root)};
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(join(dir, 'wsl.jsonl'))}, JSON.stringify(args) + '\\n');
const say = (text, code) => { process.stdout.write(Buffer.from(text, 'utf16le')); process.exit(code); };
const names = JSON.parse(fs.readFileSync(path.join(root, 'order.json'), 'utf8'));
const is = (name, marker) => fs.existsSync(path.join(root, name, marker));
const line = args.join(' ');
if (line === '--list --quiet') {
  if (names.length === 0) say('Windows Subsystem for Linux has no installed distributions.\\r\\n', 1);
  say(names.map((n) => n + '\\r\\n').join(''), 0);
}
if (line === '--list --running --quiet') {
  const up = names.filter((n) => is(n, 'running'));
  if (up.length === 0) say('There are no running distributions.\\r\\n', 1);
  say(up.map((n) => n + '\\r\\n').join(''), 0);
}
if (args[0] === '-d' && args[2] === '--exec') {
  const name = names.find((n) => n.toLowerCase() === args[1].toLowerCase());
  if (!name) say('There is no distribution with the supplied name.\\r\\nError code: Wsl/Service/WSL_E_DISTRO_NOT_FOUND\\r\\n', 1);
  fs.writeFileSync(path.join(root, name, 'running'), '');
  const [command, ...rest] = args.slice(3);
  const home = path.join(root, name, 'home');
  const linuxEnv = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: home,
    GOENV: path.join(home, '.config', 'go', 'env'), GOCACHE: path.join(home, '.cache', 'go-build'),
    ...JSON.parse(fs.readFileSync(path.join(root, name, 'from-windows.json'), 'utf8')) };
  let program = command;
  if (path.posix.basename(command) === 'go') {
    if (!is(name, 'has-go')) {
      process.stderr.write('<3>WSL (12) ERROR: CreateProcessParseCommon:863: execvpe(' + command + ') failed: No such file or directory\\n');
      process.exit(1);
    }
    program = ${JSON.stringify(process.env.GOPROXYGUARD_TEST_GO ?? 'go')};
  }
  const run = spawnSync(program, rest, { env: linuxEnv, maxBuffer: 64 * 1024 * 1024 });
  process.stdout.write(run.stdout ?? '');
  process.stderr.write(run.stderr ?? '');
  // Not process.exit: a large output to a pipe is still being written, and would be cut off.
  process.exitCode = run.status ?? 1;
  return;
}
say('Invalid command line argument: ' + line + '\\r\\n', 1);
`,
  );
  await chmod(wsl, 0o755);
  return {
    dir,
    env: { GOPROXYGUARD_WSL: wsl, USERPROFILE: profile, PATH: process.env.PATH ?? '/usr/bin:/bin' },
    calls: async () =>
      (await readFile(join(dir, 'wsl.jsonl'), 'utf8').catch(() => ''))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as string[]),
    goEnvPath: (distro) => join(root, distro, 'home', '.config', 'go', 'env'),
    goEnvFile: (distro) =>
      readFile(join(root, distro, 'home', '.config', 'go', 'env'), 'utf8').catch(() => ''),
    running: async (distro) =>
      readFile(join(root, distro, 'running')).then(
        () => true,
        () => false,
      ),
    setWslConfig: (text) => writeFile(join(profile, '.wslconfig'), text),
  };
}

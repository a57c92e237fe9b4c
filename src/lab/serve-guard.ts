import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';

export interface ServedGuard {
  /** The URL `serve` announced. */
  url: string;
  process: ResultPromise;
  /** The guard's resident memory now (Linux /proc), MB. */
  rssMb(): number;
  /** CPU the guard has used so far, all its threads, user and system (Linux /proc), ms. */
  cpuMs(): number;
  /** SIGTERM, then the exit code (0 when it closed cleanly). */
  stop(): Promise<number | undefined>;
}

/**
 * Starts the bundled runtime's `serve` on a free loopback port with the given config, in a state
 * folder of its own under `dir` (its answer cache lives there), and waits for the one line that
 * names its URL. For tests and the bench.
 */
export async function serveGuard(
  runtime: string,
  config: object,
  dir: string,
  env: Record<string, string>,
): Promise<ServedGuard> {
  const home = await mkdtemp(join(dir, 'guard-'));
  const configPath = join(home, 'guard.json');
  await writeFile(configPath, JSON.stringify(config));
  const child = execa(
    process.execPath,
    [runtime, 'serve', '--config', configPath, '--listen', '127.0.0.1:0', '--json'],
    { env: { ...env, GOPROXYGUARD_HOME: home }, extendEnv: false, reject: false, timeout: 600_000 },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('\n')) resolve(JSON.parse(seen.split('\n')[0] as string).url);
    });
    child.then((result) => reject(new Error(`serve ended before it was ready: ${result.stderr}`)));
  });
  return {
    url,
    process: child,
    rssMb: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]) / 1024,
    cpuMs: () => {
      // utime and stime, fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 a second on
      // Linux); the command name (field 2) may hold spaces, so fields are counted after its ")".
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10;
    },
    stop: async () => {
      child.kill('SIGTERM');
      return (await child).exitCode;
    },
  };
}

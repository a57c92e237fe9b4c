import { spawn } from 'node:child_process';
import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stateDir } from '../state/paths.js';
import { type GuardRecord, pidAlive, readGuardRecord } from './guard-record.js';
import { GUARD_NODE_FLAGS } from './node-flags.js';

/** How long a background guard may take to listen before we give up and show its log. */
const START_WAIT_MS = 15_000;

export const guardLogPath = (env: NodeJS.ProcessEnv) => join(stateDir(env), 'guard.log');

/**
 * Starts `serve` again as a detached child (the same runtime, the same options), its output in
 * guard.log (truncated at each start, so it stays small), and waits until it records itself.
 * Resolves to its record, or rejects with the log's last lines when it fails or is too slow.
 */
export async function startInBackground(args: string[], env: NodeJS.ProcessEnv): Promise<GuardRecord> {
  await mkdir(stateDir(env), { recursive: true });
  const logPath = guardLogPath(env);
  const log = await open(logPath, 'w');
  const runtime = process.argv[1] as string;
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(process.execPath, [...GUARD_NODE_FLAGS, runtime, 'serve', ...args], {
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
      env,
      windowsHide: true,
    });
  } finally {
    await log.close();
  }
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  child.unref();
  const pid = child.pid as number;
  const deadline = Date.now() + START_WAIT_MS;
  while (Date.now() < deadline) {
    const record = await readGuardRecord(env);
    if (record?.pid === pid) return record;
    if (exited !== undefined || !pidAlive(pid)) break;
    await sleep(100);
  }
  if (exited === undefined && pidAlive(pid)) process.kill(pid);
  const said = (await readFile(logPath, 'utf8').catch(() => '')).trim().split('\n').slice(-10).join('\n');
  throw new Error(
    `the background guard did not start${exited !== undefined ? ` (exit code ${exited})` : ` within ${START_WAIT_MS / 1000} s`}; ${logPath} says: ${said || '(nothing)'}`,
  );
}

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../state/atomic.js';
import { stateDir } from '../state/paths.js';
import { readStateFile } from '../state/safe-file.js';
import { askGuard, type GuardAnswer } from './status-client.js';

/** What a running `serve` writes about itself, so status and stop find it. */
export interface GuardRecord {
  pid: number;
  url: string;
  startedAt: string;
  version: string;
}

/** guard.json in the state folder: written after the guard listens, removed when it closes. */
export const guardRecordPath = (env: NodeJS.ProcessEnv) => join(stateDir(env), 'guard.json');

export async function writeGuardRecord(env: NodeJS.ProcessEnv, record: GuardRecord): Promise<void> {
  await writeFileAtomic(guardRecordPath(env), `${JSON.stringify(record, null, 2)}\n`);
}

export async function removeGuardRecord(env: NodeJS.ProcessEnv): Promise<void> {
  await rm(guardRecordPath(env), { force: true });
}

/** The record, or undefined when there is none or it is not one (a foreign or torn file). */
export async function readGuardRecord(env: NodeJS.ProcessEnv): Promise<GuardRecord | undefined> {
  const text = await readStateFile(guardRecordPath(env), 64 * 1024, 'the guard record');
  if (text === undefined) return undefined;
  try {
    const record = JSON.parse(text) as GuardRecord;
    if (!Number.isInteger(record?.pid) || record.pid <= 0 || typeof record.url !== 'string') return undefined;
    return record;
  } catch {
    return undefined;
  }
}

/** Whether a process with this pid exists (signal 0 checks without signalling). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export type RecordedGuard =
  | { running: true; record: GuardRecord; answer: Extract<GuardAnswer, { running: true }> }
  | { running: false; record?: GuardRecord; reason: string };

/**
 * Finds the guard this state folder recorded. A record whose pid is gone, or whose url does not
 * answer as the guard does, is stale: not running, with why (never trusted to signal that pid).
 */
export async function findRecordedGuard(env: NodeJS.ProcessEnv): Promise<RecordedGuard> {
  const record = await readGuardRecord(env);
  if (!record) return { running: false, reason: 'no guard is recorded in the state folder' };
  if (!pidAlive(record.pid))
    return { running: false, record, reason: `the recorded guard (pid ${record.pid}) is gone` };
  const answer = await askGuard(new URL(record.url).host);
  if (!answer.running) return { running: false, record, reason: answer.reason };
  return { running: true, record, answer };
}

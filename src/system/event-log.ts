import { windowsEffects } from './platform.js';
import { runTool, TOOLS } from './windows-tool.js';

export const EVENT_SOURCE = 'GoProxyGuard';
export const EVENT_ID_CHANGED = 100;

/** The Application log entries GoProxyGuard writes: id (eventcreate takes 1-1000) and type. */
export const EVENTS = {
  changed: { id: EVENT_ID_CHANGED, type: 'INFORMATION' },
  'guard-down': { id: 101, type: 'WARNING' },
  'guard-back': { id: 102, type: 'INFORMATION' },
  'tampered-refused': { id: 103, type: 'WARNING' },
  /** A policy value of the wrong type or out of range was ignored (fleet policy, issue #19). */
  'policy-ignored': { id: 104, type: 'WARNING' },
} as const satisfies Record<string, { id: number; type: 'INFORMATION' | 'WARNING' | 'ERROR' }>;

export type EventKind = keyof typeof EVENTS;

/** eventcreate's argv for one Application log entry; each value its own element, never a shell. */
export function eventcreateArgs(message: string, kind: EventKind = 'changed'): string[] {
  // eventcreate refuses descriptions over 1024 characters.
  const description = message.length > 1000 ? `${message.slice(0, 997)}...` : message;
  const { id, type } = EVENTS[kind];
  return ['/L', 'APPLICATION', '/T', type, '/SO', EVENT_SOURCE, '/ID', String(id), '/D', description];
}

/**
 * Writes an Application event log entry on Windows (GOPROXYGUARD_EVENTCREATE overrides the tool,
 * for tests), through the shared Windows tool runner. Never fails the run: the first entry creates the event source, which needs an
 * administrator once; until then the reason is returned for the history.
 */
export async function writeEvent(
  kind: EventKind,
  message: string,
  env: NodeJS.ProcessEnv,
): Promise<{ written: boolean; detail: string }> {
  if (!windowsEffects(env)) return { written: false, detail: 'not Windows' };
  const tool = env[TOOLS.eventcreate.override] || TOOLS.eventcreate.exe;
  const run = await runTool(TOOLS.eventcreate, eventcreateArgs(message, kind), env, {
    timeoutMs: 10_000,
  }).catch((error: Error) => ({ exitCode: -1, stdout: '', stderr: error.message }));
  if (run.exitCode === 0) return { written: true, detail: `${tool} ${EVENT_SOURCE}/${EVENTS[kind].id}` };
  return {
    written: false,
    detail: `${tool} failed (${run.exitCode}): ${`${run.stdout}${run.stderr}`.trim()}; an administrator can create the source once with: eventcreate /L APPLICATION /T INFORMATION /SO ${EVENT_SOURCE} /ID 1 /D "GoProxyGuard installed"`,
  };
}

/** The entry a scheduled run writes when it changed go settings. */
export const writeChangeEvent = (message: string, env: NodeJS.ProcessEnv) =>
  writeEvent('changed', message, env);

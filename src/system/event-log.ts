import { windowsEffects } from './platform.js';
import { runTool, TOOLS } from './windows-tool.js';

export const EVENT_SOURCE = 'GoProxyGuard';
export const EVENT_ID_CHANGED = 100;

/** eventcreate's argv for one Application log entry; each value its own element, never a shell. */
export function eventcreateArgs(message: string): string[] {
  // eventcreate refuses descriptions over 1024 characters.
  const description = message.length > 1000 ? `${message.slice(0, 997)}...` : message;
  return [
    '/L',
    'APPLICATION',
    '/T',
    'INFORMATION',
    '/SO',
    EVENT_SOURCE,
    '/ID',
    String(EVENT_ID_CHANGED),
    '/D',
    description,
  ];
}

/**
 * Writes an Application event log entry on Windows (GOPROXYGUARD_EVENTCREATE overrides the tool,
 * for tests), through the shared Windows tool runner. Never fails the run: the first entry creates the event source, which needs an
 * administrator once; until then the reason is returned for the history.
 */
export async function writeChangeEvent(
  message: string,
  env: NodeJS.ProcessEnv,
): Promise<{ written: boolean; detail: string }> {
  if (!windowsEffects(env)) return { written: false, detail: 'not Windows' };
  const tool = env[TOOLS.eventcreate.override] || TOOLS.eventcreate.exe;
  const run = await runTool(TOOLS.eventcreate, eventcreateArgs(message), env, { timeoutMs: 10_000 }).catch(
    (error: Error) => ({ exitCode: -1, stdout: '', stderr: error.message }),
  );
  if (run.exitCode === 0) return { written: true, detail: `${tool} ${EVENT_SOURCE}/${EVENT_ID_CHANGED}` };
  return {
    written: false,
    detail: `${tool} failed (${run.exitCode}): ${`${run.stdout}${run.stderr}`.trim()}; an administrator can create the source once with: eventcreate /L APPLICATION /T INFORMATION /SO ${EVENT_SOURCE} /ID 1 /D "GoProxyGuard installed"`,
  };
}

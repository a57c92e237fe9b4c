import taskTemplate from '../../scheduled-task/task.xml';
import logonTrigger from '../../scheduled-task/triggers/logon.xml';
import networkTrigger from '../../scheduled-task/triggers/network-change.xml';
import timeTrigger from '../../scheduled-task/triggers/time.xml';
import unlockTrigger from '../../scheduled-task/triggers/unlock.xml';
import type { Config } from '../config/schema.js';
import { fill } from '../text/template.js';
import { windowsCommandLine } from './command-line.js';

export const TASK_NAME = '\\GoProxyGuard\\Guard';

/**
 * conhost.exe --headless hosts a console program without creating a window, so the guard does
 * not flash a console every few minutes (Windows 10 1809 and later). It needs no script host
 * (VBScript is being removed from Windows) and costs nothing like a PowerShell start-up.
 */
export const LAUNCHER = '%SystemRoot%\\System32\\conhost.exe';

export interface TaskInputs {
  schedule: Config['schedule'];
  /** DOMAIN\user the task runs as (its own token: LeastPrivilege, InteractiveToken). */
  userId: string;
  node: string;
  runtime: string;
  /** Absolute path of the config the scheduled run uses; absent: the built-in defaults. */
  config?: string;
  version: string;
  now: Date;
}

const xml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

// Microsoft-Windows-NetworkProfile/Operational 10000: a network was connected (VPN up or down).
const NETWORK_QUERY =
  '<QueryList><Query Id="0" Path="Microsoft-Windows-NetworkProfile/Operational"><Select Path="Microsoft-Windows-NetworkProfile/Operational">*[System[(EventID=10000)]]</Select></Query></QueryList>';

/** The command line of the task's action: the launcher's arguments. */
export function taskArguments(inputs: Pick<TaskInputs, 'node' | 'runtime' | 'config'>): string[] {
  return [
    '--headless',
    inputs.node,
    inputs.runtime,
    'run',
    '--scheduled',
    ...(inputs.config ? ['--config', inputs.config] : []),
  ];
}

/**
 * The task XML (version 1.3) as text, declared UTF-8: what `task xml` prints, and the JSON
 * document carries. Printed text is UTF-8, and a declaration must say what the bytes are.
 */
export function taskXml(inputs: TaskInputs): string {
  return renderTask(inputs, 'UTF-8');
}

/**
 * The task XML as the file schtasks.exe /Create /XML reads: UTF-16LE with a byte order mark,
 * declared UTF-16. `task register` hands schtasks exactly these bytes and `task xml --output`
 * writes them, so an administrator can import the same file by hand.
 */
export function taskXmlFile(inputs: TaskInputs): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(renderTask(inputs, 'UTF-16'), 'utf16le')]);
}

/** Every value is escaped, every trigger comes from a template. */
function renderTask(inputs: TaskInputs, encoding: 'UTF-8' | 'UTF-16'): string {
  const { schedule } = inputs;
  const userId = xml(inputs.userId);
  const triggers = [
    fill(timeTrigger, {
      intervalMinutes: schedule.intervalMinutes,
      startBoundary: `${inputs.now.toISOString().slice(0, 16)}:00`,
      interval: isoMinutes(schedule.intervalMinutes),
    }),
    ...(schedule.atLogon ? [fill(logonTrigger, { userId })] : []),
    ...(schedule.onNetworkChange ? [fill(networkTrigger, { subscription: xml(NETWORK_QUERY) })] : []),
    ...(schedule.onUnlock ? [fill(unlockTrigger, { userId })] : []),
  ];
  return fill(taskTemplate, {
    encoding,
    author: userId,
    version: xml(inputs.version),
    taskName: xml(TASK_NAME),
    triggers: triggers.join('').trimEnd(),
    userId,
    timeLimitMinutes: schedule.timeLimitMinutes,
    command: xml(LAUNCHER),
    arguments: xml(windowsCommandLine(taskArguments(inputs))),
  });
}

/** An ISO 8601 duration of whole minutes, in the largest exact unit (PT15M, PT2H, P1D). */
export function isoMinutes(minutes: number): string {
  if (minutes % 1440 === 0) return `P${minutes / 1440}D`;
  if (minutes % 60 === 0) return `PT${minutes / 60}H`;
  return `PT${minutes}M`;
}

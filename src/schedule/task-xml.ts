import restartOnFailure from '../../scheduled-task/settings/restart-on-failure.xml';
import taskTemplate from '../../scheduled-task/task.xml';
import logonTrigger from '../../scheduled-task/triggers/logon.xml';
import networkTrigger from '../../scheduled-task/triggers/network-change.xml';
import timeTrigger from '../../scheduled-task/triggers/time.xml';
import unlockTrigger from '../../scheduled-task/triggers/unlock.xml';
import type { Config } from '../config/schema.js';
import { GUARD_NODE_FLAGS } from '../guardproxy/node-flags.js';
import { fill } from '../text/template.js';
import { windowsCommandLine } from './command-line.js';

export const TASK_NAME = '\\GoProxyGuard\\Guard';

/**
 * The guard proxy (`serve`) runs as a task of its own rather than as a second action of the
 * periodic task: a task's actions run one after the other and the task counts as running until
 * the last ends, so a long-running serve action would hold the periodic task forever, and with
 * IgnoreNew every later trigger would be skipped. Its own task also gets its own settings
 * (no time limit, restart on failure) and its own last result in `task status`.
 */
export const GUARD_PROXY_TASK_NAME = '\\GoProxyGuard\\GuardProxy';

/**
 * Task Scheduler restarts the guard proxy a minute after it fails, up to 255 times (the schema's
 * most) until the next logon starts it afresh: a crash costs go one minute of the `|` fallback.
 */
export const GUARD_PROXY_RESTART = { interval: 'PT1M', count: 255 } as const;

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
  /** guard.enabled: the task set also runs the guard proxy from logon. */
  guardProxy: boolean;
}

/** One task of the set: its name and the XML as printed (UTF-8) and as schtasks reads it (UTF-16). */
export interface TaskDefinition {
  taskName: string;
  xml: string;
  file: Buffer;
}

const xml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

// Microsoft-Windows-NetworkProfile/Operational 10000: a network was connected (VPN up or down).
const NETWORK_QUERY =
  '<QueryList><Query Id="0" Path="Microsoft-Windows-NetworkProfile/Operational"><Select Path="Microsoft-Windows-NetworkProfile/Operational">*[System[(EventID=10000)]]</Select></Query></QueryList>';

/** The command line of the periodic task's action: the launcher's arguments. */
export function taskArguments(inputs: Pick<TaskInputs, 'node' | 'runtime' | 'config'>): string[] {
  return launch(inputs, ['run', '--scheduled']);
}

/** The command line of the guard proxy task's action: `serve` through the same launcher. */
export function guardProxyArguments(inputs: Pick<TaskInputs, 'node' | 'runtime' | 'config'>): string[] {
  return launch(inputs, ['serve'], GUARD_NODE_FLAGS);
}

function launch(
  inputs: Pick<TaskInputs, 'node' | 'runtime' | 'config'>,
  command: string[],
  nodeFlags: readonly string[] = [],
): string[] {
  return [
    '--headless',
    inputs.node,
    ...nodeFlags,
    inputs.runtime,
    ...command,
    ...(inputs.config ? ['--config', inputs.config] : []),
  ];
}

/** The task set: the periodic task, and the guard proxy task in guard mode. */
export function taskDefinitions(inputs: TaskInputs): TaskDefinition[] {
  const periodic = { taskName: TASK_NAME, xml: taskXml(inputs), file: taskXmlFile(inputs) };
  if (!inputs.guardProxy) return [periodic];
  return [
    periodic,
    {
      taskName: GUARD_PROXY_TASK_NAME,
      xml: renderGuardProxyTask(inputs, 'UTF-8'),
      file: utf16File(renderGuardProxyTask(inputs, 'UTF-16')),
    },
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
  return utf16File(renderTask(inputs, 'UTF-16'));
}

const utf16File = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);

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
  return fillTask(inputs, encoding, {
    role: 'background guard',
    description:
      'Keeps Go module downloads working: probes the Go module mirrors and proxies and switches GOPROXY to healthy ones',
    taskName: TASK_NAME,
    triggers: triggers.join('').trimEnd(),
    restartOnFailure: '',
    executionTimeLimit: `PT${schedule.timeLimitMinutes}M`,
    // Below normal: a probe run in the background must not slow the desktop.
    priority: 7,
    arguments: taskArguments(inputs),
  });
}

/**
 * The guard proxy task: `serve` from logon, long-running (PT0S: no time limit), restarted by
 * Task Scheduler when it fails, at normal priority (go waits on its answers).
 */
function renderGuardProxyTask(inputs: TaskInputs, encoding: 'UTF-8' | 'UTF-16'): string {
  return fillTask(inputs, encoding, {
    role: 'guard proxy',
    description:
      'Keeps Go module downloads working: a GOPROXY on loopback that fails over per request, so go never stalls',
    taskName: GUARD_PROXY_TASK_NAME,
    // Logon only: the proxy then runs for the whole session.
    triggers: fill(logonTrigger, { userId: xml(inputs.userId) }).trimEnd(),
    restartOnFailure: fill(restartOnFailure, GUARD_PROXY_RESTART),
    executionTimeLimit: 'PT0S',
    priority: 5,
    arguments: guardProxyArguments(inputs),
  });
}

/** The parts every task of the set shares: principal, launcher, version, safety settings. */
function fillTask(
  inputs: TaskInputs,
  encoding: 'UTF-8' | 'UTF-16',
  task: {
    role: string;
    description: string;
    taskName: string;
    triggers: string;
    restartOnFailure: string;
    executionTimeLimit: string;
    priority: number;
    arguments: string[];
  },
): string {
  const userId = xml(inputs.userId);
  return fill(taskTemplate, {
    encoding,
    role: task.role,
    description: xml(task.description),
    author: userId,
    version: xml(inputs.version),
    taskName: xml(task.taskName),
    triggers: task.triggers,
    userId,
    restartOnFailure: task.restartOnFailure,
    executionTimeLimit: task.executionTimeLimit,
    priority: task.priority,
    command: xml(LAUNCHER),
    arguments: xml(windowsCommandLine(task.arguments)),
  });
}

/** An ISO 8601 duration of whole minutes, in the largest exact unit (PT15M, PT2H, P1D). */
export function isoMinutes(minutes: number): string {
  if (minutes % 1440 === 0) return `P${minutes / 1440}D`;
  if (minutes % 60 === 0) return `PT${minutes / 60}H`;
  return `PT${minutes}M`;
}

import { realpathSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PosixFacts } from '../schedule/path-safety.js';
import { UsageError } from './argv.js';
import { defineCommand, type OptionValues } from './definition.js';
import { EXIT } from './exit-codes.js';
import { VERSION } from './version.js';

const taskOptions = {
  /** The config the scheduled run uses (absolute path written into the task); default: built-in mirrors. */
  config: { kind: 'path', flag: 'config', parameter: 'ConfigPath', valueName: 'FILE' },
  /** node.exe the task starts (default: the node running this command). */
  node: { kind: 'path', flag: 'node', parameter: 'NodePath', valueName: 'FILE' },
  /** The bundled runtime the task runs (default: this runtime). */
  runtime: { kind: 'path', flag: 'runtime', parameter: 'RuntimePath', valueName: 'FILE' },
  /** The user the task runs as, DOMAIN\user (default: the current user). */
  user: { kind: 'string', flag: 'user', parameter: 'UserId', valueName: 'USER' },
} as const;

/** The one table view of GoProxyGuard.TaskChange (register and unregister). */
const TASK_CHANGE_COLUMNS = [
  { label: 'TaskName', property: 'TaskName' },
  { label: 'Done', property: 'Done' },
  { label: 'Command', property: 'Command' },
];

/** Who runs this and who owns what, for the POSIX path check; undefined on Windows. */
function posixFacts(): PosixFacts | undefined {
  if (!process.getuid) return undefined;
  return {
    uid: process.getuid(),
    realPath: (file) => {
      try {
        return realpathSync(file);
      } catch {
        return file;
      }
    },
    ownership: (file) => {
      try {
        const { uid, mode } = statSync(file);
        return { uid, mode };
      } catch {
        return undefined;
      }
    },
  };
}

/** Resolves the task's inputs and refuses paths other users could change. Pure apart from the config read. */
async function taskInputs(options: OptionValues<typeof taskOptions>, env: NodeJS.ProcessEnv) {
  const [{ loadConfig }, { taskPathProblem }] = await Promise.all([
    import('../config/load.js'),
    import('../schedule/path-safety.js'),
  ]);
  const loaded = await loadConfig(options.config, env);
  const configPath = loaded.source === 'built-in defaults' ? undefined : path.resolve(loaded.source);
  const node = options.node ?? process.execPath;
  const runtime = options.runtime ?? fileURLToPath(import.meta.url);
  for (const [flag, file] of [
    ['--node', node],
    ['--runtime', runtime],
    ['--config', configPath],
  ] as const) {
    const problem = file === undefined ? undefined : taskPathProblem(file, posixFacts());
    if (problem) throw new UsageError(flag, problem);
  }
  const userId =
    options.user ??
    (env.USERDOMAIN && env.USERNAME ? `${env.USERDOMAIN}\\${env.USERNAME}` : userInfo().username);
  return {
    schedule: loaded.config.schedule,
    userId,
    node,
    runtime,
    ...(configPath ? { config: configPath } : {}),
    version: VERSION,
    now: new Date(),
    guardProxy: loaded.config.guard.enabled,
  };
}

/**
 * Prints the Task Scheduler XML of the background guard. Changes nothing.
 *
 * The task (version 1.3) runs the guard every schedule.intervalMinutes, at logon, on every network
 * change (Microsoft-Windows-NetworkProfile/Operational event 10000, e.g. VPN up or down) and at
 * unlock, as the current user with LeastPrivilege and InteractiveToken, hidden, never two at once
 * (IgnoreNew), also on battery, stopped after schedule.timeLimitMinutes. It starts node through
 * conhost.exe --headless, so no console window flashes. Paths in folders other users can write
 * to are refused, and so are paths with "%", which Task Scheduler would expand. The XML printed
 * (and returned) is declared UTF-8; -OutputPath writes the file Register-GoProxyGuardTask hands
 * to schtasks.exe, in UTF-16 with a byte order mark. In guard mode (guard.enabled) the task set has
 * a second task, \GoProxyGuard\GuardProxy, shown with -GuardProxy: it runs the guard proxy from
 * logon with no time limit, and Task Scheduler restarts it a minute after it fails (up to 255
 * times); same launcher, user and safety rules.
 *
 * @example
 * Get-GoProxyGuardTaskXml -ConfigPath $HOME\goproxy-guard.json -OutputPath guard.xml
 * Saves the task definition for review, or for an administrator to import with
 * schtasks.exe /Create /TN \GoProxyGuard\Guard /XML guard.xml.
 * @example
 * ([xml](Get-GoProxyGuardTaskXml)).Task.Principals.Principal.RunLevel
 * Reads one setting of the task definition (LeastPrivilege).
 * @cli
 * goproxy-guard task xml --config goproxy-guard.json --output guard.xml
 */
export const taskXmlCommand = defineCommand({
  name: 'task xml',
  cmdlet: 'Get-GoProxyTaskXml',
  cmdletAliases: ['Get-GoProxyGuardTaskXml'],
  outputType: 'System.String',
  outputProperty: 'xml',
  changesMachine: false,
  columns: [],
  options: {
    ...taskOptions,
    /**
     * Also write the task XML to this file: byte for byte what Register-GoProxyGuardTask hands to
     * schtasks.exe (UTF-16LE with a byte order mark), for an administrator to import.
     */
    output: { kind: 'path', flag: 'output', parameter: 'OutputPath', valueName: 'FILE' },
    /** Print (or write) the guard proxy task instead of the periodic one (needs guard.enabled). */
    guardProxy: { kind: 'switch', flag: 'guard-proxy', parameter: 'GuardProxy' },
  },
  async run(options, io) {
    const { taskDefinitions } = await import('../schedule/task-xml.js');
    const [periodic, guardProxy] = taskDefinitions(await taskInputs(options, io.env));
    if (!periodic) throw new Error('the task set is empty');
    if (options.guardProxy && !guardProxy)
      throw new UsageError(
        '--guard-proxy',
        'guard.enabled is false in the config: there is no guard proxy task; set "guard": { "enabled": true }',
      );
    const shown = options.guardProxy && guardProxy ? guardProxy : periodic;
    // taskName and xml are the task shown (what the cmdlet returns); beside the periodic task,
    // the guard proxy task rides along for --json readers.
    const both = {
      taskName: shown.taskName,
      xml: shown.xml,
      ...(guardProxy && shown === periodic
        ? { guardProxy: { taskName: guardProxy.taskName, xml: guardProxy.xml } }
        : {}),
    };
    if (options.output === undefined) return { exitCode: EXIT.ok, document: both, text: shown.xml };
    const file = path.resolve(options.output);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(file, shown.file).catch((error: Error) => {
      throw new UsageError('--output', `cannot write ${file}: ${error.message}`);
    });
    return {
      exitCode: EXIT.ok,
      document: { ...both, file },
      text: `Wrote ${file} (UTF-16LE with a byte order mark, as schtasks.exe /Create /TN ${shown.taskName} /XML takes it).`,
    };
  },
});

/**
 * Registers the background guard as a scheduled task for the current user.
 *
 * Writes the task XML (see Get-GoProxyGuardTaskXml -OutputPath) to a temporary file in UTF-16 and runs
 * schtasks.exe /Create /TN \GoProxyGuard\Guard /XML <file> /F, replacing an earlier registration.
 * In guard mode (guard.enabled) it also registers \GoProxyGuard\GuardProxy, which runs the guard
 * proxy (Start-GoProxyServer) from logon for the whole session. With -WhatIf it shows the command line and registers nothing.
 *
 * @example
 * Register-GoProxyGuardTask -ConfigPath $HOME\goproxy-guard.json
 * Registers the guard with the given config.
 * @example
 * Register-GoProxyGuardTask -WhatIf
 * Shows the schtasks.exe command line without running it.
 * @cli
 * goproxy-guard task register --config goproxy-guard.json
 */
export const taskRegister = defineCommand({
  name: 'task register',
  cmdlet: 'Register-GoProxyTask',
  cmdletAliases: ['Register-GoProxyGuardTask'],
  outputType: 'GoProxyGuard.TaskChange',
  outputProperty: '.',
  changesMachine: true,
  whatIf: {
    target: 'Task Scheduler task \\GoProxyGuard\\Guard',
    action: 'Register the GoProxyGuard background guard',
  },
  columns: TASK_CHANGE_COLUMNS,
  options: {
    ...taskOptions,
    /** Show the schtasks.exe command line and change nothing (PowerShell: -WhatIf). */
    dryRun: { kind: 'switch', flag: 'dry-run', parameter: 'DryRun' },
  },
  async run(options, io) {
    const [{ taskDefinitions }, { runSchtasks, schtasksArgs }, fs, os] = await Promise.all([
      import('../schedule/task-xml.js'),
      import('../system/schtasks.js'),
      import('node:fs/promises'),
      import('node:os'),
    ]);
    const tasks = taskDefinitions(await taskInputs(options, io.env));
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'goproxy-guard-task-'));
    try {
      const changes = [];
      for (const [index, task] of tasks.entries()) {
        const file = path.join(dir, index === 0 ? 'GoProxyGuard.xml' : 'GoProxyGuardProxy.xml');
        const argv = schtasksArgs.create(task.taskName, file);
        if (options.dryRun) {
          changes.push(change(task.taskName, argv, false, 'would run'));
          continue;
        }
        // schtasks reads task XML as UTF-16 (with a byte order mark), as the declaration says.
        await fs.writeFile(file, task.file);
        const run = await runSchtasks(argv, io.env);
        if (run.exitCode !== 0)
          throw new Error(`schtasks /Create ${task.taskName} failed (${run.exitCode}): ${run.stdout.trim()}`);
        changes.push(change(task.taskName, argv, true, 'ran'));
      }
      return taskSet(changes);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  },
});

/**
 * Removes the background guard's scheduled task. Settings it changed stay; Restore-GoProxySettings undoes those.
 *
 * Runs schtasks.exe /Delete /TN \GoProxyGuard\Guard /F. When the guard proxy task
 * \GoProxyGuard\GuardProxy is registered (guard mode), it first stops the running guard proxy
 * (schtasks.exe /End) and deletes that task too. With -WhatIf it shows the command lines only.
 *
 * @example
 * Unregister-GoProxyGuardTask
 * Removes the task.
 * @cli
 * goproxy-guard task unregister
 */
export const taskUnregister = defineCommand({
  name: 'task unregister',
  cmdlet: 'Unregister-GoProxyTask',
  cmdletAliases: ['Unregister-GoProxyGuardTask'],
  outputType: 'GoProxyGuard.TaskChange',
  outputProperty: '.',
  changesMachine: true,
  whatIf: {
    target: 'Task Scheduler task \\GoProxyGuard\\Guard',
    action: 'Remove the GoProxyGuard background guard',
  },
  columns: TASK_CHANGE_COLUMNS,
  options: {
    /** Show the schtasks.exe command line and change nothing (PowerShell: -WhatIf). */
    dryRun: { kind: 'switch', flag: 'dry-run', parameter: 'DryRun' },
  },
  async run(options, io) {
    const [{ TASK_NAME, GUARD_PROXY_TASK_NAME }, { runSchtasks, schtasksArgs }] = await Promise.all([
      import('../schedule/task-xml.js'),
      import('../system/schtasks.js'),
    ]);
    const changes = [];
    // The guard proxy task exists only where guard mode was on at registration: asked, not assumed,
    // so a failed delete is never mistaken for "was not there". /End stops the running guard first
    // (deleting a task leaves its running instance alone); it fails when none runs, which is fine.
    const guardProxy = options.dryRun
      ? { exitCode: 0 }
      : await runSchtasks(schtasksArgs.query(GUARD_PROXY_TASK_NAME), io.env);
    if (guardProxy.exitCode === 0) {
      const end = schtasksArgs.end(GUARD_PROXY_TASK_NAME);
      const argv = schtasksArgs.delete(GUARD_PROXY_TASK_NAME);
      if (options.dryRun) changes.push(change(GUARD_PROXY_TASK_NAME, argv, false, 'would run', end));
      else {
        await runSchtasks(end, io.env);
        const run = await runSchtasks(argv, io.env);
        if (run.exitCode !== 0)
          throw new Error(
            `schtasks /Delete ${GUARD_PROXY_TASK_NAME} failed (${run.exitCode}): ${run.stdout.trim()}`,
          );
        changes.push(change(GUARD_PROXY_TASK_NAME, argv, true, 'ran', end));
      }
    }
    const argv = schtasksArgs.delete(TASK_NAME);
    if (options.dryRun) changes.unshift(change(TASK_NAME, argv, false, 'would run'));
    else {
      const run = await runSchtasks(argv, io.env);
      if (run.exitCode !== 0)
        throw new Error(`schtasks /Delete failed (${run.exitCode}): ${run.stdout.trim()}`);
      changes.unshift(change(TASK_NAME, argv, true, 'ran'));
    }
    return taskSet(changes);
  },
});

/**
 * Shows whether the background guard is registered, its state, and the result of its last run.
 *
 * Reads schtasks.exe /Query /TN \GoProxyGuard\Guard /V /FO CSV. The last result is the guard's
 * exit code: 0 done, 1 no mirror healthy (last known good kept), 2 bad config, 3 internal error.
 * Also reads the guard proxy task, \GoProxyGuard\GuardProxy (registered in guard mode only): its
 * status is Running while the guard proxy serves.
 *
 * @example
 * Get-GoProxyGuardTask
 * Shows the task's status, last run time and last result.
 * @cli
 * goproxy-guard task status
 */
export const taskStatus = defineCommand({
  name: 'task status',
  cmdlet: 'Get-GoProxyTask',
  cmdletAliases: ['Get-GoProxyGuardTask'],
  outputType: 'GoProxyGuard.Task',
  outputProperty: '.',
  changesMachine: false,
  columns: [
    { label: 'TaskName', property: 'TaskName' },
    { label: 'Registered', property: 'Registered' },
    { label: 'Status', property: 'Status' },
    { label: 'LastRunTime', property: 'LastRunTime' },
    { label: 'LastResult', property: 'LastResult' },
  ],
  options: {},
  async run(_options, io) {
    const [{ TASK_NAME, GUARD_PROXY_TASK_NAME }, { runSchtasks, schtasksArgs, parseTaskQuery }] =
      await Promise.all([import('../schedule/task-xml.js'), import('../system/schtasks.js')]);
    const ask = async (taskName: string) => {
      const run = await runSchtasks(schtasksArgs.query(taskName), io.env);
      const unknown = { status: null, lastRunTime: null, lastResult: null, nextRunTime: null };
      const task =
        run.exitCode === 0
          ? { taskName, registered: true, ...parseTaskQuery(run.stdout, taskName) }
          : { taskName, registered: false, ...unknown };
      return { task, exit: run.exitCode };
    };
    const { task: periodic, exit } = await ask(TASK_NAME);
    const { task: guardProxy } = await ask(GUARD_PROXY_TASK_NAME);
    const line = (task: typeof periodic) =>
      task.registered
        ? `${task.taskName}: ${task.status}; last run ${task.lastRunTime}, result ${task.lastResult}; next run ${task.nextRunTime}`
        : `${task.taskName} is not registered`;
    const text = [
      periodic.registered ? line(periodic) : `${line(periodic)} (schtasks exit ${exit}).`,
      // The guard proxy task exists in guard mode only (guard.enabled at registration).
      guardProxy.registered ? line(guardProxy) : `${line(guardProxy)} (only in guard mode).`,
    ].join('\n');
    return {
      exitCode: periodic.registered ? EXIT.ok : EXIT.unhealthy,
      document: { ...periodic, guardProxy },
      text,
    };
  },
});

type TaskChange = ReturnType<typeof change>;

/** One schtasks.exe change to one task; `before` is a command run first whose outcome does not matter. */
function change(taskName: string, argv: string[], done: boolean, verb: string, before?: string[]) {
  const command = `schtasks.exe ${argv.join(' ')}`;
  return {
    document: {
      taskName,
      done,
      argv: ['schtasks.exe', ...argv],
      command,
      ...(before ? { before: ['schtasks.exe', ...before] } : {}),
    },
    text: `${verb}: ${before ? `schtasks.exe ${before.join(' ')}; ` : ''}${command}`,
  };
}

/** The periodic task's change as the document, the guard proxy task's (guard mode) inside it. */
function taskSet([periodic, guardProxy]: TaskChange[]) {
  if (!periodic) throw new Error('the task set is empty');
  return {
    exitCode: EXIT.ok,
    document: { ...periodic.document, ...(guardProxy ? { guardProxy: guardProxy.document } : {}) },
    text: [periodic.text, ...(guardProxy ? [guardProxy.text] : [])].join('\n'),
  };
}

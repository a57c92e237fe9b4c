import { toolMissing } from '../config/errors.js';
import { windowsEffects } from './platform.js';
import { runTool, TOOLS } from './windows-tool.js';

/** The schtasks.exe command lines GoProxyGuard runs; each value is its own argv element. */
export const schtasksArgs = {
  create: (taskName: string, xmlFile: string) => ['/Create', '/TN', taskName, '/XML', xmlFile, '/F'],
  delete: (taskName: string) => ['/Delete', '/TN', taskName, '/F'],
  /** Stops the task's running instance (the guard proxy), which /Delete leaves running. */
  end: (taskName: string) => ['/End', '/TN', taskName],
  query: (taskName: string) => ['/Query', '/TN', taskName, '/V', '/FO', 'CSV'],
};

export async function runSchtasks(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ stdout: string; exitCode: number }> {
  if (!windowsEffects(env)) {
    throw toolMissing(
      'schtasks.exe',
      'scheduled tasks need Windows (schtasks.exe); `goproxy-guard task xml` prints the task on any system',
    );
  }
  const run = await runTool(TOOLS.schtasks, args, env);
  return { stdout: run.stdout, exitCode: run.exitCode };
}

/** Splits one CSV record as schtasks writes it: every field in double quotes, "" inside for ". */
export function parseCsvLine(line: string): string[] {
  const fields: string[] = [];
  const pattern = /"((?:[^"]|"")*)"(?:,|$)/g;
  for (const match of line.matchAll(pattern)) fields.push((match[1] ?? '').replace(/""/g, '"'));
  return fields;
}

export interface TaskRunInfo {
  status: string;
  lastRunTime: string;
  lastResult: string;
  nextRunTime: string;
}

/**
 * Reads `schtasks /Query /V /FO CSV`: a header line and a record line. Headers are localized, so
 * fields are taken by position (HostName, TaskName, Next Run Time, Status, Logon Mode, Last Run
 * Time, Last Result, ...), after checking that the record names the task; anything else is
 * reported as unparseable rather than guessed.
 */
export function parseTaskQuery(output: string, taskName: string): TaskRunInfo {
  const lines = output.split(/\r?\n/).filter((line) => line.trim() !== '');
  const record = lines.map(parseCsvLine).find((fields) => fields[1] === taskName);
  if (!record || record.length < 7) {
    throw new Error(`schtasks output does not describe ${taskName}: ${JSON.stringify(output.slice(0, 200))}`);
  }
  return {
    nextRunTime: record[2] ?? '',
    status: record[3] ?? '',
    lastRunTime: record[5] ?? '',
    lastResult: record[6] ?? '',
  };
}

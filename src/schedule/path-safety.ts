import path from 'node:path';

// Folders that other standard users can write to. A scheduled task that runs a file from one of
// them lets another user run code as this user: GoProxyGuard refuses to point a task there.
const SHARED_WINDOWS = [
  /^[a-z]:\\users\\public(\\|$)/i,
  /^[a-z]:\\programdata(\\|$)/i,
  /^[a-z]:\\windows\\temp(\\|$)/i,
  /^[a-z]:\\temp(\\|$)/i,
];
const SHARED_POSIX = [/^\/tmp(\/|$)/, /^\/var\/tmp(\/|$)/, /^\/dev\/shm(\/|$)/];

/** Why a task must not run this file, or undefined when it may. */
export function taskPathProblem(file: string): string | undefined {
  // Task Scheduler expands environment variables in an Exec action's Command and Arguments
  // (Microsoft's IExecAction remarks), and %...% has no escape there: refuse instead of
  // letting a path such as C:\Tools\100%USERNAME%\node.exe name another file.
  if (file.includes('%')) {
    return `contains "%" (${file}), which Task Scheduler would read as an environment variable (%NAME%) in the task's command line, with no way to escape it; use a path without "%"`;
  }
  if (/^\\\\/.test(file)) return `is on a network share (${file}), which others may be able to change`;
  const windows = /^[a-z]:\\/i.test(file);
  if (!windows && !path.posix.isAbsolute(file)) return `must be an absolute path (got "${file}")`;
  const shared = (windows ? SHARED_WINDOWS : SHARED_POSIX).find((pattern) => pattern.test(file));
  if (shared) {
    return `is in a folder other users can write to (${file}); keep GoProxyGuard, node and the config under your profile (%LOCALAPPDATA%) or Program Files`;
  }
  return undefined;
}

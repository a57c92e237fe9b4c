import path from 'node:path';

// Folders that other standard users can write to. A scheduled task that runs a file from one of
// them lets another user run code as this user: GoProxyGuard refuses to point a task there.
// Windows ACLs are not read here; these are the folders a default install shares.
const SHARED_WINDOWS = [
  /^[a-z]:\\users\\public(\\|$)/i,
  /^[a-z]:\\programdata(\\|$)/i,
  /^[a-z]:\\windows\\temp(\\|$)/i,
  /^[a-z]:\\temp(\\|$)/i,
];

/** Owner and mode of a file or folder (links followed); undefined when it does not exist. */
export type Ownership = { uid: number; mode: number } | undefined;

/** What the POSIX check needs to know about the machine: who runs it and who owns each folder. */
export interface PosixFacts {
  uid: number;
  /** The file with its links resolved, so a link's own rwxrwxrwx is not mistaken for the file's. */
  realPath(file: string): string;
  ownership(file: string): Ownership;
}

const STICKY = 0o1000;
const GROUP_OR_OTHER_WRITE = 0o022;

/**
 * On POSIX the permissions settle it, as OpenSSH's safe_path does: the file and every folder
 * above it must belong to root or to this user and be writable by no one else, except a sticky
 * folder such as /tmp, where others may add entries but cannot replace ours. So a private
 * `mktemp -d` folder is fine and a world-writable one is not.
 */
function posixProblem(file: string, facts: PosixFacts): string | undefined {
  for (let at = file; ; at = path.posix.dirname(at)) {
    const owner = facts.ownership(at);
    if (owner) {
      if (owner.uid !== 0 && owner.uid !== facts.uid) {
        return `is in a folder other users can write to (${at} belongs to user ${owner.uid}); keep GoProxyGuard, node and the config in folders you or root own`;
      }
      const othersWrite = (owner.mode & GROUP_OR_OTHER_WRITE) !== 0;
      if (othersWrite && (at === file || (owner.mode & STICKY) === 0)) {
        return `is in a folder other users can write to (${at} is writable by group or others); keep GoProxyGuard, node and the config in folders only you can write to`;
      }
    }
    if (at === '/') return undefined;
  }
}

/** Why a task must not run this file, or undefined when it may. `posix` is needed only for POSIX paths. */
export function taskPathProblem(file: string, posix?: PosixFacts): string | undefined {
  // Task Scheduler expands environment variables in an Exec action's Command and Arguments
  // (Microsoft's IExecAction remarks), and %...% has no escape there: refuse instead of
  // letting a path such as C:\Tools\100%USERNAME%\node.exe name another file.
  if (file.includes('%')) {
    return `contains "%" (${file}), which Task Scheduler would read as an environment variable (%NAME%) in the task's command line, with no way to escape it; use a path without "%"`;
  }
  if (/^\\\\/.test(file)) return `is on a network share (${file}), which others may be able to change`;
  if (/^[a-z]:\\/i.test(file)) {
    return SHARED_WINDOWS.some((pattern) => pattern.test(file))
      ? `is in a folder other users can write to (${file}); keep GoProxyGuard, node and the config under your profile (%LOCALAPPDATA%) or Program Files`
      : undefined;
  }
  if (!path.posix.isAbsolute(file)) return `must be an absolute path (got "${file}")`;
  return posix ? posixProblem(posix.realPath(path.posix.normalize(file)), posix) : undefined;
}

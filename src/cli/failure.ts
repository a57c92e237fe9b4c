import { EXIT } from '../commands/exit-codes.js';
import { type Fault, fileSystemError, GuardError } from '../config/errors.js';
import { stateDir } from '../state/paths.js';

/** Each fault's exit code, in one place (config/errors.ts says whose fault each is). */
const EXIT_FOR: Record<Fault, number> = {
  input: EXIT.badInput,
  environment: EXIT.badInput,
  tool: EXIT.internal,
  unverified: EXIT.internal,
  busy: EXIT.locked,
};

/** The variable that shows a bug's stack trace; without it a bug is one line too. */
export const DEBUG_ENV = 'GOPROXYGUARD_DEBUG';

export interface ErrorReport {
  type: 'error';
  errorId: string;
  category: string;
  target: string;
  message: string;
}

/**
 * The error event (for the PowerShell module: errorId, category, target) and exit code of a
 * failed command. A file-system refusal (EACCES, EROFS, ENOSPC, ENOTDIR, a link) is the
 * environment's fault, not a bug; in the state folder it also says how to choose another one.
 */
export function describeFailure(
  error: unknown,
  command: string,
  env: NodeJS.ProcessEnv,
): { report: ErrorReport; exitCode: number } {
  const known = error instanceof GuardError ? error : fileSystemError(error);
  if (known) {
    const inState = known.fault === 'environment' && known.target.startsWith(stateDir(env));
    return {
      report: {
        type: 'error',
        errorId: known.errorId,
        category: known.category,
        // a config field ('' for the file as a whole), else the file or tool, else the command
        target: known.target || (known.errorId === 'ConfigInvalid' ? '' : command),
        message: inState
          ? `${known.message} (GOPROXYGUARD_HOME chooses another folder for GoProxyGuard's state)`
          : known.message,
      },
      exitCode: EXIT_FOR[known.fault],
    };
  }
  const debug = env[DEBUG_ENV] === '1';
  const said = error instanceof Error ? error.message : String(error);
  return {
    report: {
      type: 'error',
      errorId: 'InternalError',
      category: 'NotSpecified',
      target: command,
      message: `internal error: ${debug && error instanceof Error ? error.stack : `${said} (set ${DEBUG_ENV}=1 for the stack trace)`}`,
    },
    exitCode: EXIT.internal,
  };
}

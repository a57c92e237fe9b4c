import { describe, expect, it } from 'vitest';
import { DEBUG_ENV, describeFailure } from '../src/cli/failure.js';
import { UsageError } from '../src/commands/argv.js';
import { EXIT } from '../src/commands/exit-codes.js';
import {
  ConfigError,
  EnvironmentError,
  InputError,
  ToolFailedError,
  toolMissing,
} from '../src/config/errors.js';
import { VerifyError } from '../src/guard/apply.js';
import { LockHeldError } from '../src/state/lock.js';

// Issue #15 defect 4: whose fault a failure is decides its exit code and PowerShell category,
// once; only a bug is "internal error", and its stack appears only when asked for.

const env = { GOPROXYGUARD_HOME: '/state' };
const errno = (code: string, path: string, syscall = 'open') =>
  Object.assign(new Error(`${code}: raw node text, ${syscall} '${path}'`), { code, path, syscall });

describe('describeFailure', () => {
  it.each([
    [
      new ConfigError('deadlineMs', 'must be a number'),
      EXIT.badInput,
      'ConfigInvalid',
      'InvalidArgument',
      'deadlineMs',
    ],
    [
      new UsageError('--history', 'must be a number'),
      EXIT.badInput,
      'UsageInvalid',
      'InvalidArgument',
      '--history',
    ],
    [new InputError('set GOENV=/x to restore it'), EXIT.badInput, 'InputInvalid', 'InvalidArgument', 'apply'],
    [
      toolMissing('reg.exe', 'reg.exe was not found'),
      EXIT.badInput,
      'ToolMissing',
      'NotInstalled',
      'reg.exe',
    ],
    [new ToolFailedError('go env -w failed: boom', 'go'), EXIT.internal, 'ToolFailed', 'InvalidResult', 'go'],
    [new VerifyError('GOPROXY did not read back'), EXIT.internal, 'VerifyFailed', 'WriteError', 'apply'],
    [new LockHeldError('/state/lock', 'pid 1'), EXIT.locked, 'LockHeld', 'ResourceBusy', 'apply'],
    [
      errno('ENOSPC', '/elsewhere/metrics.prom', 'write'),
      EXIT.badInput,
      'FileSystemRefused',
      'ResourceUnavailable',
      '/elsewhere/metrics.prom',
    ],
  ])('%s: exit %i, %s, %s, target %s', (error, exitCode, errorId, category, target) => {
    const described = describeFailure(error, 'apply', env);
    expect(described.exitCode).toBe(exitCode);
    expect(described.report).toMatchObject({ type: 'error', errorId, category, target });
    expect(described.report.message).not.toContain('internal error');
  });

  it('a refusal in the state folder names the file, what the system said, the fix and GOPROXYGUARD_HOME', () => {
    const { report, exitCode } = describeFailure(errno('EACCES', '/state/lock'), 'restore', env);
    expect(exitCode).toBe(EXIT.badInput);
    expect(report.message).toBe(
      "cannot open /state/lock: permission denied (EACCES); give this user access to it (GOPROXYGUARD_HOME chooses another folder for GoProxyGuard's state)",
    );
    expect(report).toMatchObject({ category: 'PermissionDenied', target: '/state/lock' });
  });

  it('an EnvironmentError outside the state folder does not mention GOPROXYGUARD_HOME', () => {
    const { report } = describeFailure(
      new EnvironmentError('x', 'X', 'PermissionDenied', '/other'),
      'run',
      env,
    );
    expect(report.message).toBe('x');
  });

  it('a bug is exit 3 "internal error" in one line; the stack only with GOPROXYGUARD_DEBUG=1', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'x')");
    const plain = describeFailure(bug, 'plan', env);
    expect(plain.exitCode).toBe(EXIT.internal);
    expect(plain.report).toMatchObject({
      errorId: 'InternalError',
      category: 'NotSpecified',
      target: 'plan',
    });
    expect(plain.report.message).toBe(
      `internal error: Cannot read properties of undefined (reading 'x') (set ${DEBUG_ENV}=1 for the stack trace)`,
    );
    const debug = describeFailure(bug, 'plan', { ...env, [DEBUG_ENV]: '1' });
    expect(debug.report.message).toContain(`internal error: ${bug.stack}`);
    expect(debug.report.message).toMatch(/\n\s+at /);
  });

  it('an errno the user cannot fix by changing a file (ENOENT deep inside) stays a bug', () => {
    expect(describeFailure(errno('ENOENT', '/state/x'), 'apply', env).report.errorId).toBe('InternalError');
  });
});

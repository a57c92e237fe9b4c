import { execa } from 'execa';
import { ToolFailedError, toolMissing } from '../config/errors.js';
import { startRetrying } from './start-retry.js';

/** A Windows program GoProxyGuard runs, and the variable that points it elsewhere (Wine, stand-ins). */
export interface WindowsTool {
  exe: string;
  override: string;
}

export const TOOLS = {
  reg: { exe: 'reg.exe', override: 'GOPROXYGUARD_REG' },
  netsh: { exe: 'netsh.exe', override: 'GOPROXYGUARD_NETSH' },
  schtasks: { exe: 'schtasks.exe', override: 'GOPROXYGUARD_SCHTASKS' },
  eventcreate: { exe: 'eventcreate.exe', override: 'GOPROXYGUARD_EVENTCREATE' },
  whoami: { exe: 'whoami.exe', override: 'GOPROXYGUARD_WHOAMI' },
  powershell: { exe: 'powershell.exe', override: 'GOPROXYGUARD_POWERSHELL' },
} as const satisfies Record<string, WindowsTool>;

export interface ToolRun {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * Runs a Windows program with every value as its own argv element (never through a shell, so
 * quotes, `;`, `%` and `<local>` reach it unchanged). A non-zero exit is returned, not thrown:
 * callers know what each tool's codes mean.
 */
export async function runTool(
  tool: WindowsTool,
  args: string[],
  env: NodeJS.ProcessEnv,
  /**
   * decode: for a program whose output is not UTF-8 (wsl.exe writes UTF-16LE). maxBytes: more
   * output than this ends the program and fails the run (a user's shell can print anything).
   */
  options: { timeoutMs?: number; cwd?: string; decode?: (bytes: Buffer) => string; maxBytes?: number } = {},
): Promise<ToolRun> {
  const exe = env[tool.override] || tool.exe;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const run = await startRetrying(() =>
    execa(exe, args, {
      env,
      ...(options.decode ? { encoding: 'buffer' as const } : {}),
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
      timeout: timeoutMs,
      ...(options.maxBytes ? { maxBuffer: options.maxBytes } : {}),
      windowsHide: true,
      ...(options.cwd ? { cwd: options.cwd } : {}),
    }),
  );
  // Cut-off output is not an answer, even when the program went on to exit 0.
  if (run.failed && run.isMaxBuffer)
    throw new ToolFailedError(`${exe} printed more than ${options.maxBytes} bytes, and was stopped`, exe);
  if (run.failed && run.exitCode === undefined) {
    if ((run as { code?: string }).code === 'ENOENT') {
      throw toolMissing(
        exe,
        `${exe} was not found; it is part of Windows (set ${tool.override} to its path)`,
      );
    }
    if (run.timedOut)
      throw new ToolFailedError(`${exe} did not finish within ${timeoutMs} ms, and was stopped`, exe);
    throw new ToolFailedError(`${exe} could not be run: ${run.shortMessage}`, exe);
  }
  const text = (output: unknown) =>
    options.decode ? options.decode(Buffer.from(output as Uint8Array)) : `${output}`;
  return { stdout: text(run.stdout), stderr: text(run.stderr), exitCode: run.exitCode ?? -1 };
}

/** How a tool failed, for messages: its exit code and the first line it printed, if any. */
export function toolSaid(run: ToolRun): string {
  const firstLine = (run.stderr.trim() || run.stdout.trim()).split(/\r?\n/)[0];
  return firstLine
    ? `exit code ${run.exitCode}: ${firstLine}`
    : `exit code ${run.exitCode}, and it printed nothing`;
}

// wsl.exe itself: where it is (GOPROXYGUARD_WSL points at a stand-in) and how it is run.
import { runTool, type ToolRun, type WindowsTool } from '../system/windows-tool.js';
import { decodeWslOutput } from './output.js';

export const WSL: WindowsTool = { exe: 'wsl.exe', override: 'GOPROXYGUARD_WSL' };

/** Runs wsl.exe: its own messages are UTF-16LE, a Linux program's output UTF-8. */
export const runWsl = (
  args: string[],
  env: NodeJS.ProcessEnv,
  // Starting a distribution's VM takes seconds; go env takes less.
  limits: { timeoutMs: number; maxBytes?: number } = { timeoutMs: 120_000 },
): Promise<ToolRun> => runTool(WSL, args, env, { ...limits, decode: decodeWslOutput });

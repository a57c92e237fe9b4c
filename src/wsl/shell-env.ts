// What go in a distribution's terminal gets from the environment (issue #20): an `export
// GOPROXY=...` in a shell startup file, or a variable Windows passes through WSLENV, wins over
// go's env file, and `wsl --exec` (how GoProxyGuard runs go there) reads no startup file at all.
import { WSL_ENV_VARIABLES, type WslEnvironment, type WslEnvVariable } from '../policy/wsl-go-env.js';
import { parseShellReport, SHELL_REPORT } from './output.js';
import { runWsl } from './wsl-exe.js';

/**
 * How each variable is printed: its value, and for GOENV the env file go reads in that
 * environment (os.UserConfigDir's default when unset), so an export naming the default file
 * itself is no override.
 */
const SHOWN: Record<WslEnvVariable, string> = {
  GOPROXY: '$GOPROXY',
  GOSUMDB: '$GOSUMDB',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a parameter expansion, for /bin/sh to read
  GOENV: '${GOENV:-${XDG_CONFIG_HOME:-$HOME/.config}/go/env}',
};

/**
 * printf of one section: an empty line (ending any line a startup file left open), its marker,
 * then KEY=value for each key, one a line.
 */
const printSection = (marker: string) =>
  `printf '%s\\n' '' ${marker} ${WSL_ENV_VARIABLES.map((k) => `"${k}=${SHOWN[k]}"`).join(' ')}`;

/**
 * Run by the login shell after its startup files: /bin/sh prints what that shell exports, so
 * the command line the login shell parses is one `exec` and one single-quoted word, which bash,
 * zsh, fish, dash and ash all read alike.
 */
const IN_LOGIN_SHELL = `exec /bin/sh -c '${printSection(SHELL_REPORT.shell).replaceAll("'", '"')}'`;

/**
 * Run with `wsl --exec /bin/sh -c`: first what go gets under --exec (variables from Windows
 * through WSLENV), then the user's login shell as a WSL terminal starts it. WSL starts the
 * default user's shell from the passwd database (getent, not $SHELL, which --exec may not set)
 * as a login shell, and a terminal makes it interactive: bash then reads /etc/profile, ~/.profile
 * and, through it, ~/.bashrc (whose exports stop early in a non-interactive shell), zsh its
 * .zshenv, .zprofile and .zshrc. A startup file can wait forever: timeout(1) ends the shell in
 * the distribution (TERM, which an interactive bash ignores, then KILL), where a timeout that
 * takes -k is found; the wsl.exe run has its own limit for the rest.
 */
const REPORT_SCRIPT = [
  printSection(SHELL_REPORT.exec),
  'shell=$(getent passwd "$(id -un)" | cut -d: -f7)',
  '[ -x "$shell" ] || shell=/bin/sh',
  'if timeout -k 2 10 true >/dev/null 2>&1; then exec timeout -k 2 10 "$shell" -lic "$1" </dev/null; fi',
  'exec "$shell" -lic "$1" </dev/null',
  // One line: the argument crosses a Windows command line on its way to the distribution.
].join('; ');

/** A startup file that prints without end (a `yes` left in .bashrc) is cut off here. */
const MAX_REPORT_BYTES = 256 * 1024;

/** The argv given to wsl.exe to read a distribution's go variables as its terminal sees them. */
export const shellReportArgs = (distro: string): string[] => [
  '-d',
  distro,
  '--exec',
  '/bin/sh',
  '-c',
  REPORT_SCRIPT,
  'goproxy-guard',
  IN_LOGIN_SHELL,
];

/**
 * GOPROXY and GOSUMDB in the distribution's environment, under --exec and in a terminal; or why
 * they could not be read (a shell that fails, hangs or floods), which is a note, not a failure.
 */
export async function readShellGoEnv(distro: string, env: NodeJS.ProcessEnv): Promise<WslEnvironment> {
  const run = await runWsl(shellReportArgs(distro), env, {
    timeoutMs: 30_000,
    maxBytes: MAX_REPORT_BYTES,
  }).catch((error: Error) => error);
  if (run instanceof Error) return { unread: run.message };
  const report = parseShellReport(run.stdout);
  if (report) return report;
  // Without a terminal bash says so first; what the startup files said comes after.
  const said = run.stderr
    .split(/\r?\n/)
    .filter((line) => line.trim() && !/job control|terminal process group/.test(line))
    .at(-1);
  return {
    unread: `its login shell ended without printing its report (exit code ${run.exitCode}${said ? `: ${said.trim()}` : ''})`,
  };
}

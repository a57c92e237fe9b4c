import { type GoVariables, WSL_ENV_VARIABLES } from '../policy/wsl-go-env.js';

// What wsl.exe prints, pure. wsl.exe writes UTF-16LE (with or without a byte order mark) unless
// WSL_UTF8=1 is set; its lists are one distribution per line, CRLF, sometimes NUL-padded.

/** wsl.exe's output as text, whichever of its two encodings it used. */
export function decodeWslOutput(bytes: Buffer): string {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe)
    return bytes.subarray(2).toString('utf16le');
  // UTF-16LE of ASCII text has a NUL in every other byte; UTF-8 text never holds a NUL.
  if (bytes.includes(0) && bytes.length % 2 === 0) return bytes.toString('utf16le');
  return bytes.toString('utf8');
}

/** The names of `wsl.exe --list --quiet`: one a line, blanks and NULs dropped, order kept. */
export function parseDistroList(text: string): string[] {
  return text
    .replace(/\0/g, '')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

/**
 * Whether %USERPROFILE%\.wslconfig turns on mirrored networking ([wsl2] networkingMode=mirrored),
 * where a distribution shares 127.0.0.1 with Windows and so reaches the guard proxy. Keys and
 * section names are read as WSL reads them: case-insensitive, `#` and `;` comments, spaces
 * around "=" ignored, the last value winning.
 */
export function mirroredNetworking(wslconfig: string): boolean {
  let section = '';
  let mode = '';
  for (const raw of wslconfig.replace(/^\ufeff/, '').split(/\r?\n/)) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const header = /^\[(.+)\]$/.exec(line);
    if (header) section = (header[1] as string).trim().toLowerCase();
    else if (section === 'wsl2') {
      const pair = /^networkingmode\s*=\s*"?([^"]*)"?$/i.exec(line);
      if (pair) mode = (pair[1] as string).trim().toLowerCase();
    }
  }
  return mode === 'mirrored';
}

/** The section markers the login-shell report prints (src/wsl/shell-env.ts), one a line. */
export const SHELL_REPORT = { exec: 'GOPROXYGUARD-EXEC-ENV', shell: 'GOPROXYGUARD-SHELL-ENV' } as const;

/**
 * The two environments the report printed: go's under `wsl --exec` (first section) and go's in
 * a terminal (the last section, printed after the startup files, which may print anything
 * themselves); undefined when the shell section never came (the shell failed before it).
 * An empty value counts as unset: go ignores an empty GOPROXY or GOSUMDB in the environment.
 */
export function parseShellReport(text: string): { exec: GoVariables; shell: GoVariables } | undefined {
  const lines = text.split(/\r?\n/);
  const section = (at: number): GoVariables => {
    if (at < 0) return {};
    const values: GoVariables = {};
    for (const line of lines.slice(at + 1, at + 1 + WSL_ENV_VARIABLES.length)) {
      const key = WSL_ENV_VARIABLES.find((k) => line.startsWith(`${k}=`));
      const value = key && line.slice(key.length + 1);
      if (key && value) values[key] = value;
    }
    return values;
  };
  const shellAt = lines.lastIndexOf(SHELL_REPORT.shell);
  if (shellAt < 0) return undefined;
  return { exec: section(lines.indexOf(SHELL_REPORT.exec)), shell: section(shellAt) };
}

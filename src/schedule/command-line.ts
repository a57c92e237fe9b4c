/**
 * Windows command lines: one string that CommandLineToArgvW (and the C runtime node.exe uses)
 * splits back into exactly the same arguments. Spaces, quotes, trailing backslashes and
 * non-ASCII characters survive.
 */
export function quoteWindowsArgument(argument: string): string {
  if (argument !== '' && !/[\s"]/.test(argument)) return argument;
  let out = '"';
  let backslashes = 0;
  for (const char of argument) {
    if (char === '\\') {
      backslashes++;
      continue;
    }
    if (char === '"') out += '\\'.repeat(2 * backslashes + 1);
    else out += '\\'.repeat(backslashes);
    backslashes = 0;
    out += char;
  }
  return `${out}${'\\'.repeat(2 * backslashes)}"`;
}

export function windowsCommandLine(args: string[]): string {
  return args.map(quoteWindowsArgument).join(' ');
}

/** The inverse, by the rules of CommandLineToArgvW for arguments after the program name. */
export function parseWindowsCommandLine(line: string): string[] {
  const args: string[] = [];
  let current = '';
  let inQuotes = false;
  let started = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i] as string;
    if (char === '\\') {
      let count = 0;
      while (line[i] === '\\') {
        count++;
        i++;
      }
      if (line[i] === '"') {
        current += '\\'.repeat(Math.floor(count / 2));
        if (count % 2 === 1) current += '"';
        else inQuotes = !inQuotes;
      } else {
        current += '\\'.repeat(count);
        i--;
      }
      started = true;
    } else if (char === '"') {
      if (inQuotes && line[i + 1] === '"') {
        current += '"';
        i++;
      } else inQuotes = !inQuotes;
      started = true;
    } else if (/\s/.test(char) && !inQuotes) {
      if (started) args.push(current);
      current = '';
      started = false;
    } else {
      current += char;
      started = true;
    }
  }
  if (started) args.push(current);
  return args;
}

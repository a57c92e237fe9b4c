import { chmod, writeFile } from 'node:fs/promises';

/**
 * A reg.exe without Wine that knows only `export`: it writes the asked key as Windows does
 * (UTF-16LE with a BOM), with the .reg lines of `values` under keys that start with their prefix
 * ("HKLM" or "HKCU"), else no values. `log` records each call's argv, one JSON line a call.
 */
export async function regExportStandIn(
  file: string,
  options: { values?: Record<string, string>; log?: string } = {},
): Promise<string> {
  await writeFile(
    file,
    `#!${process.execPath}
const fs = require('node:fs');
const [op, key, out] = process.argv.slice(2);
${options.log ? `fs.appendFileSync(${JSON.stringify(options.log)}, JSON.stringify(process.argv.slice(2)) + '\\n');` : ''}
if (op !== 'export') process.exit(1);
const full = key.replace(/^HKCU/, 'HKEY_CURRENT_USER').replace(/^HKLM/, 'HKEY_LOCAL_MACHINE');
const values = Object.entries(${JSON.stringify(options.values ?? {})}).find(([prefix]) => key.startsWith(prefix))?.[1] ?? '';
fs.writeFileSync(out, Buffer.from('\\ufeffWindows Registry Editor Version 5.00\\r\\n\\r\\n[' + full + ']\\r\\n' + values, 'utf16le'));
`,
  );
  await chmod(file, 0o755);
  return file;
}

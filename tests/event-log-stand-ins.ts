import { appendFile, chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { regExportStandIn } from './reg-export-stand-in.js';

/**
 * A Windows for the scheduled run's Event Log entries, without Wine: an eventcreate stand-in that
 * appends its argv (one JSON line a call), and a reg.exe whose export shows the asked key with no
 * values (no user environment overrides). Merge `env` into the run's environment.
 */
export async function eventLogStandIns(dir: string) {
  const record = join(dir, 'eventcreate.jsonl');
  const eventcreate = join(dir, 'eventcreate');
  await writeFile(
    eventcreate,
    `#!${process.execPath}\nrequire('node:fs').appendFileSync(${JSON.stringify(record)}, JSON.stringify(process.argv.slice(2)) + '\\n');\n`,
  );
  const reg = await regExportStandIn(join(dir, 'reg'));
  await chmod(eventcreate, 0o755);
  await appendFile(record, '');
  return {
    env: { GOPROXYGUARD_PLATFORM: 'win32', GOPROXYGUARD_EVENTCREATE: eventcreate, GOPROXYGUARD_REG: reg },
    /** The argv of every eventcreate call so far, in order. */
    calls: async () =>
      (await readFile(record, 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as string[]),
  };
}

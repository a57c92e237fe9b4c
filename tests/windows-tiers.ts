import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type RunningLab, startLab } from '../src/lab/scenarios.js';

// What the two Windows tiers share: the Linux-side one (windows-world.ts, reg.exe of Wine called
// from outside) and the win32 one (win32-world.ts, the runtime as node.exe under Wine). Same lab,
// same stand-in logs, so the two can be compared test by test.

/** A healthy mirror behind a hanging primary proxy and a working backup (the failover scenario). */
export async function startFailoverLab(deadlineMs: number) {
  const lab: RunningLab = await startLab(
    {
      summary: 'a healthy mirror behind a hanging primary proxy and a working backup',
      mirrors: [{ name: 'healthy', mode: { kind: 'ok' } }],
      proxies: [
        { name: 'primary', mode: 'hanging' },
        { name: 'backup', mode: 'ok' },
      ],
    },
    deadlineMs,
  );
  return { lab, primary: lab.proxies[0]?.url as string, backup: lab.proxies[1]?.url as string };
}

/** The argv each stand-in call received, one JSON array per line of its log. */
export async function recordedCalls(log: string): Promise<string[][]> {
  const text = await readFile(log, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as string[]);
}

/** The native helper's request files kept by the powershell stand-in (request-*.json in `dir`), parsed. */
export async function helperRequestsIn(dir: string): Promise<unknown[]> {
  const files = (await readdir(dir)).filter((f) => f.startsWith('request-')).sort();
  return Promise.all(
    files.map(async (f) => JSON.parse((await readFile(join(dir, f), 'utf8')).replace(/^\ufeff/, ''))),
  );
}

/** What apply asks the native helper once it switched WinINet to the backup (bypass from the tests' config). */
export function backupRequest(backupHost: string) {
  return {
    broadcastEnvironment: true,
    wininet: { enable: true, server: backupHost, bypass: '<local>;localhost;*.corp.example' },
  };
}

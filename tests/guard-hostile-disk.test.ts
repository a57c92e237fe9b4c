import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, expect, it } from 'vitest';
import { LAB_CANARY } from '../src/lab/modules.js';
import { type RunningLab, startLab } from '../src/lab/scenarios.js';
import { RUNTIME, tempDir } from './helpers.js';

// The guard's cache folder on a disk that fills up (a 256 KB tmpfs in a mount namespace of its
// own, `unshare -rm`): a download that cannot be written is the guard's trouble, not the
// mirror's, so no mirror may be blamed and left out for it. Bounded by kill timeouts.

const KILL_MS = 40_000;
let lab: RunningLab | undefined;
afterAll(async () => lab?.stop());

it('does not blame the mirrors when its own disk is full', { timeout: 90_000 }, async () => {
  lab = await startLab(
    {
      summary: 'two healthy mirrors',
      addressUrls: true,
      mirrors: [
        { name: 'a', mode: { kind: 'ok' } },
        { name: 'b', mode: { kind: 'ok' } },
      ],
    },
    10_000,
  );
  const dir = await tempDir();
  const configPath = join(dir, 'guard.json');
  await writeFile(configPath, JSON.stringify({ ...lab.config, guard: { firstByteMs: 5000, stallMs: 3000 } }));
  const disk = await mkdtemp(join(dir, 'disk-'));
  const home = join(disk, 'home');
  // The disk fills once the guard has started (its state folder needs a few bytes first).
  const script = [
    `mount -t tmpfs -o size=256k tmpfs '${disk}'`,
    `mkdir '${home}'`,
    `(sleep 2; dd if=/dev/zero of='${disk}/fill' bs=1k count=1000 2>/dev/null; echo full >&2) &`,
    `GOPROXYGUARD_HOME='${home}' exec '${process.execPath}' '${RUNTIME}' serve --config '${configPath}' --listen 127.0.0.1:0 --json`,
  ].join('\n');
  const guard = execa('unshare', ['-rm', 'sh', '-c', script], {
    reject: false,
    timeout: 80_000,
    env: { PATH: process.env.PATH ?? '', HOME: dir, GOTOOLCHAIN: 'local', GOFLAGS: '' },
    extendEnv: false,
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      guard.stdout?.once('data', (chunk: Buffer) =>
        resolve(JSON.parse(chunk.toString().split('\n')[0] as string).url),
      );
      guard.then((result) => reject(new Error(`serve ended: ${result.stderr}`)));
    });
    await new Promise<void>((resolve) => {
      guard.stderr?.on('data', (chunk: Buffer) => chunk.toString().includes('full') && resolve());
    });
    // A .zip is hashed from its file before it is served: without room for it, no answer.
    const zip = await fetch(`${url}/${LAB_CANARY.module}/@v/v1.1.0.zip`, {
      signal: AbortSignal.timeout(KILL_MS),
    });
    expect(zip.status).toBe(502);
    expect(await zip.text()).toMatch(/cannot write its cache folder.*ENOSPC/);
    // A small answer needs no file to be served: go gets it from memory, though it cannot be kept;
    // a go.mod is hashed in memory too.
    for (const file of ['v1.0.0.mod', 'v1.0.0.info', 'list']) {
      const answer = await fetch(`${url}/${LAB_CANARY.module}/@v/${file}`, {
        signal: AbortSignal.timeout(KILL_MS),
      });
      expect(answer.status, file).toBe(200);
    }
    const status = (await (
      await fetch(`${url}/_guard/status`, { signal: AbortSignal.timeout(KILL_MS) })
    ).json()) as {
      mirrors: { name: string; breaker: string; counts: { error: number } }[];
    };
    for (const mirror of status.mirrors) {
      expect(mirror.breaker, mirror.name).toBe('closed');
      expect(mirror.counts.error, mirror.name).toBe(0);
    }
  } finally {
    guard.kill('SIGKILL');
    await guard;
  }
});

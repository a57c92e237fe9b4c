import { chmod, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { readGoSettings } from '../src/system/go-env.js';
import { startRetrying } from '../src/system/start-retry.js';
import { runTool } from '../src/system/windows-tool.js';
import { tempDir } from './helpers.js';

// A program that cannot be started for a moment: on Linux, a file still held open for writing
// (execve says ETXTBSY), as on Windows an antivirus holds a freshly written go.exe, or Wine's
// process server says "spawn UNKNOWN" under load. Nothing ran, so it is tried again.

/** A script that prints `said`, held open for writing until released (by release(), or after `ms`). */
async function busy(said: string, ms = 60_000) {
  const dir = await tempDir();
  const path = join(dir, 'busy');
  await writeFile(path, `#!/bin/sh\necho '${said}'\n`);
  await chmod(path, 0o755);
  const handle = await open(path, 'r+');
  let closed: Promise<void> | undefined;
  const release = () => {
    closed ??= handle.close();
    return closed;
  };
  const timer = setTimeout(() => void release(), ms);
  return {
    path,
    release: () => {
      clearTimeout(timer);
      return release();
    },
  };
}

describe('starting a program that is busy for a moment', () => {
  it('fails at first (the premise), and succeeds when tried again once it is free', async () => {
    const file = await busy('hello');
    const first = await execa(file.path, [], { reject: false });
    expect((first as { code?: string }).code).toBe('ETXTBSY');
    let tries = 0;
    const run = await startRetrying(async () => {
      tries++;
      if (tries === 2) await file.release();
      return execa(file.path, [], { reject: false });
    });
    expect(run).toMatchObject({ exitCode: 0, stdout: 'hello' });
    expect(tries).toBe(2);
  });

  it('gives up after its waits, with the error of the last try', async () => {
    const file = await busy('never');
    let tries = 0;
    await expect(
      startRetrying(() => {
        tries++;
        return execa(file.path, []);
      }),
    ).rejects.toMatchObject({ code: 'ETXTBSY' });
    expect(tries).toBe(3);
    await file.release();
  });

  it('never starts a program again that did start (a failure, or a missing one)', async () => {
    let tries = 0;
    const failing = await startRetrying(() => {
      tries++;
      return execa('sh', ['-c', 'exit 3'], { reject: false });
    });
    expect([failing.exitCode, tries]).toEqual([3, 1]);
    await expect(
      startRetrying(() => {
        tries++;
        return execa('/no/such/program', []);
      }),
    ).rejects.toMatchObject({ code: 'ENOENT' });
    expect(tries).toBe(2);
  });

  it('is how go and the Windows tools are started', async () => {
    // Busy for less than the waits: a first try while busy fails, a later one starts.
    const go = await busy('{"GOENV":"off"}', 300);
    // go answered: its answer is then judged, here a go without an env file.
    await expect(readGoSettings({ GOPROXYGUARD_GO: go.path, PATH: process.env.PATH })).rejects.toThrow(
      /go has no env file \(GOENV=off\)/,
    );
    const tool = await busy('Ok.', 300);
    const run = await runTool({ exe: 'tool.exe', override: 'TOOL' }, [], { TOOL: tool.path });
    expect(run).toMatchObject({ exitCode: 0, stdout: 'Ok.' });
    await Promise.all([go.release(), tool.release()]);
  });
});

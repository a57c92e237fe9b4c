import { execFile } from 'node:child_process';
import { truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { loadConfig, MAX_CONFIG_BYTES, MAX_PEM_BYTES, validate } from '../src/config/load.js';
import { RUNTIME, tempDir } from './helpers.js';

// Issue #15 defect 7: a config or PEM file is read only when it is a regular file within its
// limit, judged on the open handle; /dev/zero, a FIFO or a 300 MB file is refused by name.

const dir = await tempDir();

/** A file of `size` bytes that takes no disk (sparse): the limit is judged before any read. */
async function sparse(name: string, size: number): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, '');
  await truncate(path, size);
  return path;
}

describe('whole-file reads have a limit', () => {
  it('a config of /dev/zero is refused as a device, by name', async () => {
    await expect(loadConfig('/dev/zero', {})).rejects.toThrow(
      'cannot read config file /dev/zero: it is a device, not a regular file',
    );
  });

  it('a config that is a FIFO is refused, not waited on', async () => {
    const fifo = join(dir, 'config.fifo');
    await promisify(execFile)('mkfifo', [fifo]);
    await expect(loadConfig(fifo, {})).rejects.toThrow(
      `cannot read config file ${fifo}: it is a pipe (FIFO), not a regular file`,
    );
  });

  it('a 300 MB config is refused by its size; one of exactly 1 MiB is read', async () => {
    const huge = await sparse('huge.json', 300 * 1024 * 1024);
    await expect(loadConfig(huge, {})).rejects.toThrow(
      `cannot read config file ${huge}: it is 300 MiB, over the 1 MiB a config file may be`,
    );
    const limit = join(dir, 'limit.json');
    await writeFile(limit, `{"deadlineMs": 3000}${' '.repeat(MAX_CONFIG_BYTES - 20)}`);
    expect((await loadConfig(limit, {})).config.deadlineMs).toBe(3000);
    await writeFile(limit, ' ', { flag: 'a' });
    await expect(loadConfig(limit, {})).rejects.toThrow('over the 1 MiB a config file may be');
  });

  it('tls.extraCaFiles: /dev/zero and a PEM file over 4 MiB are refused naming the field', async () => {
    await expect(validate({ tls: { extraCaFiles: ['/dev/zero'] } })).rejects.toThrow(
      'config field "tls.extraCaFiles[0]": cannot read /dev/zero: it is a device, not a regular file',
    );
    const big = await sparse('big.pem', MAX_PEM_BYTES + 1);
    await expect(validate({ tls: { extraCaFiles: [big] } })).rejects.toThrow(
      `config field "tls.extraCaFiles[0]": cannot read ${big}: it is 4.1 MiB, over the 4 MiB a PEM file may be`,
    );
  });

  it('a folder named as the config is refused as a folder', async () => {
    await expect(loadConfig(dir, {})).rejects.toThrow(`cannot read config file ${dir}: it is a folder`);
  });

  it('the runtime: a config of /dev/zero exits 2 with one line, having read nothing', async () => {
    const run = await execa(process.execPath, [RUNTIME, 'health', '--config', '/dev/zero', '--json'], {
      reject: false,
      timeout: 60_000,
    });
    expect(run.exitCode).toBe(2);
    expect(run.stderr.trim()).toBe(
      'goproxy-guard health: cannot read config file /dev/zero: it is a device, not a regular file',
    );
    expect(JSON.parse(run.stdout).error).toMatchObject({
      errorId: 'ConfigInvalid',
      category: 'InvalidArgument',
    });
  });
});

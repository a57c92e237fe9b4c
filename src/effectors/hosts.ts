// The hosts file's GoProxyGuard block as settings "hosts:<name>" (issue #20). The block itself
// is edited by src/hosts/block.ts (pure); this file reads and replaces the file.
import { chmod, lstat, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EnvironmentError, InputError, refusalOf } from '../config/errors.js';
import {
  entryProblem,
  type HostsEntry,
  HostsFileRefused,
  readHostsBlock,
  writeHostsBlock,
} from '../hosts/block.js';
import { addressesOf, hostsValue } from '../policy/pin-hosts.js';
import type { Effector, EffectorContext, SettingValue } from '../settings/effector.js';
import { writeFileAtomic } from '../state/atomic.js';
import { snapshotFile } from '../state/paths.js';
import { windowsEffects } from '../system/platform.js';
import { runTool, toolSaid, type WindowsTool } from '../system/windows-tool.js';
import { isElevated } from '../system/winhttp.js';

/** Flushes the DNS client cache, so a pinned (or unpinned) name takes effect at once. */
export const IPCONFIG: WindowsTool = { exe: 'ipconfig.exe', override: 'GOPROXYGUARD_IPCONFIG' };

/**
 * Ad-blocking hosts files run to several MiB (200,000 lines are about 8 MB); one beyond this is
 * refused, not read.
 */
const MAX_HOSTS_BYTES = 32 * 1024 * 1024;
/** A file held open by another program (an antivirus scan) is tried again for about two seconds. */
const LOCK_RETRIES = [100, 200, 400, 600, 800];
const LOCKED = new Set(['EBUSY', 'EPERM', 'EACCES']);

/** The hosts file: Windows' own under %SystemRoot%, elsewhere dns.hostsFile or /etc/hosts. */
export function hostsFilePath(context: EffectorContext): string {
  const { env, config } = context;
  if (windowsEffects(env)) {
    const root = env.SystemRoot ?? env.SYSTEMROOT ?? 'C:\\Windows';
    return join(root, 'System32', 'drivers', 'etc', 'hosts');
  }
  return config.dns.hostsFile ?? '/etc/hosts';
}

const newlineFor = (context: EffectorContext) => (windowsEffects(context.env) ? '\r\n' : '\n');

/** Whether this run may change the hosts file: on Windows only an elevated one. */
export async function hostsWritable(context: EffectorContext): Promise<boolean> {
  return windowsEffects(context.env) ? isElevated(context.env) : true;
}

async function readBytes(path: string): Promise<Buffer> {
  try {
    const stats = await lstat(path);
    if (stats.isSymbolicLink())
      throw new InputError(
        `the hosts file ${path} is a symbolic link, which GoProxyGuard does not replace; point dns.hostsFile at the file it links to`,
        path,
        'HostsFileRefused',
        'SecurityError',
      );
    if (stats.size > MAX_HOSTS_BYTES)
      throw new InputError(
        `the hosts file ${path} is larger than ${MAX_HOSTS_BYTES / 1024 / 1024} MiB; trim it`,
        path,
        'HostsFileRefused',
        'InvalidData',
      );
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw error;
  }
}

/** Runs a step of the hosts file, naming the file in any refusal (bad markers, a locked file). */
async function onHostsFile<T>(path: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof HostsFileRefused)
      throw new InputError(
        `the hosts file ${path} cannot be edited safely: ${error.message}`,
        path,
        'HostsFileRefused',
        'InvalidData',
      );
    const refusal = refusalOf(error);
    if (refusal)
      throw new EnvironmentError(
        `the hosts file ${path} cannot be written: ${refusal.says} (another program may hold it: an antivirus scan; try again)`,
        'HostsFileLocked',
        refusal.category,
        path,
      );
    throw error;
  }
}

/** The block's entries now, name -> addresses (the facts of pinning). */
export async function readPinned(context: EffectorContext): Promise<Record<string, string[]>> {
  const path = hostsFilePath(context);
  return onHostsFile(path, async () => {
    const block = readHostsBlock(await readBytes(path), newlineFor(context));
    return Object.fromEntries(block.entries.map((e) => [e.name, e.addresses]));
  });
}

/**
 * Replaces the file whole (state/atomic.ts: written beside it, flushed, renamed over it), so a
 * reader or a crash sees the old file or the new one, never half of one. The new file then gets
 * the old one's permissions back: every user's resolver must be able to read a hosts file.
 */
async function replaceFile(path: string, bytes: Buffer): Promise<void> {
  const mode = (await lstat(path).catch(() => undefined))?.mode ?? 0o644;
  await writeFileAtomic(path, bytes);
  await chmod(path, mode & 0o7777);
}

async function retryWhileLocked(work: () => Promise<void>): Promise<void> {
  for (const wait of [...LOCK_RETRIES, undefined]) {
    try {
      return await work();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (wait === undefined || !LOCKED.has(code)) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

export const hostsEffector: Effector = {
  kind: 'hosts',
  knows: (name) => entryProblem({ name, addresses: ['127.0.0.1'] }) === undefined,

  async read(names, context) {
    const pinned = await readPinned(context);
    return Object.fromEntries(names.map((name) => [name, hostsValue(pinned[name.toLowerCase()] ?? [])]));
  },

  async write(values: Record<string, SettingValue>, context) {
    const path = hostsFilePath(context);
    await onHostsFile(path, () =>
      retryWhileLocked(async () => {
        const bytes = await readBytes(path);
        const entries = new Map(readHostsBlock(bytes).entries.map((e) => [e.name, e.addresses]));
        for (const [name, value] of Object.entries(values)) {
          const addresses = addressesOf(value);
          if (addresses.length === 0) entries.delete(name.toLowerCase());
          else entries.set(name.toLowerCase(), addresses);
        }
        const wanted: HostsEntry[] = [...entries].map(([name, addresses]) => ({ name, addresses }));
        const next = writeHostsBlock(bytes, wanted, newlineFor(context));
        if (!next.equals(bytes)) await replaceFile(path, next);
      }),
    );
  },

  async notify(changes, context) {
    if (changes.length === 0 || !windowsEffects(context.env)) return [];
    try {
      const run = await runTool(IPCONFIG, ['/flushdns'], context.env);
      return run.exitCode === 0
        ? ['the DNS client cache was flushed (ipconfig /flushdns): the hosts file takes effect now']
        : [`ipconfig /flushdns failed (${toolSaid(run)}): the change takes effect as cached answers expire`];
    } catch (error) {
      return [
        `ipconfig /flushdns could not run (${(error as Error).message}): the change takes effect as cached answers expire`,
      ];
    }
  },

  async snapshot(stateFolder, context) {
    const path = hostsFilePath(context);
    const bytes = await onHostsFile(path, () => readBytes(path));
    // The bytes before the FIRST change: a snapshot already there is the older one, kept.
    await writeFile(snapshotFile(stateFolder, 'hosts'), bytes, { flag: 'wx', mode: 0o600 }).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      },
    );
  },
};

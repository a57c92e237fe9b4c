import { randomBytes } from 'node:crypto';
import { rename, unlink } from 'node:fs/promises';
import { createExclusive, naming } from './safe-file.js';

/**
 * Writes a file so that a reader (or a crash) sees either the old content or the new one:
 * write a temp file beside it (created exclusively, never through a link), flush it to disk,
 * then rename it over the target. rename replaces a link at the target itself, never the file
 * it points to. On any failure (ENOSPC, EROFS) the temp file is removed: nothing is left behind.
 */
export async function writeFileAtomic(path: string, content: string | Buffer): Promise<void> {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await naming(path, async () => {
    const handle = await createExclusive(temp);
    try {
      try {
        await handle.writeFile(content);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, path);
    } catch (error) {
      await unlink(temp).catch(() => {});
      throw error;
    }
  });
}

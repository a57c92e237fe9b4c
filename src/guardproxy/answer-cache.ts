import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, lstat, lutimes, mkdir, open, readdir, rename, rm, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { AnswerCache, CachedAnswer } from './contracts.js';

/** Where the platform has it (not Windows), opening a cached file never follows a symlink. */
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
/** Downloads in progress; whatever a killed guard left under this prefix is removed at start. */
const TEMP_PREFIX = '.tmp-';
/**
 * A stored answer's file name: the SHA-256 of its key (so no key, however hostile, can name a
 * path of its own) and its content type in lower-case hex (so a restarted guard knows it without
 * an index file; hex, because Windows does not tell "A" from "a" in a name). The file's mtime is
 * when it was stored, its atime when it was last used. Names stay under 170 characters.
 */
const ANSWER_NAME = /^([0-9a-f]{64})\.((?:[0-9a-f]{2}){1,48})$/;
const PLAIN_CONTENT_TYPE = /^[\x20-\x7e]{1,48}$/;

interface Entry extends CachedAnswer {
  usedAt: number;
  /** SHA-256 of the body, for answers stored from memory (storeBody): the same bytes are not rewritten. */
  digest?: string;
}

export interface AnswerCacheOptions {
  /** The cache folder (the guard passes one under its state folder); made if missing. */
  dir: string;
  /** Bytes kept at most: least recently used answers are removed to stay under it. */
  capBytes: number;
}

/**
 * Immutable answers on disk, least recently used removed over the cap. The index lives in memory
 * and is rebuilt from the folder at start (file names and times carry everything), so a restarted
 * guard keeps its cache. Downloads land in temp files in the same folder and are renamed into
 * place, which is atomic: a reader never sees half an answer.
 */
export async function createAnswerCache(options: AnswerCacheOptions): Promise<AnswerCache> {
  const dir = resolve(options.dir);
  const { capBytes } = options;
  if (!Number.isSafeInteger(capBytes) || capBytes <= 0)
    throw new Error(`answer cache: capBytes must be a positive whole number of bytes (got ${capBytes})`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const info = await lstat(dir);
  if (!info.isDirectory())
    throw new Error(`answer cache: ${dir} is not a folder (a symlink or a file is refused); remove it`);

  const tempStem = `${randomBytes(9).toString('hex')}-`;
  let tempCount = 0;
  // Map order is recency order: the first entry is the least recently used.
  const index = new Map<string, Entry>();
  let bytes = 0;
  let lastUse = 0;
  /** A use time later than every other, so the order survives a restart even within one ms. */
  const useTime = () => {
    lastUse = Math.max(Date.now(), lastUse + 1);
    return lastUse;
  };

  for (const entry of await scan(dir)) {
    index.set(entry.hash, entry);
    bytes += entry.size;
    lastUse = Math.max(lastUse, entry.usedAt);
  }

  async function remove(hash: string) {
    const entry = index.get(hash);
    if (!entry) return;
    index.delete(hash);
    bytes -= entry.size;
    await unlink(entry.file).catch(() => {}); // already gone is as good
  }

  /** Removes least recently used answers until the total fits; `keep` is the answer being stored. */
  async function evict(keep?: string) {
    // A Map's iterator survives deletions, and stops here as soon as the total fits.
    for (const hash of index.keys()) {
      if (bytes <= capBytes) return;
      if (hash !== keep) await remove(hash);
    }
  }
  await evict();

  // Stores run one at a time: each renames, updates the index and evicts without interleaving.
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work);
    queue = run.catch(() => {});
    return run;
  };

  const answerOf = ({ file, size, contentType, storedAt }: Entry): CachedAnswer => ({
    file,
    size,
    contentType,
    storedAt,
  });

  /** A temp file of this cache (tempFile()), or an error naming the path. */
  const ownTemp = (tempFile: string) => {
    const temp = resolve(tempFile);
    if (dirname(temp) !== dir || !basename(temp).startsWith(TEMP_PREFIX))
      throw new Error(`answer cache: ${tempFile} is not a temp file of ${dir} (use tempFile())`);
    return temp;
  };

  const markUsed = (hash: string, entry: Entry) => {
    entry.usedAt = useTime();
    index.delete(hash);
    index.set(hash, entry);
  };

  /** Renames a complete temp file to its answer's name and indexes it (inside `serially`). */
  async function place(key: string, temp: string, stored: Omit<Entry, 'file'>): Promise<CachedAnswer> {
    const hash = keyHash(key);
    const file = join(dir, `${hash}.${Buffer.from(stored.contentType).toString('hex')}`);
    const entry: Entry = { file, ...stored };
    await rename(temp, file);
    const previous = index.get(hash);
    if (previous) {
      index.delete(hash);
      bytes -= previous.size;
      // The same key stored before under another content type: that file is not replaced by the rename.
      if (previous.file !== file) await unlink(previous.file).catch(() => {});
    }
    index.set(hash, entry);
    bytes += entry.size;
    // An answer larger than the whole cap is kept until the next store, so it can be sent now.
    await evict(hash);
    return answerOf(entry);
  }

  return {
    // Unique without asking the system for randomness on every request: a random part per
    // cache, then a counter (created O_EXCL, so a name taken by anything else fails, not follows).
    tempFile: () => join(dir, `${TEMP_PREFIX}${tempStem}${(tempCount++).toString(36)}`),

    store(key, tempFile, contentType, now) {
      return serially(async () => {
        const temp = ownTemp(tempFile);
        const stats = await lstat(temp);
        if (!stats.isFile()) throw new Error(`answer cache: ${tempFile} is not a regular file`);
        const usedAt = useTime();
        await lutimes(temp, usedAt / 1000, now / 1000); // times first: the final name is always complete
        return place(key, temp, {
          size: stats.size,
          contentType: plainType(contentType),
          storedAt: now,
          usedAt,
        });
      });
    },

    storeBody(key, tempFile, body, contentType, now) {
      return serially(async () => {
        const temp = ownTemp(tempFile);
        const type = plainType(contentType);
        const digest = createHash('sha256').update(body).digest('base64');
        const previous = index.get(keyHash(key));
        if (previous?.digest === digest && previous.contentType === type) {
          // The same bytes again (a list asked once more): only the time it was confirmed moves, in
          // the index; no file is written. After a restart the file's older time only makes it
          // look less fresh, so it is asked for again.
          previous.storedAt = now;
          markUsed(keyHash(key), previous);
          return answerOf(previous);
        }
        const usedAt = useTime();
        const handle = await createTempFile(temp);
        try {
          await handle.writeFile(body);
          await handle.utimes(usedAt / 1000, now / 1000); // times first: the final name is always complete
        } finally {
          await handle.close();
        }
        return place(key, temp, { size: body.length, contentType: type, storedAt: now, usedAt, digest });
      });
    },

    async lookup(key) {
      const hash = keyHash(key);
      const entry = index.get(hash);
      if (!entry) return undefined;
      const present = await lstat(entry.file).then(
        (s) => s.isFile(),
        () => false,
      );
      if (!present || index.get(hash) !== entry) {
        // Removed behind our back (or replaced meanwhile): a miss, and forgotten.
        if (index.get(hash) === entry) {
          index.delete(hash);
          bytes -= entry.size;
        }
        return undefined;
      }
      markUsed(hash, entry);
      await lutimes(entry.file, entry.usedAt / 1000, entry.storedAt / 1000).catch(() => {});
      return answerOf(entry);
    },

    peek(key) {
      const entry = index.get(keyHash(key));
      return entry && { storedAt: entry.storedAt };
    },

    usage: () => ({ bytes, entries: index.size, capBytes }),
  };
}

/** A mirror's content type is kept only when it is plain, short text. */
function plainType(contentType: string): string {
  return PLAIN_CONTENT_TYPE.test(contentType) ? contentType : 'application/octet-stream';
}

/** The file-name part of a key: a hash, so "../../x" or a key with NUL names nothing of its own. */
function keyHash(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * What the folder holds at start, least recently used first: leftover temp files of a killed guard
 * and anything at an answer's name that is not a regular file are removed; other names are left alone.
 */
async function scan(dir: string): Promise<(Entry & { hash: string })[]> {
  const found = new Map<string, Entry & { hash: string }>();
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    if (name.startsWith(TEMP_PREFIX)) {
      await rm(path, { force: true, recursive: true });
      continue;
    }
    const match = ANSWER_NAME.exec(name);
    if (!match) continue;
    const stats = await lstat(path).catch(() => undefined);
    if (!stats) continue;
    if (!stats.isFile()) {
      await rm(path, { force: true, recursive: true });
      continue;
    }
    const hash = match[1] as string;
    const type = Buffer.from(match[2] as string, 'hex').toString('latin1');
    const entry = {
      hash,
      file: path,
      size: stats.size,
      contentType: plainType(type),
      storedAt: Math.round(stats.mtimeMs),
      usedAt: Math.round(stats.atimeMs),
    };
    const other = found.get(hash);
    // Two files for one key (a guard killed between a rename and an unlink): the newer one wins.
    if (other && other.storedAt >= entry.storedAt) {
      await unlink(path).catch(() => {});
      continue;
    }
    if (other) await unlink(other.file).catch(() => {});
    found.set(hash, entry);
  }
  return [...found.values()].sort((a, b) => a.usedAt - b.usedAt);
}

/** Opens a cached answer to send it, never through a symlink where the platform allows. */
export function openAnswer(file: string): Promise<FileHandle> {
  return open(file, constants.O_RDONLY | NOFOLLOW);
}

/**
 * Creates a temp file from tempFile() to download into: it must not exist yet (O_EXCL, which also
 * refuses a symlink planted at that name) and is readable by this user only.
 */
export function createTempFile(path: string): Promise<FileHandle> {
  return open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW, 0o600);
}

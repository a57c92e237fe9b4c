import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw } from 'node:zlib';

/**
 * go.sum's "h1:" hash (golang.org/x/mod/sumdb/dirhash Hash1): SHA-256 over the lines
 * "<sha256 hex of file>  <name>\n", sorted by name in byte order, base64 encoded.
 */
export function h1FromFileHashes(files: { name: string; sha256Hex: string }[]): string {
  const sorted = [...files].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  const summary = createHash('sha256');
  for (const file of sorted) {
    if (file.name.includes('\n')) throw new Error(`file name with a newline: ${JSON.stringify(file.name)}`);
    summary.update(`${file.sha256Hex}  ${file.name}\n`);
  }
  return `h1:${summary.digest('base64')}`;
}

/** The h1 of a go.mod file alone, as go.sum's "<module> <version>/go.mod h1:..." line holds it. */
export function hashGoMod(content: string | Buffer): string {
  return h1FromFileHashes([
    { name: 'go.mod', sha256Hex: createHash('sha256').update(content).digest('hex') },
  ]);
}

interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

/** go's limit on a module's total uncompressed content (golang.org/x/mod/zip MaxZipFile). */
export const MAX_UNZIPPED_BYTES = 500 << 20;

/** Reads the central directory: the entries and where their data lies, without reading the data. */
async function readCentralDirectory(path: string): Promise<ZipEntry[]> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const tailLength = Math.min(size, 22 + 0xffff);
    const tail = Buffer.alloc(tailLength);
    await handle.read(tail, 0, tailLength, size - tailLength);
    const eocd = tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    if (eocd < 0) throw new Error(`${path} is not a zip file (no end of central directory)`);
    const count = tail.readUInt16LE(eocd + 10);
    const dirSize = tail.readUInt32LE(eocd + 12);
    const dirOffset = tail.readUInt32LE(eocd + 16);
    if (dirOffset === 0xffffffff || count === 0xffff)
      throw new Error(`${path} is a zip64 archive, which module zips never are`);
    if (dirOffset + dirSize > size)
      throw new Error(`${path}: the central directory lies beyond the end of the file`);
    const dir = Buffer.alloc(dirSize);
    await handle.read(dir, 0, dirSize, dirOffset);
    const entries: ZipEntry[] = [];
    let at = 0;
    for (let i = 0; i < count; i++) {
      if (dir.readUInt32LE(at) !== 0x02014b50)
        throw new Error(`${path}: corrupt central directory at entry ${i}`);
      const nameLength = dir.readUInt16LE(at + 28);
      const extraLength = dir.readUInt16LE(at + 30);
      const commentLength = dir.readUInt16LE(at + 32);
      entries.push({
        name: dir.toString('utf8', at + 46, at + 46 + nameLength),
        method: dir.readUInt16LE(at + 10),
        compressedSize: dir.readUInt32LE(at + 20),
        uncompressedSize: dir.readUInt32LE(at + 24),
        localHeaderOffset: dir.readUInt32LE(at + 42),
      });
      at += 46 + nameLength + extraLength + commentLength;
    }
    // As go refuses it (x/mod/zip CheckZip): a hostile zip cannot make the hash inflate forever.
    const unzipped = entries.reduce((total, entry) => total + entry.uncompressedSize, 0);
    if (unzipped > MAX_UNZIPPED_BYTES)
      throw new Error(
        `${path}: total uncompressed size of module contents too large (${unzipped} bytes; go allows ${MAX_UNZIPPED_BYTES})`,
      );
    // Where each entry's data starts depends on its local header's own name and extra lengths.
    for (const entry of entries) {
      const local = Buffer.alloc(30);
      await handle.read(local, 0, 30, entry.localHeaderOffset);
      if (local.readUInt32LE(0) !== 0x04034b50)
        throw new Error(`${path}: corrupt local header for ${entry.name}`);
      entry.localHeaderOffset += 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
    }
    return entries;
  } finally {
    await handle.close();
  }
}

/**
 * The h1 of a module zip: every file's SHA-256 over its uncompressed content, named with its full
 * path (module@version/...). Each file is streamed from disk through inflate into the hash, so a
 * large zip is never held in memory.
 */
export async function hashZip(path: string, signal?: AbortSignal): Promise<string> {
  const entries = await readCentralDirectory(path);
  const files: { name: string; sha256Hex: string }[] = [];
  const handle = await open(path, 'r');
  const buffer = Buffer.allocUnsafe(1 << 20); // one reused 1 MiB buffer for stored entries
  try {
    for (const entry of entries) {
      signal?.throwIfAborted();
      if (entry.name.endsWith('/')) continue; // directory entries carry no content
      const hash = createHash('sha256');
      if (entry.method === 0) {
        // Stored: read straight into the hash, no stream machinery.
        for (let done = 0; done < entry.compressedSize; ) {
          const want = Math.min(buffer.length, entry.compressedSize - done);
          const { bytesRead } = await handle.read(buffer, 0, want, entry.localHeaderOffset + done);
          if (bytesRead === 0) throw new Error(`${path}: ${entry.name} is cut short`);
          hash.update(buffer.subarray(0, bytesRead));
          done += bytesRead;
        }
      } else if (entry.method === 8) {
        if (entry.compressedSize > 0) {
          // Deflated: streamed through inflate into the hash, never held whole, and no more than declared.
          let inflated = 0;
          const sink = new Writable({
            write(chunk: Buffer, _encoding, done) {
              inflated += chunk.length;
              if (inflated > entry.uncompressedSize)
                return done(
                  new Error(
                    `${path}: ${entry.name} inflates to more than its declared ${entry.uncompressedSize} bytes`,
                  ),
                );
              hash.update(chunk);
              done();
            },
          });
          const raw = createReadStream(path, {
            start: entry.localHeaderOffset,
            end: entry.localHeaderOffset + entry.compressedSize - 1,
            highWaterMark: 1 << 20,
          });
          await pipeline(raw, createInflateRaw(), sink, ...(signal ? [{ signal }] : []));
        }
      } else {
        throw new Error(
          `${path}: ${entry.name} uses compression method ${entry.method}, which go does not write`,
        );
      }
      files.push({ name: entry.name, sha256Hex: hash.digest('hex') });
    }
  } finally {
    await handle.close();
  }
  return h1FromFileHashes(files);
}

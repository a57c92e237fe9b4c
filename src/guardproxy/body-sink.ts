import { createWriteStream, type WriteStream } from 'node:fs';
import { finished, Writable } from 'node:stream';

/** Where a downloaded body went: memory alone while it is small, its temp file once it is not. */
export interface BodySink extends Writable {
  /** Whether the body spilled to the file (it was larger than what is kept in memory). */
  onDisk(): boolean;
}

/**
 * A body of at most `keepBytes` stays in memory and no file is made for it: most answers (lists,
 * .info, .mod, small zips) are served and judged from memory, and written to the cache after go
 * has them, so creating, writing and closing a file is off go's path (costly on Windows, where
 * each new file is scanned). A larger body spills to `file` (created exclusively, this user only)
 * and streams there, never held whole.
 */
export function bodySink(file: string, keepBytes: number): BodySink {
  let held: Buffer[] = [];
  let heldBytes = 0;
  let disk: WriteStream | undefined;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!disk) {
        if (heldBytes + chunk.length <= keepBytes) {
          held.push(chunk);
          heldBytes += chunk.length;
          return done();
        }
        disk = createWriteStream(file, { flags: 'wx', mode: 0o600 });
        disk.once('error', (error) => sink.destroy(error));
        for (const part of held) disk.write(part);
        held = [];
      }
      if (disk.write(chunk)) done();
      else disk.once('drain', () => done());
    },
    final(done) {
      if (!disk) return done();
      disk.end();
      finished(disk, (error) => done(error));
    },
    destroy(error, done) {
      disk?.destroy();
      done(error);
    },
  }) as BodySink;
  sink.onDisk = () => disk !== undefined;
  return sink;
}

import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { receiveBody } from '../src/guardproxy/body-sink.js';
import { tempDir } from './helpers.js';

const dir = await tempDir();
let files = 0;
const options = (maxBytes = 1_000_000) => ({
  file: join(dir, `body-${++files}`),
  keepBytes: 1024,
  maxBytes,
  tooLarge: () => new Error('too large'),
});

/** A body arriving in chunks of `size` bytes, as a socket hands it over. */
const chunked = (bytes: Buffer, size: number) =>
  Readable.from(
    Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) =>
      bytes.subarray(i * size, (i + 1) * size),
    ),
  );

describe('receiving a body (receiveBody)', () => {
  it('keeps a body that fits in memory whole and makes no file', async () => {
    const bytes = randomBytes(1024);
    const how = options();
    const body = await receiveBody(chunked(bytes, 100), how);
    expect(body).toMatchObject({ size: 1024, onDisk: false });
    expect(body.head.equals(bytes)).toBe(true);
    await expect(stat(how.file)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('spills a larger body to its file, every byte in order, its first bytes kept in memory too', async () => {
    for (const size of [1, 333, 1024, 1500, 70_000]) {
      const bytes = randomBytes(50_000 + size);
      const how = options();
      const body = await receiveBody(chunked(bytes, size), how);
      expect(body, `chunks of ${size}`).toMatchObject({ size: bytes.length, onDisk: true });
      expect(body.head.equals(bytes.subarray(0, 1024)), `chunks of ${size}`).toBe(true);
      expect((await readFile(how.file)).equals(bytes), `chunks of ${size}`).toBe(true);
      expect((await stat(how.file)).mode & 0o777).toBe(0o600);
    }
  });

  it('ends a body over the limit with the given error', async () => {
    const how = options(5000);
    await expect(receiveBody(chunked(randomBytes(6000), 500), how)).rejects.toThrow('too large');
  });

  it("ends with the body's own error, and with one for a body torn down before its end", async () => {
    const failing = new PassThrough();
    const received = receiveBody(failing, options());
    failing.write(randomBytes(3000));
    failing.destroy(new Error('connection reset'));
    await expect(received).rejects.toThrow('connection reset');
    const torn = new PassThrough();
    const early = receiveBody(torn, options());
    torn.write(randomBytes(10));
    torn.destroy();
    await expect(early).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });

  it('refuses to write through a file that is already there', async () => {
    const how = options();
    await receiveBody(chunked(randomBytes(2000), 500), how);
    await expect(receiveBody(chunked(randomBytes(2000), 500), how)).rejects.toMatchObject({ code: 'EEXIST' });
  });
});

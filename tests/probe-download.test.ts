import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { LAB_LARGE, labLargeModule } from '../src/lab/modules.js';
import { type RunningLab, startLab } from '../src/lab/scenarios.js';
import { createFetcher } from '../src/probe/fetcher.js';
import { createResponseReader, type ResponseHead } from '../src/probe/response-reader.js';
import { createRunContext } from '../src/probe/run-context.js';
import type { MirrorObservation } from '../src/probe/types.js';
import { tempDir } from './helpers.js';

/** Feeds a response in the given pieces; what the reader made of it, or the error it refused with. */
function read(pieces: Buffer[], wantBody = true, ended = false) {
  const heads: ResponseHead[] = [];
  const body: Buffer[] = [];
  const reader = createResponseReader({
    head: (head) => {
      heads.push(head);
      return wantBody;
    },
    body: (piece) => body.push(Buffer.from(piece)), // a copy: the piece is a view of the input
  });
  let done = false;
  for (const piece of pieces) if (!done) done = reader.feed(piece);
  if (ended) reader.end();
  return { heads, body: Buffer.concat(body).toString('latin1'), done };
}

/** Every way of cutting `text` in two, and one byte at a time. */
function cuts(text: string): Buffer[][] {
  const bytes = Buffer.from(text, 'latin1');
  const ways = [...Array(bytes.length + 1).keys()].map((at) => [bytes.subarray(0, at), bytes.subarray(at)]);
  return [...ways, [...bytes].map((byte) => Buffer.from([byte]))];
}

const chunked =
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/zip\r\n\r\n' +
  '5\r\nhello\r\n1;ext=1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n';

describe('an HTTP/1.1 response read from raw bytes (response-reader)', () => {
  it('decodes a chunked body however the bytes arrive', () => {
    for (const pieces of cuts(chunked)) {
      const { heads, body, done } = read(pieces);
      expect(done).toBe(true);
      expect(body).toBe('hello 0123456789');
      expect(heads).toEqual([
        { status: 200, headers: { 'transfer-encoding': 'chunked', 'content-type': 'application/zip' } },
      ]);
    }
  });

  it('stops at content-length, and takes a body delimited by the close only when it ends', () => {
    for (const pieces of cuts('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcdEXTRA'))
      expect(read(pieces)).toMatchObject({ body: 'abcd', done: true });
    expect(read([Buffer.from('HTTP/1.0 200 OK\r\n\r\nuntil the end')])).toMatchObject({
      body: 'until the end',
      done: false,
    });
    expect(read([Buffer.from('HTTP/1.0 200 OK\r\n\r\nuntil the end')], true, true).body).toBe(
      'until the end',
    );
  });

  it('skips an interim 100 answer and reads no body the caller does not want', () => {
    const interim = read([
      Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'),
    ]);
    expect(interim.heads.map((head) => head.status)).toEqual([200]);
    expect(interim.body).toBe('ok');
    const redirect = read(
      [
        Buffer.from(
          'HTTP/1.1 302 Found\r\nLocation: https://cdn.example/x.zip\r\nContent-Length: 5\r\n\r\nmoved',
        ),
      ],
      false,
    );
    expect(redirect).toMatchObject({ body: '', done: true });
    expect(redirect.heads[0]?.headers.location).toBe('https://cdn.example/x.zip');
  });

  it('refuses what is not HTTP, a bad chunk and a body cut short, saying what was wrong', () => {
    expect(() => read([Buffer.from('SSH-2.0-OpenSSH\r\n\r\n')])).toThrow(
      'malformed HTTP response: status line "SSH-2.0-OpenSSH"',
    );
    expect(() => read([Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n')])).toThrow(
      'malformed HTTP response: chunk size "zz"',
    );
    expect(() =>
      read([Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n')]),
    ).toThrow('malformed HTTP response: chunk data longer than its size');
    expect(() => read([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc')], true, true)).toThrow(
      'malformed HTTP response: connection closed in the body',
    );
    expect(() => read([Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n')])).toThrow(
      'malformed HTTP response: transfer-encoding "gzip" is not chunked',
    );
  });
});

// A zip far larger than any buffer the download keeps, served by a real lab mirror over TLS.
const LARGE_BYTES = 48 * 1024 * 1024;
const dir = await tempDir();
let lab: RunningLab;
beforeAll(async () => {
  lab = await startLab(
    {
      summary: 'a mirror serving a 48 MiB module zip, and one that goes silent halfway through it',
      mirrors: [
        { name: 'honest', mode: { kind: 'ok' } },
        { name: 'stalled', mode: { kind: 'hang-mid-body' } },
      ],
      largeModuleBytes: LARGE_BYTES,
    },
    60_000,
  );
});
afterAll(() => lab.stop());

async function withFetcher<T>(
  work: (fetcher: ReturnType<typeof createFetcher>, base: string) => Promise<T>,
  { mirror = 0, deadlineMs = 60_000 } = {},
) {
  const loaded = await loadConfig(lab.configPath, {});
  const { context, close } = createRunContext(
    loaded.config,
    loaded.extraCas,
    deadlineMs,
    LAB_LARGE,
    loaded.route,
  );
  const observation: MirrorObservation = { phases: {}, dns: [], exchanges: [] };
  const fetcher = createFetcher(context, observation);
  try {
    return await work(fetcher, `${lab.mirrors[mirror]?.url}/${LAB_LARGE.module}/@v/${LAB_LARGE.version}`);
  } finally {
    fetcher.close();
    close();
  }
}

describe('fetcher.download of a large module zip', () => {
  it('writes the exact bytes', async () => {
    const file = join(dir, 'large.zip');
    const exchange = await withFetcher((fetcher, base) =>
      fetcher.download(`${base}.zip`, 'mod', file, 500 * 1024 * 1024),
    );
    const { zip } = labLargeModule(LARGE_BYTES);
    expect(exchange).toMatchObject({ status: 200, saved: zip.length, truncated: false });
    const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
    expect(sha256(await readFile(file))).toBe(sha256(zip));
  });

  it('stops at maxBytes and says the body was cut off', async () => {
    const file = join(dir, 'cut.zip');
    const exchange = await withFetcher((fetcher, base) =>
      fetcher.download(`${base}.zip`, 'mod', file, 1_000_000),
    );
    expect(exchange).toMatchObject({ status: 200, saved: 1_000_000, truncated: true });
    expect((await stat(file)).size).toBe(1_000_000);
  });

  it('reports a status other than 200 with nothing saved', async () => {
    const file = join(dir, 'missing.zip');
    const exchange = await withFetcher((fetcher) =>
      fetcher.download(`${lab.mirrors[0]?.url}/${LAB_LARGE.module}/@v/v9.9.9.zip`, 'mod', file, 1_000_000),
    );
    expect(exchange).toMatchObject({ status: 404, saved: 0, truncated: false });
  });

  it('ends at the deadline, naming the transfer, when the mirror goes silent mid-body', async () => {
    const file = join(dir, 'stalled.zip');
    const download = withFetcher(
      (fetcher, base) => fetcher.download(`${base}.zip`, 'mod', file, 500 * 1024 * 1024),
      {
        mirror: 1,
        deadlineMs: 3000,
      },
    );
    await expect(download).rejects.toMatchObject({
      phase: 'transfer',
      timedOut: true,
      message: 'deadline reached',
    });
  });
});

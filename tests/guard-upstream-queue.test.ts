import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { validate } from '../src/config/load.js';
import { createUpstream } from '../src/guardproxy/upstream.js';
import { tempDir } from './helpers.js';

// The guard's queue for a mirror at its connection limit (guard.perMirrorConcurrency): a request
// whose go already hung up leaves the queue without taking another request's place in it.

let server: http.Server;
let base: string;
const seen: string[] = [];
const held: http.ServerResponse[] = [];

beforeAll(async () => {
  server = http.createServer((request, response) => {
    seen.push(request.url ?? '/');
    held.push(response); // answered by the test
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("the guard's queue for a busy mirror", () => {
  it('lets a request cancelled before its turn leave the queue, and the one behind it still goes', async () => {
    const { config } = await validate({
      mirrors: [{ name: 'only', url: base, allowInsecure: true }],
      dns: { trusted: [] },
      guard: { perMirrorConcurrency: 1, firstByteMs: 60_000, stallMs: 60_000 },
    });
    const upstream = createUpstream({ config, extraCas: [] });
    const dir = await tempDir();
    const live = new AbortController();
    try {
      const first = upstream.fetch(`${base}/first`, join(dir, 'a'), 1 << 20, live.signal);
      await vi.waitFor(() => expect(seen).toContain('/first'));
      // The mirror is at its limit: the second waits for its turn.
      const second = upstream.fetch(`${base}/second`, join(dir, 'b'), 1 << 20, live.signal);
      // A third, whose go has already hung up, is refused without taking the second's place.
      const cancelled = upstream.fetch(`${base}/third`, join(dir, 'c'), 1 << 20, AbortSignal.abort());
      await expect(cancelled).rejects.toThrow(/cancelled/);
      (held[0] as http.ServerResponse).writeHead(200, { 'content-type': 'text/plain' }).end('one\n');
      expect((await first).status).toBe(200);
      await vi.waitFor(() => expect(seen).toContain('/second'));
      (held[1] as http.ServerResponse).writeHead(200, { 'content-type': 'text/plain' }).end('two\n');
      expect((await second).status).toBe(200);
      expect(seen).not.toContain('/third');
    } finally {
      live.abort();
      await upstream.close();
    }
  });
});

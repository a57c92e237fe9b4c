import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { trackSockets } from './dns-server.js';
import { LAB_CANARY, LAB_SUMDB, type LabLargeModule, labModuleFiles, labTamperedZip } from './modules.js';
import type { ServerIdentity } from './pki.js';
import type { LabDatabase } from './sumdb-server.js';

/** How a lab mirror misbehaves. Every mode is a failure seen in the wild. */
export type MirrorMode =
  | { kind: 'ok' }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'hang' } // accepts the connection, never answers
  | { kind: 'hang-after-headers' } // sends 200 and headers, then nothing
  | { kind: 'drip' } // one byte per second
  | { kind: 'status'; status: number } // 502, 504, 404, 410 ...
  | { kind: 'captive' } // a portal's 200 HTML page
  | { kind: 'garbage' } // 200 with a body that is no version list
  | { kind: 'bad-info' } // .info that is not JSON
  | { kind: 'wrong-mod' } // a go.mod for another module
  | { kind: 'stale' } // a version list without the canary version
  | { kind: 'huge' } // a version list that never seems to end
  | { kind: 'redirect'; to: string } // 302 to the same path on another origin
  | { kind: 'redirect-loop' } // 302 back and forth
  | { kind: 'redirect-to'; location: string } // 302 with exactly this Location (file:, javascript: ...)
  | { kind: 'tampered'; only?: 'mod' | 'zip' } // a go.mod and zip (or just one) that differ from what the checksum database records
  | { kind: 'hang-after'; requests: number } // answers well, then from request N+1 (since the mode was set) never answers
  | { kind: 'hang-mid-body' }; // sends 200, the headers and half of each file, then nothing

export type SumdbMode = 'healthy' | 'missing' | 'broken';

export interface LabMirror {
  name: string;
  url: string;
  port: number;
  /** Changes how the mirror behaves from the next request on (a flapping mirror). */
  setMode(mode: MirrorMode): void;
  /** The paths asked of this mirror, in order (the latest 10,000): what reached it, and what never did. */
  requests: string[];
  close(): Promise<void>;
}

const CAPTIVE_PAGE =
  '<!DOCTYPE html><html><head><title>Sign in to Guest WiFi</title></head><body>Accept the terms</body></html>';

/**
 * Starts one mirror on 127.0.0.1 (and any extra loopback addresses, on the same port) over
 * https when given an identity, behaving as `mode` says.
 */
export async function startMirror(options: {
  name: string;
  mode: MirrorMode;
  identity?: ServerIdentity;
  /** Host name used in the URL (resolved by the lab DNS); 127.0.0.1 by default. */
  host?: string;
  sumdb?: SumdbMode;
  alsoOn?: string[];
  port?: number;
  /** Listen on this loopback address instead of 127.0.0.1. */
  bindAddress?: string;
  /** The lab's checksum database: answered at the root (as the database) and under /sumdb/ (as a proxy). */
  database?: LabDatabase;
  /** A large module served beside the canary (tampered mode changes a byte of its zip too). */
  large?: LabLargeModule;
}): Promise<LabMirror> {
  const files = labModuleFiles(options.large);
  let current = options.mode;
  const requests: string[] = [];
  let sinceModeSet = 0; // requests since the mode was set, for hang-after
  const handler: http.RequestListener = (request, response) => {
    const mode = current;
    const url = new URL(request.url ?? '/', 'http://lab');
    const path = url.pathname;
    requests.push(path);
    if (requests.length > 10_000) requests.shift();
    sinceModeSet++;
    if (mode.kind === 'hang-after' && sinceModeSet > mode.requests) return; // silent from now on
    const text = (status: number, body: string | Buffer, type = 'text/plain; charset=utf-8') =>
      void response
        .writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) })
        .end(body);
    if (mode.kind === 'hang') return; // keep the socket open and silent
    if (mode.kind === 'hang-after-headers')
      return void response.writeHead(200, { 'content-type': 'text/plain' }).flushHeaders();
    if (mode.kind === 'drip') return drip(response);
    if (mode.kind === 'status') return text(mode.status, `lab: status ${mode.status}\n`);
    if (mode.kind === 'captive') return text(200, CAPTIVE_PAGE, 'text/html; charset=utf-8');
    if (mode.kind === 'huge') return streamHuge(response);
    if (mode.kind === 'redirect')
      return void response.writeHead(302, { location: `${mode.to}${path}` }).end();
    if (mode.kind === 'redirect-to') return void response.writeHead(302, { location: mode.location }).end();
    if (mode.kind === 'redirect-loop') {
      return void response.writeHead(302, { location: url.search ? path : `${path}?again` }).end();
    }
    if (path.startsWith(`/sumdb/${LAB_SUMDB}/`)) {
      return sumdb(
        options.sumdb ?? 'healthy',
        path.slice(`/sumdb/${LAB_SUMDB}`.length),
        text,
        options.database,
      );
    }
    const fromDatabase = options.database?.answer(path);
    if (fromDatabase) return text(fromDatabase.status, fromDatabase.body);
    let body = files.get(path);
    if (body !== undefined && path.endsWith('/@v/list')) {
      if (mode.kind === 'garbage') body = '{"oops": true}\n';
      if (mode.kind === 'stale') body = 'v1.0.0\n';
    }
    if (body !== undefined && path.endsWith('.info') && mode.kind === 'bad-info') body = 'Version: v1.1.0';
    if (body !== undefined && path.endsWith('.mod') && mode.kind === 'wrong-mod')
      body = 'module evil.example/other\n';
    if (body !== undefined && mode.kind === 'tampered' && path.includes(`@v/${LAB_CANARY.version}.`)) {
      // Same module path, different content: only the checksum database can tell.
      if (path.endsWith('.mod') && mode.only !== 'zip')
        body = `${body}require evil.example/backdoor v1.0.0\n`;
      if (path.endsWith('.zip') && mode.only !== 'mod') body = labTamperedZip();
    }
    const large = options.large;
    if (large && body === large.zip && mode.kind === 'tampered' && mode.only !== 'mod')
      body = large.tamperedZip();
    const type = path.endsWith('.zip') ? 'application/zip' : undefined;
    const send = () => {
      if (body === undefined) return text(404, 'not found\n');
      if (mode.kind !== 'hang-mid-body') return text(200, body, type);
      // The length of the whole file is promised; half of it comes, then the mirror goes silent.
      const bytes = Buffer.from(body);
      response.writeHead(200, {
        'content-type': type ?? 'text/plain; charset=utf-8',
        'content-length': bytes.length,
      });
      response.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
    };
    if (mode.kind === 'slow') setTimeout(send, mode.delayMs).unref();
    else send();
  };
  const addresses = [options.bindAddress ?? '127.0.0.1', ...(options.alsoOn ?? [])];
  const servers = addresses.map(() =>
    options.identity
      ? https.createServer({ key: options.identity.keyPem, cert: options.identity.chainPem }, handler)
      : http.createServer(handler),
  );
  const sockets = servers.map(trackSockets);
  let port = options.port ?? 0;
  for (const [i, server] of servers.entries()) {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, addresses[i], () => resolve());
    });
    port = (server.address() as AddressInfo).port;
  }
  const scheme = options.identity ? 'https' : 'http';
  return {
    name: options.name,
    url: `${scheme}://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    setMode: (mode) => {
      current = mode;
      sinceModeSet = 0;
    },
    requests,
    close: async () => {
      for (const set of sockets) for (const socket of set) socket.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}

/** The checksum-database proxy: /sumdb/<name>/supported, then the database's own paths. */
function sumdb(
  mode: SumdbMode,
  path: string,
  text: (status: number, body: string | Buffer) => void,
  database: LabDatabase | undefined,
): void {
  const answer = database?.answer(path);
  if (mode === 'missing') text(404, 'not found\n');
  else if (path === '/supported') text(200, '');
  else if (mode === 'broken') text(500, 'lab: checksum database proxy broken\n');
  else if (answer) text(answer.status, answer.body);
  else text(404, 'not found\n');
}

/** One byte a second, for as long as the client listens (bounded so the lab stops by itself). */
function drip(response: http.ServerResponse): void {
  response.writeHead(200, { 'content-type': 'text/plain' });
  const body = 'v1.0.0\nv1.1.0\n';
  let sent = 0;
  const timer = setInterval(() => {
    if (response.destroyed || sent >= 600) return void clearInterval(timer);
    response.write(body[sent % body.length] ?? '\n');
    sent++;
  }, 1000);
  timer.unref();
  response.on('close', () => clearInterval(timer));
}

/** Writes version lines until the client gives up; bounded so a forgotten lab stops by itself. */
function streamHuge(response: http.ServerResponse): void {
  response.writeHead(200, { 'content-type': 'text/plain' });
  const line = Buffer.from('v0.0.1\n'.repeat(1024));
  let sent = 0;
  const write = () => {
    while (sent < 256 * 1024 * 1024 && !response.destroyed) {
      sent += line.length;
      if (!response.write(line)) return void response.once('drain', write);
    }
    response.end();
  };
  write();
}

import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { labModuleFiles } from './modules.js';
import type { ServerIdentity } from './pki.js';

/** How a lab mirror misbehaves. Every mode is a failure seen in the wild. */
export type MirrorMode =
  | { kind: 'ok' }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'hang' } // accepts the connection, never answers
  | { kind: 'status'; status: number } // 502, 504, 404, 410 ...
  | { kind: 'captive' } // a portal's 200 HTML page
  | { kind: 'garbage' } // 200 with a body that is no version list
  | { kind: 'stale' } // a version list without the canary version
  | { kind: 'huge' }; // a version list that never seems to end

export interface LabMirror {
  name: string;
  url: string;
  port: number;
  close(): Promise<void>;
}

const CAPTIVE_PAGE =
  '<!DOCTYPE html><html><head><title>Sign in to Guest WiFi</title></head><body>Accept the terms</body></html>';

/** Starts one mirror on 127.0.0.1 (https when given an identity) behaving as `mode` says. */
export async function startMirror(options: {
  name: string;
  mode: MirrorMode;
  identity?: ServerIdentity;
  host?: string;
}): Promise<LabMirror> {
  const files = labModuleFiles();
  const sockets = new Set<Socket>();
  const handler: http.RequestListener = (request, response) => {
    const mode = options.mode;
    const path = new URL(request.url ?? '/', 'http://lab').pathname;
    if (mode.kind === 'hang') return; // keep the socket open and silent
    if (mode.kind === 'status')
      return void response.writeHead(mode.status).end(`lab: status ${mode.status}\n`);
    if (mode.kind === 'captive') {
      return void response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(CAPTIVE_PAGE);
    }
    if (mode.kind === 'garbage')
      return void response.writeHead(200, { 'content-type': 'text/plain' }).end('{"oops": true}\n');
    if (mode.kind === 'huge') return void streamHuge(response);
    let body = files.get(path);
    if (body !== undefined && mode.kind === 'stale' && path.endsWith('/@v/list')) body = 'v1.0.0\n';
    const send = () => {
      if (body === undefined) response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      else response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
    };
    if (mode.kind === 'slow') setTimeout(send, mode.delayMs).unref();
    else send();
  };
  const server = options.identity
    ? https.createServer({ key: options.identity.keyPem, cert: options.identity.chainPem }, handler)
    : http.createServer(handler);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const scheme = options.identity ? 'https' : 'http';
  return {
    name: options.name,
    url: `${scheme}://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
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

import http from 'node:http';
import net from 'node:net';
import { trackSockets } from './dns-server.js';

export type ProxyMode = 'ok' | 'refusing' | 'hanging' | 'auth-required';

export interface LabProxy {
  name: string;
  url: string;
  close(): Promise<void>;
}

/**
 * An HTTP CONNECT proxy on 127.0.0.1. It tunnels only to lab names (*.lab.test) and loopback
 * addresses, always to 127.0.0.1 or the literal loopback address asked for: the lab can never
 * open a connection off this machine, whatever a client asks.
 */
export async function startConnectProxy(name: string, mode: ProxyMode): Promise<LabProxy> {
  const server = http.createServer((_request, response) => response.writeHead(405).end());
  const sockets = trackSockets(server);
  server.on('connect', (request: http.IncomingMessage, client: net.Socket) => {
    client.on('error', () => {});
    if (mode === 'hanging') return; // accept, read the request, never answer
    if (mode === 'auth-required') {
      return void client.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="lab"\r\n\r\n',
      );
    }
    const [host = '', port = ''] = (request.url ?? '').split(/:(?=\d+$)/);
    const target = host.endsWith('.lab.test') ? '127.0.0.1' : host;
    if (!/^127\.\d+\.\d+\.\d+$/.test(target)) {
      return void client.end('HTTP/1.1 403 Forbidden\r\n\r\nlab proxy: loopback targets only\r\n');
    }
    const upstream = net.connect({ host: target, port: Number(port) }, () => {
      client.write('HTTP/1.1 200 Connection established\r\n\r\n');
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'));
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  if (mode === 'refusing') {
    // Nothing listens there any more: connections are refused, as with a dead proxy.
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        if (!server.listening) return resolve();
        server.close(() => resolve());
      }),
  };
}

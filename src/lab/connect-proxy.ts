import http from 'node:http';
import net from 'node:net';
import { trackSockets } from './dns-server.js';

export type ProxyMode = 'ok' | 'refusing' | 'hanging' | 'auth-required';

export interface LabProxy {
  name: string;
  url: string;
  /** The request line of every request it was sent ("CONNECT host:port", "GET http://..."). */
  requests: string[];
  close(): Promise<void>;
}

/** The loopback address the lab sends a target to, or undefined when it is not the lab's. */
function labTarget(host: string): string | undefined {
  const target = host.endsWith('.lab.test') ? '127.0.0.1' : host;
  return /^127\.\d+\.\d+\.\d+$/.test(target) ? target : undefined;
}

/**
 * An HTTP proxy on 127.0.0.1, as corporate ones are: CONNECT tunnels for https, and plain http
 * requests in absolute form (`GET http://host/path`) forwarded, as go sends them through
 * HTTP_PROXY. It reaches only lab names (*.lab.test) and loopback addresses, always at 127.0.0.1
 * or the literal loopback address asked for: the lab can never open a connection off this
 * machine, whatever a client asks.
 */
export async function startConnectProxy(name: string, mode: ProxyMode): Promise<LabProxy> {
  const requests: string[] = [];
  const server = http.createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    if (mode === 'hanging') return; // read the request, never answer
    if (mode === 'auth-required') {
      return void response.writeHead(407, { 'proxy-authenticate': 'Basic realm="lab"' }).end();
    }
    let url: URL;
    try {
      url = new URL(request.url ?? '');
    } catch {
      return void response.writeHead(400).end('lab proxy: absolute-form requests only\n');
    }
    const target = labTarget(url.hostname);
    if (url.protocol !== 'http:' || !target) {
      return void response.writeHead(403).end('lab proxy: loopback targets only\n');
    }
    const headers = { ...request.headers };
    delete headers['proxy-authorization'];
    const upstream = http.request(
      {
        host: target,
        port: Number(url.port) || 80,
        path: `${url.pathname}${url.search}`,
        method: request.method,
        headers,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => (response.headersSent ? response.destroy() : response.writeHead(502).end()));
    request.pipe(upstream);
  });
  const sockets = trackSockets(server);
  server.on('connect', (request: http.IncomingMessage, client: net.Socket) => {
    requests.push(`CONNECT ${request.url}`);
    client.on('error', () => {});
    if (mode === 'hanging') return; // accept, read the request, never answer
    if (mode === 'auth-required') {
      return void client.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="lab"\r\n\r\n',
      );
    }
    const [host = '', port = ''] = (request.url ?? '').split(/:(?=\d+$)/);
    const target = labTarget(host);
    if (!target) {
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
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        if (!server.listening) return resolve();
        server.close(() => resolve());
      }),
  };
}

import dgram from 'node:dgram';
import type http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { decodeMessage, encodeMessage, type Message, RCODE, TYPE } from '../dns/wire.js';
import type { ServerIdentity } from './pki.js';

/** What the lab's DNS says for a name. */
export type DnsBehaviour =
  | { kind: 'answer'; addresses: string[] }
  | { kind: 'nxdomain' }
  | { kind: 'servfail' }
  | { kind: 'silent' };

export interface DnsZone {
  /** Exact names (lower case, no trailing dot). */
  names: Map<string, DnsBehaviour>;
  /** For every other name: nxdomain for an honest resolver, an answer for an NXDOMAIN hijacker. */
  otherwise: DnsBehaviour;
}

export interface LabDnsServer {
  /** "127.0.0.1:port", the form dns.systemResolver takes. */
  address: string;
  port: number;
  close(): Promise<void>;
}

/** The answer to one query, or null to stay silent. */
export function answerQuery(zone: DnsZone, query: Message): Buffer | null {
  const question = query.questions[0];
  if (!question) return encodeMessage({ ...query, response: true, rcode: RCODE.REFUSED, answers: [] });
  const behaviour = zone.names.get(question.name.toLowerCase()) ?? zone.otherwise;
  if (behaviour.kind === 'silent') return null;
  const reply = (rcode: number, addresses: string[] = []) =>
    encodeMessage({
      id: query.id,
      response: true,
      rcode,
      questions: [question],
      answers: addresses
        .filter((a) =>
          question.type === TYPE.AAAA ? a.includes(':') : question.type === TYPE.A && !a.includes(':'),
        )
        .map((address) => ({ name: question.name, type: question.type, ttl: 60, address })),
    });
  if (behaviour.kind === 'nxdomain') return reply(RCODE.NXDOMAIN);
  if (behaviour.kind === 'servfail') return reply(RCODE.SERVFAIL);
  return reply(RCODE.NOERROR, behaviour.addresses);
}

/** A DNS server on 127.0.0.1 answering over UDP and TCP on one port. */
export async function startDnsServer(zone: DnsZone): Promise<LabDnsServer> {
  const tcp = net.createServer((socket) => {
    let pending = Buffer.alloc(0);
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const length = pending.readUInt16BE(0);
        const query = pending.subarray(2, 2 + length);
        pending = pending.subarray(2 + length);
        const reply = safeAnswer(zone, query);
        if (reply)
          socket.write(Buffer.concat([Buffer.from([reply.length >> 8, reply.length & 0xff]), reply]));
      }
    });
  });
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  const port = (tcp.address() as net.AddressInfo).port;
  const udp = dgram.createSocket('udp4');
  udp.on('message', (query, peer) => {
    const reply = safeAnswer(zone, query);
    if (reply) udp.send(reply, peer.port, peer.address);
  });
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(port, '127.0.0.1', () => resolve());
  });
  const sockets = trackSockets(tcp);
  return {
    address: `127.0.0.1:${port}`,
    port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await Promise.all([
        new Promise<void>((r) => tcp.close(() => r())),
        new Promise<void>((r) => udp.close(() => r())),
      ]);
    },
  };
}

function safeAnswer(zone: DnsZone, query: Buffer): Buffer | null {
  try {
    return answerQuery(zone, decodeMessage(query));
  } catch {
    return null; // a malformed query gets no answer, as from a real server
  }
}

/** A DoH server (RFC 8484: GET ?dns=base64url and POST application/dns-message) over https. */
export async function startDohServer(
  zone: DnsZone,
  identity: ServerIdentity,
): Promise<LabDnsServer & { url: string }> {
  const server = https.createServer(
    { key: identity.keyPem, cert: identity.chainPem },
    (request, response) => {
      const url = new URL(request.url ?? '/', 'https://lab');
      if (url.pathname !== '/dns-query') return void response.writeHead(404).end();
      const finish = (query: Buffer) => {
        const reply = safeAnswer(zone, query);
        if (!reply) return void response.writeHead(504).end();
        response.writeHead(200, { 'content-type': 'application/dns-message' }).end(reply);
      };
      if (request.method === 'GET') {
        const dns = url.searchParams.get('dns');
        if (!dns) return void response.writeHead(400).end();
        return finish(Buffer.from(dns, 'base64url'));
      }
      if (request.method === 'POST' && request.headers['content-type'] === 'application/dns-message') {
        const chunks: Buffer[] = [];
        request.on('data', (c: Buffer) => chunks.push(c));
        request.on('end', () => finish(Buffer.concat(chunks)));
        return;
      }
      response.writeHead(405).end();
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const sockets = trackSockets(server);
  return {
    address: `127.0.0.1:${port}`,
    port,
    url: `https://127.0.0.1:${port}/dns-query`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Remembers open sockets so close() can end hung connections at once. */
export function trackSockets(server: net.Server | http.Server): Set<net.Socket> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('secureConnection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return sockets;
}

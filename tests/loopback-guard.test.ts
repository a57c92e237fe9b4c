import dgram from 'node:dgram';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain JS module without types
import { takeViolations } from './setup/loopback-guard.mjs';

// The guard every test file runs under (vitest setupFiles): proof that it is on and refuses.
describe('the loopback guard', () => {
  it('refuses a connection to the lab hijack answer and other private addresses before any packet', () => {
    for (const host of ['10.10.34.35', '10.0.0.1', '192.168.1.1', '100.64.0.1']) {
      expect(() => net.connect({ host, port: 443 })).toThrow(/loopback guard: a connection to/);
    }
    expect(takeViolations()).toHaveLength(4);
  });

  it('refuses a name that resolves outside loopback', async () => {
    const socket = net.connect({
      host: 'hijacked.example',
      port: 443,
      lookup: (_host, _options, callback) => callback(null, '10.10.34.35', 4),
    });
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => socket.once('error', resolve));
    expect(error.code).toBe('ELOOPBACKONLY');
    expect(takeViolations()).toEqual([
      'loopback guard: hijacked.example resolved to 10.10.34.35 is outside 127.0.0.0/8 and ::1',
    ]);
  });

  it('refuses a datagram outside loopback', () => {
    const socket = dgram.createSocket('udp4');
    try {
      expect(() => socket.send(Buffer.from('x'), 53, '192.168.1.1')).toThrow(/a datagram to 192\.168\.1\.1/);
    } finally {
      socket.close();
    }
    expect(takeViolations()).toHaveLength(1);
  });

  it('lets loopback through', async () => {
    const server = net.createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const socket = net.connect({ host: '127.0.0.1', port });
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.destroy();
    server.close();
    expect(takeViolations()).toEqual([]);
  });
});

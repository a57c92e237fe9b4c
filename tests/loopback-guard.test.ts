import dgram from 'node:dgram';
import { readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { goWorld } from '../src/lab/go-world.js';
import { startLab } from '../src/lab/scenarios.js';
import { RUNTIME, writeJson } from './helpers.js';
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

  it('is loaded by the programs a test starts, the bundled runtime too, and they report to the test', async () => {
    const log = process.env.GOPROXYGUARD_LOOPBACK_LOG as string;
    const node = await execa(
      process.execPath,
      ['-e', "require('node:net').connect({ host: '192.168.1.1', port: 443 })"],
      {
        reject: false,
      },
    );
    expect(node.stderr).toMatch(/loopback guard: a connection to 192\.168\.1\.1:443/);
    const lab = await startLab(
      { summary: 'one healthy mirror', mirrors: [{ name: 'healthy', mode: { kind: 'ok' } }] },
      1000,
    );
    const world = await goWorld(lab, RUNTIME);
    try {
      // a mirror outside loopback on purpose: the runtime's probe must be refused, not sent
      const config = await writeJson(world.dir, 'config.json', {
        ...lab.config,
        mirrors: [{ name: 'outside', url: 'https://10.0.0.1' }],
      });
      expect((await world.guard(['health', '--config', config])).exitCode).toBe(1);
      const refused = readFileSync(log, 'utf8');
      expect(refused).toMatch(/loopback guard: a connection to 192\.168\.1\.1:443 is outside/);
      expect(refused).toMatch(/loopback guard: a connection to 10\.0\.0\.1:443 is outside/);
    } finally {
      rmSync(log, { force: true }); // these were on purpose: the file must not fail for them
      await world.cleanup();
      await lab.stop();
    }
  });
});

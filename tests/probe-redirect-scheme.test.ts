import { createServer } from 'node:net';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningLab, startLab } from '../src/lab/scenarios.js';
import { RUNTIME } from './helpers.js';

/**
 * A hostile mirror redirecting to a URL that is not http(s). Before the fix the probe connected
 * to 127.0.0.1:80 for file:, javascript: and data: (no host, so the default one) and to whatever
 * an ftp: URL names; the tripwire listener is such a place and must see no connection.
 */
describe('the bundled runtime refuses a redirect to a non-http(s) URL before connecting', () => {
  let lab: RunningLab;
  let tripped = 0;
  const tripwire = createServer((socket) => {
    tripped++;
    socket.destroy();
  });
  let run: Awaited<ReturnType<typeof execa>>;
  beforeAll(async () => {
    await new Promise<void>((resolve) => tripwire.listen(0, '127.0.0.1', resolve));
    const port = (tripwire.address() as { port: number }).port;
    const to = (location: string) => ({ kind: 'redirect-to' as const, location });
    lab = await startLab(
      {
        summary: 'mirrors redirecting to file:, javascript:, data: and ftp: URLs',
        mirrors: [
          { name: 'plain-to-file', mode: to('file:///etc/passwd'), plain: true },
          { name: 'plain-to-javascript', mode: to('javascript:alert(1)'), plain: true },
          { name: 'plain-to-data', mode: to('data:text/plain,v1.1.0'), plain: true },
          { name: 'plain-to-ftp', mode: to(`ftp://127.0.0.1:${port}/lab.test/canary/@v/list`), plain: true },
          { name: 'https-to-file', mode: to('file:///etc/passwd') },
        ],
      },
      10_000, // a generous deadline: the verdict must not depend on how busy the machine is
    );
    run = await execa('node', [RUNTIME, 'health', '--config', lab.configPath, '--json'], { reject: false });
  }, 60_000);
  afterAll(async () => {
    await lab?.stop();
    tripwire.close();
  });

  it.each([
    ['plain-to-file', 'file:'],
    ['plain-to-javascript', 'javascript:'],
    ['plain-to-data', 'data:'],
    ['plain-to-ftp', 'ftp:'],
    ['https-to-file', 'file:'],
  ])('%s -> bad-response, "redirect to a %s URL refused"', (name, scheme) => {
    const mirrors = JSON.parse(String(run.stdout)).mirrors as {
      name: string;
      verdict: string;
      evidence: string[];
    }[];
    const mirror = mirrors.find((m) => m.name === name);
    expect(mirror?.verdict).toBe('bad-response');
    expect(mirror?.evidence[0]).toMatch(
      new RegExp(`^redirect to a ${scheme} URL refused: \\S+/lab\\.test/canary/@v/list -> ${scheme}`),
    );
  });

  it('connects nowhere else and prints no deprecation warning', () => {
    expect(tripped).toBe(0);
    expect(String(run.stderr)).not.toMatch(/DEP0118|ECONNREFUSED|Warning/);
  });
});

import http from 'node:http';
import { splitListen } from './listen.js';
import { STATUS_PATH } from './request-path.js';
import type { GuardStatus } from './server.js';

/** What asking a guard for its standing found: its status document, or why there is none. */
export type GuardAnswer = { running: true; status: GuardStatus } | { running: false; reason: string };

/** The most a status document may be; a bigger answer is not our guard. */
const MAX_STATUS_BYTES = 1024 * 1024;

/**
 * Asks the guard proxy listening on `listen` ("127.0.0.1:47193") for /_guard/status, with the
 * Host header the guard requires. Uses node:http rather than the probes' undici client: status
 * and the scheduled run ask this on every call, and it must not load the probe stack.
 * Never throws: a refused connection, a timeout or a foreign answer is `running: false` with why.
 */
export function askGuard(listen: string, timeoutMs = 1500): Promise<GuardAnswer> {
  const { host, port } = splitListen(listen);
  const hostHeader = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise((resolve) => {
    const request = http.get(
      { host, port, path: STATUS_PATH, headers: { host: hostHeader }, timeout: timeoutMs },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_STATUS_BYTES) request.destroy(new Error('the status answer is too large'));
          else chunks.push(chunk);
        });
        response.on('end', () => {
          if (response.statusCode !== 200) {
            resolve({
              running: false,
              reason: `http://${hostHeader}${STATUS_PATH} answered ${response.statusCode}`,
            });
            return;
          }
          try {
            const status = JSON.parse(Buffer.concat(chunks).toString('utf8')) as GuardStatus;
            if (typeof status?.url !== 'string' || !Array.isArray(status.mirrors))
              throw new Error('not a guard status');
            resolve({ running: true, status });
          } catch {
            resolve({
              running: false,
              reason: `http://${hostHeader} answered, but not as the guard proxy does`,
            });
          }
        });
        response.on('error', (error) => resolve({ running: false, reason: error.message }));
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (error: NodeJS.ErrnoException) =>
      resolve({
        running: false,
        reason:
          error.code === 'ECONNREFUSED'
            ? `nothing listens on ${hostHeader} (connection refused)`
            : `http://${hostHeader}${STATUS_PATH}: ${error.message}`,
      }),
    );
  });
}

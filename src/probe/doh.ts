import type { SecureContext } from 'node:tls';
import { decodeMessage, encodeMessage, RCODE, TYPE } from '../dns/wire.js';
import { whenAborted } from './deadline.js';
import type { TrustedAnswer } from './dns-observation.js';
import { Agent } from './undici.js';

const MAX_DOH_BYTES = 4096;

/**
 * A DoH client for one run: one connection pool using the run's secure context (building a
 * context from ~140 root certificates per connection would cost tens of milliseconds each).
 */
export function createDohClient(secureContext: SecureContext) {
  const agent = new Agent({ connect: { secureContext }, connections: 4 });
  async function query(resolver: string, name: string, type: number, signal: AbortSignal) {
    // RFC 8484 GET with id 0, so answers are cacheable.
    const wire = encodeMessage({
      id: 0,
      response: false,
      rcode: 0,
      questions: [{ name, type }],
      answers: [],
    });
    const url = new URL(resolver);
    url.searchParams.set('dns', wire.toString('base64url'));
    const response = await Promise.race([
      agent.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        signal,
        headers: { accept: 'application/dns-message' },
      }),
      whenAborted(signal, 'dns', url.host),
    ]);
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw new Error(`HTTP ${response.statusCode}`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_DOH_BYTES) throw new Error('answer larger than a DNS message');
      chunks.push(chunk);
    }
    return decodeMessage(Buffer.concat(chunks));
  }
  return {
    /** A and AAAA of one name from one trusted resolver. Never throws. */
    async resolve(resolver: string, name: string, signal: AbortSignal): Promise<TrustedAnswer> {
      try {
        const [a, aaaa] = await Promise.all([
          query(resolver, name, TYPE.A, signal),
          query(resolver, name, TYPE.AAAA, signal),
        ]);
        if (a.rcode === RCODE.NXDOMAIN) return { resolver, status: 'nxdomain' };
        if (a.rcode !== RCODE.NOERROR) return { resolver, status: 'failed', error: `rcode ${a.rcode}` };
        return {
          resolver,
          status: 'answered',
          addresses: [...a.answers, ...aaaa.answers].map((r) => r.address),
        };
      } catch (error) {
        const reason = signal.aborted
          ? 'no answer before the deadline'
          : ((error as Error).message ?? String(error));
        return { resolver, status: 'failed', error: reason };
      }
    },
    close: () => agent.close(),
  };
}

export type DohClient = ReturnType<typeof createDohClient>;

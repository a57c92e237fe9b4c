import type { ProbeContext } from './context.js';
import { createFetcher } from './fetcher.js';
import type { MirrorObservation } from './types.js';

export interface DatabaseHealth {
  name: string;
  url: string;
  healthy: boolean;
  evidence: string;
}

const TREE_HEAD = /^go\.sum database tree\n\d+\n[A-Za-z0-9+/=]+\n\n— \S+ \S+\n/;

/** Asks the checksum database itself for its latest signed tree head (<url>/latest). */
export async function probeDatabase(
  sumdb: { name: string; url: string },
  context: ProbeContext,
): Promise<DatabaseHealth> {
  const observation: MirrorObservation = { phases: {}, dns: [], exchanges: [] };
  const fetcher = createFetcher(context, observation);
  const url = `${sumdb.url}/latest`;
  const result = (healthy: boolean, evidence: string) => ({
    name: sumdb.name,
    url: sumdb.url,
    healthy,
    evidence,
  });
  try {
    const latest = await fetcher.get(url, 'sumdb-lookup', 16 * 1024);
    if (latest.status !== 200) return result(false, `GET ${url}: ${latest.status}`);
    if (!TREE_HEAD.test(latest.body))
      return result(false, `GET ${url}: 200 but the body is not a signed tree head`);
    return result(true, `GET ${url}: 200, a signed tree head`);
  } catch (error) {
    const failure = error as { phase?: string; code?: string; timedOut?: boolean; message?: string };
    const dnsVerdict = observation.dns.find((d) => d.assessment.verdict);
    if (dnsVerdict) return result(false, dnsVerdict.assessment.evidence[0] ?? 'dns');
    if (failure.timedOut)
      return result(false, `no answer within the ${context.deadlineMs} ms deadline during ${failure.phase}`);
    return result(
      false,
      `${failure.phase ?? 'connect'} ${failure.code ?? ''} ${failure.message ?? ''}`.trim(),
    );
  } finally {
    fetcher.close();
  }
}

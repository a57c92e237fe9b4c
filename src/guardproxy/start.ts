import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import type { LoadedConfig } from '../config/load.js';
import { parseVerifierKey } from '../integrity/verifier-key.js';
import { createRunContext } from '../probe/run-context.js';
import { stateDir, statePaths } from '../state/paths.js';
import type { GuardState } from '../state/store.js';
import { createAnswerCache } from './answer-cache.js';
import { createIntegrityGate } from './integrity-gate.js';
import { modulePrivacy } from './module-privacy.js';
import { GUARD_V8_FLAGS } from './node-flags.js';
import { type GuardDependencies, type RunningGuard, startGuardServer } from './server.js';
import { loadTreeHead, treeHeadKeeper } from './tree-head-file.js';
import { createUpstream } from './upstream.js';

/** Where the guard keeps immutable answers: under the state folder, so restore never touches it. */
export const cacheDir = (env: NodeJS.ProcessEnv) => join(stateDir(env), 'guard-cache');
/** The latest checksum database tree head the guard verified (a signed note), kept across restarts. */
export const treeHeadFile = (env: NodeJS.ProcessEnv) => join(stateDir(env), 'guard-tree-head.txt');

/**
 * Builds the guard from its parts and starts it: go's private-module settings (as go reads them:
 * environment, then its env file), the last probe verdicts from the state file as the mirrors'
 * starting standing, the answer cache under the state folder, the integrity gate, the upstream
 * client. Closing the guard closes every part.
 */
export async function startGuard(
  loaded: LoadedConfig,
  env: NodeJS.ProcessEnv,
  listen: { host: string; port: number },
  log: (level: 'verbose' | 'warning', message: string) => void,
  /** For tests: the server's timings (GuardDependencies). */
  tuning: Pick<GuardDependencies, 'writeWhenQuietMs'> = {},
): Promise<RunningGuard> {
  const { config, extraCas } = loaded;
  const route = loaded.route;
  // It runs all session long: small before fast to grow (node-flags.ts says what each one saves).
  for (const flag of GUARD_V8_FLAGS) setFlagsFromString(flag);
  const [go, probeVerdicts] = await Promise.all([privacySettings(env, log), lastVerdicts(env)]);
  const privacy = modulePrivacy(go);
  const cache = await createAnswerCache({
    dir: cacheDir(env),
    capBytes: config.guard.cacheMaxMb * 1024 * 1024,
  });
  const key = config.sumdb.key ? parseVerifierKey(config.sumdb.key) : undefined;
  const knownHead = key ? await loadTreeHead(treeHeadFile(env), key) : undefined;
  const headKeeper = treeHeadKeeper(treeHeadFile(env));
  // One trust store and DoH pool for the gate and the upstream client.
  const shared = createRunContext(config, extraCas, 0, config.canary, route);
  const gate = createIntegrityGate({
    config,
    extraCas,
    privacy,
    runContext: shared,
    ...(route ? { route } : {}),
    ...(knownHead ? { knownHead } : {}),
    onNewHead: headKeeper.keep,
  });
  const upstream = createUpstream({ config, extraCas, shared: shared.context, ...(route ? { route } : {}) });
  try {
    const guard = await startGuardServer(
      { config, upstream, gate, privacy, cache, probeVerdicts, log, ...tuning },
      listen,
    );
    void guard.closed.then(async () => {
      gate.close();
      await Promise.all([upstream.close(), headKeeper.flushed()]);
      shared.close();
    });
    return guard;
  } catch (error) {
    gate.close();
    await upstream.close();
    shared.close();
    throw error;
  }
}

/** GOPRIVATE, GONOPROXY, GONOSUMDB and GOSUMDB as go sees them; the environment alone without go. */
async function privacySettings(
  env: NodeJS.ProcessEnv,
  log: (level: 'verbose' | 'warning', message: string) => void,
) {
  try {
    const { readGoSettings } = await import('../system/go-env.js');
    const { effective } = await readGoSettings(env);
    return {
      goprivate: effective.GOPRIVATE,
      gonoproxy: effective.GONOPROXY,
      gonosumdb: effective.GONOSUMDB,
      gosumdb: effective.GOSUMDB,
    };
  } catch (error) {
    log(
      'warning',
      `go's settings were not read (${(error as Error).message}); private modules are taken from the environment only`,
    );
    return {
      goprivate: env.GOPRIVATE,
      gonoproxy: env.GONOPROXY,
      gonosumdb: env.GONOSUMDB,
      gosumdb: env.GOSUMDB,
    };
  }
}

async function lastVerdicts(env: NodeJS.ProcessEnv): Promise<Record<string, string>> {
  try {
    // Read, never repaired: a corrupt state file is for the next scheduled run to set aside.
    const state = JSON.parse(await readFile(statePaths(stateDir(env)).state, 'utf8')) as GuardState;
    return Object.fromEntries(
      Object.entries(state.mirrors).map(([name, track]) => [name, track.lastVerdict]),
    );
  } catch {
    return {}; // an unreadable state file only costs the head start
  }
}

export { splitListen } from './listen.js';

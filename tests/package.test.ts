import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningLab, startLab } from '../src/lab/scenarios.js';

// Uses what `npm run package` made in out/ (.ci/run packages before it tests).
const pkg = JSON.parse(await readFile('package.json', 'utf8'));
const dir = await mkdtemp(join(tmpdir(), 'gpg-package-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('npm install -g of the packed tarball', () => {
  let lab: RunningLab;
  beforeAll(async () => {
    lab = await startLab('healthy');
  });
  afterAll(() => lab.stop());

  it('installs the goproxy-guard command, which runs health on the lab, and uninstalls cleanly', async () => {
    const prefix = join(dir, 'prefix');
    // An absolute path: npm reads "out/x.tgz" as a GitHub shorthand and would go looking for it.
    const tarball = resolve('out', `goproxy-guard-${pkg.version}.tgz`);
    const install = await execa(
      'npm',
      ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--offline', tarball],
      { reject: false },
    );
    expect(install.exitCode, install.stderr).toBe(0);
    const bin = join(prefix, 'bin', 'goproxy-guard');
    expect((await execa(bin, ['--version'])).stdout).toBe(pkg.version);
    const health = await execa(bin, ['health', '--config', lab.configPath, '--json'], { reject: false });
    expect(health.exitCode, health.stderr).toBe(0);
    expect(JSON.parse(health.stdout).mirrors[0].verdict).toBe('healthy');
    const library = await import(join(prefix, 'lib', 'node_modules', 'goproxy-guard', 'dist', 'index.mjs'));
    expect(typeof library.hashZip).toBe('function');
    const uninstall = await execa('npm', ['uninstall', '-g', '--prefix', prefix, 'goproxy-guard'], {
      reject: false,
    });
    expect(uninstall.exitCode, uninstall.stderr).toBe(0);
    expect(await readdir(join(prefix, 'bin')).catch(() => [])).toEqual([]);
    expect(await readdir(join(prefix, 'lib', 'node_modules')).catch(() => [])).toEqual([]);
  }, 120_000);
});

describe('npm run package refuses a bad module', () => {
  async function moduleCopy(edit: (psd1: string) => string): Promise<string> {
    const copy = join(dir, `module-${Math.random()}`, 'GoProxyGuard');
    await cp('dist-psm/GoProxyGuard', copy, { recursive: true });
    const psd1 = join(copy, 'GoProxyGuard.psd1');
    await writeFile(psd1, edit(await readFile(psd1, 'utf8')));
    return copy;
  }
  const packageWith = (moduleDir: string) =>
    execa(process.execPath, ['scripts/package.mjs', '--module-dir', moduleDir, '--out', join(dir, 'out')], {
      reject: false,
    });

  it('whose version disagrees with package.json, naming both versions', async () => {
    const run = await packageWith(
      await moduleCopy((psd1) =>
        psd1.replace(`ModuleVersion        = '${pkg.version}'`, "ModuleVersion        = '9.9.9'"),
      ),
    );
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toBe(
      `package: the manifest version 9.9.9 is not package.json's version ${pkg.version}; rebuild with npm run build`,
    );
  }, 60_000);

  it('whose manifest Test-ModuleManifest rejects', async () => {
    const run = await packageWith(
      await moduleCopy((psd1) =>
        psd1.replace("RootModule           = 'GoProxyGuard.psm1'", "RootModule           = 'Missing.psm1'"),
      ),
    );
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/^package: the module manifest is invalid: /);
  }, 60_000);
});

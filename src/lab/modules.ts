import { escapeModulePath } from '../probe/module-path.js';
import { makeZip } from './zip.js';

/** The module every lab mirror serves; tests and lab configs use it as the canary. */
export const LAB_CANARY = { module: 'lab.test/canary', version: 'v1.1.0' } as const;
/** The checksum database the lab mirrors proxy. */
export const LAB_SUMDB = 'sum.lab.test';

/** What an honest lab mirror serves, keyed by GOPROXY path (escaped module, then /@v/...). */
export function labModuleFiles(): Map<string, string | Buffer> {
  const files = new Map<string, string | Buffer>();
  const versions = ['v1.0.0', LAB_CANARY.version];
  const base = `/${escapeModulePath(LAB_CANARY.module)}/@v`;
  files.set(`${base}/list`, `${versions.join('\n')}\n`);
  for (const version of versions) {
    files.set(`${base}/${version}.info`, JSON.stringify({ Version: version, Time: '2026-01-02T03:04:05Z' }));
    files.set(`${base}/${version}.mod`, LAB_GO_MOD);
    files.set(`${base}/${version}.zip`, labModuleZip(version));
  }
  return files;
}

const LAB_GO_MOD = `module ${LAB_CANARY.module}\n\ngo 1.19\n`;

/** The module zip go downloads: go.mod and one source file under module@version/. */
export function labModuleZip(version: string): Buffer {
  const prefix = `${LAB_CANARY.module}@${version}/`;
  return makeZip([
    { name: `${prefix}go.mod`, content: LAB_GO_MOD },
    {
      name: `${prefix}canary.go`,
      content: `// Package canary is the lab's module, ${version}.\npackage canary\n\nconst Version = "${version}"\n`,
    },
  ]);
}

/**
 * A lookup record in the checksum database's format (record id, go.sum lines, signed tree
 * head). The signature here is a placeholder of the right shape: the probe checks the format.
 */
export function labSumdbLookup(): string {
  const { module, version } = LAB_CANARY;
  return [
    '2',
    `${module} ${version} h1:${'A'.repeat(43)}=`,
    `${module} ${version}/go.mod h1:${'B'.repeat(43)}=`,
    '',
    'go.sum database tree',
    '3',
    `${'C'.repeat(43)}=`,
    '',
    `— ${LAB_SUMDB} ${'D'.repeat(92)}`,
    '',
  ].join('\n');
}

/** The signed tree head the lab database serves at /latest (same placeholder signature). */
export function labTreeHead(): string {
  return ['go.sum database tree', '3', `${'C'.repeat(43)}=`, '', `— ${LAB_SUMDB} ${'D'.repeat(92)}`, ''].join(
    '\n',
  );
}

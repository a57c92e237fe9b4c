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
  for (const module of LAB_SET) {
    const at = `/${escapeModulePath(module)}/@v`;
    const goMod = `module ${module}\n\ngo 1.19\n`;
    files.set(`${at}/list`, 'v1.0.0\n');
    files.set(`${at}/v1.0.0.info`, JSON.stringify({ Version: 'v1.0.0', Time: '2026-01-02T03:04:05Z' }));
    files.set(`${at}/v1.0.0.mod`, goMod);
    files.set(
      `${at}/v1.0.0.zip`,
      makeZip([
        { name: `${module}@v1.0.0/go.mod`, content: goMod },
        {
          name: `${module}@v1.0.0/set.go`,
          content: `// Package set is one of the lab's many modules.\npackage set\n`,
        },
      ]),
    );
  }
  return files;
}

/**
 * A set of small modules (v1.0.0 each) every lab mirror also serves, for downloads of many
 * modules at once (go fetches them in parallel). Not in the lab's checksum database: go and the
 * guard are told GONOSUMDB=lab.test for them.
 */
export const LAB_SET: readonly string[] = Array.from(
  { length: 24 },
  (_, i) => `lab.test/set/m${String(i + 1).padStart(2, '0')}`,
);

export const LAB_GO_MOD = `module ${LAB_CANARY.module}\n\ngo 1.19\n`;

/** The files of the module zip: go.mod and one source file under module@version/. */
export function labModuleFileList(version: string): { name: string; content: string }[] {
  const prefix = `${LAB_CANARY.module}@${version}/`;
  return [
    { name: `${prefix}go.mod`, content: LAB_GO_MOD },
    {
      name: `${prefix}canary.go`,
      content: `// Package canary is the lab's module, ${version}.\npackage canary\n\nconst Version = "${version}"\n`,
    },
  ];
}

/** The module zip go downloads. */
export function labModuleZip(version: string): Buffer {
  return makeZip(labModuleFileList(version));
}

/** The canary's zip with one file changed: what a poisoned CDN node might serve. */
export function labTamperedZip(): Buffer {
  return makeZip(
    labModuleFileList(LAB_CANARY.version).map((file) =>
      file.name.endsWith('.go')
        ? { ...file, content: `${file.content}\nfunc init() { /* backdoor */ }\n` }
        : file,
    ),
  );
}

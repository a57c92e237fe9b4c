import { createHash } from 'node:crypto';
import { h1FromFileHashes, hashGoMod } from '../integrity/h1.js';
import { escapeModulePath } from '../probe/module-path.js';
import { makeZip } from './zip.js';

/** The module every lab mirror serves; tests and lab configs use it as the canary. */
export const LAB_CANARY = { module: 'lab.test/canary', version: 'v1.1.0' } as const;
/** The checksum database the lab mirrors proxy. */
export const LAB_SUMDB = 'sum.lab.test';

/** What an honest lab mirror serves, keyed by GOPROXY path (escaped module, then /@v/...). */
export function labModuleFiles(large?: LabLargeModule): Map<string, string | Buffer> {
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
  if (large) {
    const at = `/${escapeModulePath(large.module)}/@v`;
    files.set(`${at}/list`, `${large.version}\n`);
    files.set(
      `${at}/${large.version}.info`,
      JSON.stringify({ Version: large.version, Time: '2026-01-02T03:04:05Z' }),
    );
    files.set(`${at}/${large.version}.mod`, large.goMod);
    files.set(`${at}/${large.version}.zip`, large.zip);
  }
  return files;
}

/** A module whose zip is far larger than anything a probe reads: what verify must stream. */
export interface LabLargeModule {
  module: string;
  version: string;
  goMod: string;
  zip: Buffer;
  /** The zip's h1, as the lab's checksum database records it. */
  zipHash: string;
  /** The same zip with one byte of content changed (made on first use: it is as large). */
  tamperedZip(): Buffer;
}

export const LAB_LARGE = { module: 'lab.test/large', version: 'v1.0.0' } as const;
const LARGE_FILE_BYTES = 16 * 1024 * 1024;
// Every mirror of a lab shares one copy: four mirrors of a 200 MB module hold 200 MB, not 800.
const largeModules = new Map<number, LabLargeModule>();

/** lab.test/large@v1.0.0 with about `bytes` of content, in 16 MiB files, stored uncompressed. */
export function labLargeModule(bytes: number): LabLargeModule {
  const known = largeModules.get(bytes);
  if (known) return known;
  const { module, version } = LAB_LARGE;
  const goMod = `module ${module}\n\ngo 1.19\n`;
  const entries: { name: string; content: string | Buffer }[] = [
    { name: `${module}@${version}/go.mod`, content: goMod },
  ];
  for (let i = 0; i * LARGE_FILE_BYTES < bytes; i++) {
    const size = Math.min(LARGE_FILE_BYTES, bytes - i * LARGE_FILE_BYTES);
    entries.push({
      name: `${module}@${version}/data/part${i}.txt`,
      content: Buffer.alloc(size, `lab.test/large part ${i}\n`),
    });
  }
  const zipHash = h1FromFileHashes(
    entries.map((e) => ({ name: e.name, sha256Hex: createHash('sha256').update(e.content).digest('hex') })),
  );
  const zip = makeZip(entries);
  let tampered: Buffer | undefined;
  const large: LabLargeModule = {
    module,
    version,
    goMod,
    zip,
    zipHash,
    tamperedZip: () => {
      if (!tampered) {
        tampered = Buffer.from(zip);
        // A byte in the middle lies inside some file's content: the zip still reads, its hash differs.
        const at = Math.floor(zip.length / 2);
        tampered[at] = (tampered[at] as number) ^ 0x20;
      }
      return tampered;
    },
  };
  largeModules.set(bytes, large);
  return large;
}

/** The go.sum hashes of the large module, for the lab's checksum database. */
export function labLargeRecord(large: LabLargeModule): {
  module: string;
  version: string;
  zip: string;
  mod: string;
} {
  return { module: large.module, version: large.version, zip: large.zipHash, mod: hashGoMod(large.goMod) };
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

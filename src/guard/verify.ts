import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import { hashGoMod, hashZip } from '../integrity/h1.js';
import type { ProbeContext } from '../probe/context.js';
import { type DatabaseHealth, probeDatabase } from '../probe/database.js';
import { createFetcher } from '../probe/fetcher.js';
import { escapeModulePath } from '../probe/module-path.js';
import { createRunContext } from '../probe/run-context.js';
import type { MirrorObservation } from '../probe/types.js';

export type Agreement = 'ok' | 'mismatch' | 'unavailable';

export interface MirrorIntegrity {
  name: string;
  url: string;
  mod: Agreement;
  zip: Agreement;
  evidence: string[];
}

export interface VerifyReport {
  module: string;
  version: string;
  database: DatabaseHealth;
  /** Where the verified record came from: the database itself or a mirror's proxy of it. */
  recordFrom: string | null;
  mirrors: MirrorIntegrity[];
}

/** A zip larger than this is refused rather than downloaded: no module zip is this large. */
const MAX_ZIP_BYTES = 500 * 1024 * 1024;

/**
 * Fetches a module version's .mod and .zip from every mirror (or the named ones), hashes them, and
 * compares the hashes with the record of the checksum database, verified (signature, inclusion)
 * directly or through a mirror's proxy of the database.
 */
export async function verifyModule(
  loaded: LoadedConfig,
  target: { module: string; version: string },
): Promise<VerifyReport> {
  const { config, extraCas } = loaded;
  const { context, close } = createRunContext(
    config,
    extraCas,
    Math.max(config.deadlineMs, 60_000),
    target,
    loaded.route,
  );
  const dir = await mkdtemp(join(tmpdir(), 'goproxy-guard-verify-'));
  try {
    // The record is signed: fetched through a mirror's proxy it is exactly as trustworthy.
    let database = await probeDatabase(config.sumdb, context, undefined, target);
    let recordFrom: string | null = database.record ? config.sumdb.url : null;
    for (const mirror of database.record ? [] : config.mirrors) {
      const proxied = await probeDatabase(
        { ...config.sumdb, url: `${mirror.url}/sumdb/${config.sumdb.name}` },
        context,
        undefined,
        target,
      );
      if (proxied.record) {
        database = proxied;
        recordFrom = proxied.url;
        break;
      }
    }
    const mirrors = await Promise.all(
      config.mirrors.map((mirror) => checkMirror(mirror, target, database, context, dir)),
    );
    return { ...target, database, recordFrom, mirrors };
  } finally {
    close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function checkMirror(
  mirror: { name: string; url: string },
  target: { module: string; version: string },
  database: DatabaseHealth,
  context: ProbeContext,
  dir: string,
): Promise<MirrorIntegrity> {
  const observation: MirrorObservation = { phases: {}, dns: [], exchanges: [] };
  const fetcher = createFetcher(context, observation);
  const base = `${mirror.url}/${escapeModulePath(target.module)}/@v/${target.version}`;
  const evidence: string[] = [];
  const compare = (
    what: 'mod' | 'zip',
    served: string | undefined,
    recorded: string | undefined,
  ): Agreement => {
    if (served === undefined) return 'unavailable';
    if (!recorded) {
      evidence.push(`${what}: ${served} (no verified record to compare with)`);
      return 'unavailable';
    }
    if (served === recorded) return 'ok';
    evidence.push(`${what}: this mirror serves ${served}, the checksum database records ${recorded}`);
    return 'mismatch';
  };
  try {
    // The .mod is small and kept in memory; the .zip goes straight to disk, then is hashed from
    // there: every mirror downloads at once, and none holds its zip in memory.
    const fetch = async (suffix: string, limit: number, file?: string) => {
      try {
        const exchange = file
          ? await fetcher.download(`${base}${suffix}`, 'mod', file, limit)
          : await fetcher.get(`${base}${suffix}`, 'mod', limit);
        if (exchange.status !== 200) evidence.push(`GET ${base}${suffix}: ${exchange.status}`);
        else if (exchange.truncated) evidence.push(`GET ${base}${suffix}: larger than ${limit} bytes`);
        else return exchange;
      } catch (error) {
        evidence.push(`GET ${base}${suffix}: ${(error as Error).message}`);
      }
      return undefined;
    };
    const mod = await fetch('.mod', 1024 * 1024);
    const zipFile = join(dir, `${mirror.name}.zip`);
    const zip = await fetch('.zip', MAX_ZIP_BYTES, zipFile);
    let zipHash: string | undefined;
    if (zip) {
      try {
        zipHash = await hashZip(zipFile);
      } catch (error) {
        evidence.push(`zip: ${(error as Error).message}`);
      }
    }
    // Hashed: the file is not needed any more (the directory goes at the end of the run).
    await rm(zipFile, { force: true });
    return {
      name: mirror.name,
      url: mirror.url,
      mod: compare('mod', mod ? hashGoMod(mod.bytes) : undefined, database.record?.mod),
      zip: compare('zip', zipHash, database.record?.zip),
      evidence,
    };
  } finally {
    fetcher.close();
  }
}

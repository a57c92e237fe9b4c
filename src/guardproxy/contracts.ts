/**
 * The seams between the guard proxy's parts, written down first so they can be built apart:
 * the server (routing, upstream failover, hedging) calls an IntegrityGate before it serves a
 * .mod or .zip, and keeps immutable answers in an AnswerCache. Both are built behind these types.
 */

/** Whether go's own settings keep a module away from mirrors or from the checksum database. */
export interface ModulePrivacy {
  /** GOPRIVATE / GONOPROXY cover it: it must never be sent to any mirror (the guard answers 404). */
  neverUpstream(modulePath: string): boolean;
  /** GOPRIVATE / GONOSUMDB cover it (or GOSUMDB=off): served without a database check. */
  notChecked(modulePath: string): boolean;
}

export type IntegrityResult =
  /** The file's h1 equals the database's proven record (tree head signed, record included). */
  | { outcome: 'verified'; h1: string }
  /** The file's h1 differs from the proven record: the mirror that served it is tampered. */
  | { outcome: 'mismatch'; h1: string; expected: string }
  /** No check was made (private module, or the database and every mirror's proxy of it failed). */
  | { outcome: 'unchecked'; reason: string };

/** A module version's .mod or .zip to check: a zip is read from its file, a go.mod from either. */
export type CheckedFile = { module: string; version: string } & (
  | { kind: 'mod' | 'zip'; file: string }
  | { kind: 'mod'; body: Buffer }
);

export interface IntegrityGate {
  /**
   * Hashes a fully received .mod or .zip (on disk, or a go.mod held in memory) and compares it
   * with the checksum database's proven record for module@version. Never throws for a network
   * failure: that is 'unchecked' with the reason; go still verifies what it gets against go.sum
   * and the database.
   */
  check(target: CheckedFile, signal: AbortSignal): Promise<IntegrityResult>;
}

export interface CachedAnswer {
  /** The file holding the body, to be streamed to the client (never read whole). */
  file: string;
  size: number;
  contentType: string;
  /** When it was stored (ms since the epoch), for short-lived answers (lists, @latest). */
  storedAt: number;
}

export interface AnswerCache {
  /** A temp path inside the cache folder to stream a download into (same volume: rename is atomic). */
  tempFile(): string;
  /**
   * Takes ownership of a fully received, validated (and, for .mod/.zip, verified) temp file under
   * a key such as "mod/<escaped module>/@v/<version>.zip"; evicts least recently used answers over
   * the size cap.
   */
  store(key: string, tempFile: string, contentType: string, now: number): Promise<CachedAnswer>;
  /**
   * Keeps a body received whole in memory, written to `tempFile` (a path from tempFile(), not yet
   * made) first; when the key already holds these very bytes, nothing is written and only the
   * time it was stored moves (a list asked again and unchanged).
   */
  storeBody(
    key: string,
    tempFile: string,
    body: Buffer,
    contentType: string,
    now: number,
  ): Promise<CachedAnswer>;
  /** The cached answer, or undefined; marks it recently used. */
  lookup(key: string): Promise<CachedAnswer | undefined>;
  /**
   * When an answer was stored, if the index has one, with no file operation and without marking
   * it used: whether a list is fresh enough is known before any disk is touched.
   */
  peek(key: string): { storedAt: number } | undefined;
  /** Total bytes held and entries, for /_guard/status. */
  usage(): { bytes: number; entries: number; capBytes: number };
}

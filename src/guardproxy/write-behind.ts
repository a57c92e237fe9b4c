/** An answer held in memory until it is written to the cache. */
export interface HeldAnswer {
  body: Buffer;
  contentType: string;
  storedAt: number;
}

export interface WriteBehindOptions {
  /** Writes one held answer to the cache; its failure is the writer's to report (never thrown here). */
  write(key: string, answer: HeldAnswer): Promise<void>;
  /** Quiet time (no request) after which the held answers are written. */
  quietMs: number;
  /** Held longer than this, answers are written even while requests keep coming. */
  maxHoldMs: number;
  /** Held bytes beyond this are written at once. */
  maxBytes: number;
  /**
   * Held bytes never go beyond this: when the disk falls behind a burst, a new answer is served
   * but not kept (the next request for it asks a mirror again), so memory stays bounded.
   */
  hardMaxBytes: number;
  now?: () => number;
}

/**
 * Small answers (lists, .info, go.mod, small zips: bodies the guard has whole in memory) are kept
 * in memory and written to the cache only when go has gone quiet. go asks for a download's files
 * one after another, so disk work between two requests delays the next answer on a machine with
 * few cores; a held answer is served from memory meanwhile. Bounded in bytes and in age, so a
 * guard under constant load still writes, and memory stays small.
 */
export function createWriteBehind(options: WriteBehindOptions) {
  const now = options.now ?? Date.now;
  const held = new Map<string, HeldAnswer>();
  // Held answers not yet handed to a write: past the byte bound every new answer asks for one,
  // and what is already on its way to the disk must not be written again each time.
  const unqueued = new Map<string, HeldAnswer>();
  let heldBytes = 0;
  let notKept = 0;
  let oldest = 0;
  let lastRequest = 0;
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  const release = (key: string, answer: HeldAnswer) => {
    if (held.get(key) !== answer) return; // replaced meanwhile by a newer answer, still held
    held.delete(key);
    heldBytes -= answer.body.length;
  };

  /** Writes everything held now, one answer at a time (in order, after any writing under way). */
  function writeAll(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const batch = [...unqueued];
    unqueued.clear();
    oldest = now();
    writing = writing.then(async () => {
      for (const [key, answer] of batch) {
        await options.write(key, answer).catch(() => {});
        release(key, answer);
      }
    });
    return writing;
  }

  function schedule() {
    if (timer || unqueued.size === 0) return;
    const at = now();
    const quietIn = lastRequest + options.quietMs - at;
    const overdueIn = oldest + options.maxHoldMs - at;
    const wait = Math.max(0, Math.min(quietIn, overdueIn));
    timer = setTimeout(() => {
      timer = undefined;
      const later = now();
      if (later - lastRequest >= options.quietMs || later - oldest >= options.maxHoldMs) void writeAll();
      else schedule();
    }, wait);
    timer.unref();
  }

  return {
    /** The answer held for key, if it waits to be written. */
    get: (key: string): HeldAnswer | undefined => held.get(key),
    /** Holds an answer until go goes quiet (or the bounds are reached); false when it is not kept. */
    hold(key: string, answer: HeldAnswer): boolean {
      const previous = held.get(key);
      if (heldBytes - (previous?.body.length ?? 0) + answer.body.length > options.hardMaxBytes) {
        notKept++;
        return false;
      }
      if (previous) heldBytes -= previous.body.length;
      if (unqueued.size === 0) oldest = now();
      held.set(key, answer);
      unqueued.set(key, answer);
      heldBytes += answer.body.length;
      if (heldBytes > options.maxBytes) void writeAll();
      else schedule();
      return true;
    },
    /** A request arrived: writing waits for the next quiet moment. */
    requestArrived() {
      lastRequest = now();
    },
    /** Writes everything held (at close) and resolves when done. */
    flush: () => writeAll(),
    /** Answers held and their bytes now; answers not kept since start because too much was held. */
    usage: () => ({ answers: held.size, bytes: heldBytes, notKept }),
  };
}

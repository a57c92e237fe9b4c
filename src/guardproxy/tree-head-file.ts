import { readUserFile } from '../config/read-file.js';
import { verifyNote } from '../integrity/note.js';
import { parseTreeHead, type TreeHead } from '../integrity/tree.js';
import type { VerifierKey } from '../integrity/verifier-key.js';
import { writeFileAtomic } from '../state/atomic.js';

/** A signed tree head is a few hundred bytes; anything much larger is not one. */
const MAX_NOTE_BYTES = 16 * 1024;

/**
 * The latest tree head the guard verified, read back at start: as go keeps its own in
 * $GOPATH/pkg/sumdb, so that a database (or a mirror's proxy of it) showing a restarted guard a
 * history that forks from the one it saw before is caught, not taken as new. The file holds the
 * signed note, and it is checked against the key again here: a note that is missing, unreadable,
 * or not signed by this database's key is no head at all (the first lookup sets one again).
 */
export async function loadTreeHead(file: string, key: VerifierKey): Promise<TreeHead | undefined> {
  try {
    const note = await readUserFile(file, MAX_NOTE_BYTES, 'the guard tree head file');
    return parseTreeHead(verifyNote(note, [key]).text);
  } catch {
    return undefined;
  }
}

/**
 * Keeps each newer verified signed tree head for the next start, in the background: one write at
 * a time, and of a burst of new heads only the last. `flushed()` resolves when nothing is left to
 * write. A write that fails only loses the head start.
 */
export function treeHeadKeeper(file: string) {
  let next: string | undefined;
  let writing: Promise<void> = Promise.resolve();
  let busy = false;
  const drain = async () => {
    busy = true;
    while (next !== undefined) {
      const note = next;
      next = undefined;
      await writeFileAtomic(file, note).catch(() => {});
    }
    busy = false;
  };
  return {
    keep(note: string): void {
      next = note;
      if (!busy) writing = drain();
    },
    flushed: () => writing,
  };
}

import { verify } from 'node:crypto';
import type { VerifierKey } from './verifier-key.js';

export interface VerifiedNote {
  /** The signed text, ending with a newline. */
  text: string;
  /** The signatures made by the given keys, all checked. */
  verifiedBy: string[];
  /** Signatures by keys we do not know (neither checked nor trusted). */
  unknown: string[];
}

export class NoteError extends Error {
  override name = 'NoteError';
}

// \u2014 is the em dash a signature line starts with, escaped (here and in the probes' patterns):
// one non-ASCII character makes V8 hold the whole bundled runtime's source two bytes a character.
const SIGNATURE_LINE = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/;
const MAX_SIGNATURES = 100;

/**
 * Verifies a signed note (golang.org/x/mod/sumdb/note): text, a blank line, then lines
 * "— <name> <base64(4-byte key hash || signature)>". Each signature covers the text including
 * its final newline. At least one signature must be by a known key, and every signature by a
 * known key must verify.
 */
export function verifyNote(message: string | Buffer, keys: VerifierKey[]): VerifiedNote {
  let text: string;
  if (Buffer.isBuffer(message)) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(message);
    } catch {
      throw new NoteError('malformed note: not valid UTF-8');
    }
  } else text = message;
  if ([...text].some((char) => char < ' ' && char !== '\n')) {
    throw new NoteError('malformed note: control characters other than newline');
  }
  const split = text.lastIndexOf('\n\n');
  if (split < 0 || !text.endsWith('\n'))
    throw new NoteError('malformed note: no blank line before the signatures');
  const body = text.slice(0, split + 1);
  const lines = text.slice(split + 2, -1).split('\n');
  if (lines.length > MAX_SIGNATURES)
    throw new NoteError(`malformed note: more than ${MAX_SIGNATURES} signatures`);
  const verifiedBy: string[] = [];
  const unknown: string[] = [];
  for (const line of lines) {
    const match = SIGNATURE_LINE.exec(line);
    if (!match)
      throw new NoteError(`malformed note: bad signature line ${JSON.stringify(line.slice(0, 80))}`);
    const [, name = '', encoded = ''] = match;
    const signature = Buffer.from(encoded, 'base64');
    if (signature.length < 5) throw new NoteError(`malformed note: signature by ${name} is too short`);
    const hash = signature.readUInt32BE(0);
    const key = keys.find((k) => k.name === name && k.hash === hash);
    if (!key) {
      unknown.push(name);
      continue;
    }
    if (!verify(null, Buffer.from(body, 'utf8'), key.key, signature.subarray(4))) {
      throw new NoteError(`invalid signature by ${name} (key ${key.hash.toString(16).padStart(8, '0')})`);
    }
    verifiedBy.push(name);
  }
  if (verifiedBy.length === 0) {
    throw new NoteError(`no signature by a known key (signed by: ${unknown.join(', ') || 'nobody'})`);
  }
  return { text: body, verifiedBy, unknown };
}

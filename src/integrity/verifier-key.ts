import { createHash, createPublicKey, type KeyObject } from 'node:crypto';

/** A checksum database's public key, parsed from "<name>+<hash>+<base64(0x01 || key)>". */
export interface VerifierKey {
  name: string;
  /** The 4-byte key hash that signatures carry, as an unsigned number. */
  hash: number;
  key: KeyObject;
  text: string;
}

/** The key go has built in for sum.golang.org. */
export const SUM_GOLANG_ORG_KEY = 'sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8';

const ALG_ED25519 = 1;
// An Ed25519 public key as SubjectPublicKeyInfo DER: this prefix, then the 32 key bytes.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export class KeyError extends Error {
  override name = 'KeyError';
}

/** The key hash go computes: the first 4 bytes of SHA-256(name + "\n" + 0x01 + key). */
export function keyHash(name: string, keyWithAlg: Buffer): number {
  return createHash('sha256').update(`${name}\n`).update(keyWithAlg).digest().readUInt32BE(0);
}

/**
 * Parses a verifier key as go writes it. The base64 part may itself contain "+", so the text is
 * split at the first two "+" only. The key hash is checked against the key.
 */
export function parseVerifierKey(text: string): VerifierKey {
  const first = text.indexOf('+');
  const second = first < 0 ? -1 : text.indexOf('+', first + 1);
  if (first <= 0 || second < 0) throw new KeyError(`verifier key "${text}" is not <name>+<hash>+<key>`);
  const name = text.slice(0, first);
  const hashText = text.slice(first + 1, second);
  const keyText = text.slice(second + 1);
  if (/[\s+]/.test(name)) throw new KeyError(`verifier key name "${name}" must not contain spaces or "+"`);
  if (!/^[0-9a-f]{8}$/.test(hashText))
    throw new KeyError(`verifier key hash "${hashText}" must be 8 lower-case hex digits`);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(keyText))
    throw new KeyError(`verifier key "${name}" has a key that is not base64`);
  const keyWithAlg = Buffer.from(keyText, 'base64');
  if (keyWithAlg.length !== 33 || keyWithAlg[0] !== ALG_ED25519) {
    throw new KeyError(`verifier key "${name}" is not an Ed25519 key (expected 0x01 and 32 bytes)`);
  }
  const hash = Number.parseInt(hashText, 16);
  if (keyHash(name, keyWithAlg) !== hash)
    throw new KeyError(`verifier key "${name}" has a hash that does not match its key`);
  const key = createPublicKey({
    key: Buffer.concat([ED25519_SPKI_PREFIX, keyWithAlg.subarray(1)]),
    format: 'der',
    type: 'spki',
  });
  return { name, hash, key, text };
}

import { createHash } from 'node:crypto';

// The serialized store element ("Blob") the Windows root stores keep per certificate, as crypt32
// writes it: properties, each a DWORD id, a DWORD encoding type and a DWORD length, then the
// bytes; 3 is the SHA-1 thumbprint, 0x20 the certificate. windows-registry.test.ts checks this
// reading against the blobs Wine's own crypt32 writes.

export function storeProperty(id: number, data: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt32LE(id, 0);
  head.writeUInt32LE(1, 4);
  head.writeUInt32LE(data.length, 8);
  return Buffer.concat([head, data]);
}

/** The Blob for one certificate (DER), as hex for `reg add /t REG_BINARY`. */
export function storeBlob(der: Buffer): string {
  return Buffer.concat([
    storeProperty(3, createHash('sha1').update(der).digest()),
    storeProperty(0x20, der),
  ]).toString('hex');
}

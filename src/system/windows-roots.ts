import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { readSubkeyValues, subkeyValues } from './registry.js';
import type { StoredValue } from './registry-data.js';

// go on Windows verifies TLS with the Windows certificate store; Node (and so the probes) trusts
// its own bundled roots. On a desktop behind TLS inspection the inspection root is deployed to
// the Windows store (often by Group Policy), so without these the probes would call every
// mirror tls-invalid while go works. The stores are read from the registry, where each
// certificate is a subkey named by its SHA-1 thumbprint holding a serialized "Blob".

/** The root stores read, in the registry, each with the name a person knows it by. */
export const WINDOWS_ROOT_STORES = [
  { key: 'HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\ROOT\\Certificates', store: 'LocalMachine Root' },
  {
    key: 'HKLM\\SOFTWARE\\Policies\\Microsoft\\SystemCertificates\\Root\\Certificates',
    store: 'Group Policy Root',
  },
  { key: 'HKLM\\SOFTWARE\\Microsoft\\EnterpriseCertificates\\Root\\Certificates', store: 'Enterprise Root' },
  { key: 'HKCU\\Software\\Microsoft\\SystemCertificates\\Root\\Certificates', store: 'CurrentUser Root' },
] as const;

export interface WindowsRoot {
  /** Where it was found, e.g. "Group Policy Root". */
  store: string;
  pem: string;
}

// A serialized store element is a run of properties, each a DWORD id, a DWORD encoding type and
// a DWORD length, then the bytes; the certificate itself is the property with this id.
const CERTIFICATE_PROPERTY = 0x20;

/** The DER certificate in a "Blob", or undefined when the blob does not hold one exactly. */
export function certificateFromBlob(hex: string): Buffer | undefined {
  const bytes = Buffer.from(hex, 'hex');
  for (let at = 0; at + 12 <= bytes.length; ) {
    const end = at + 12 + bytes.readUInt32LE(at + 8);
    if (end > bytes.length) return undefined;
    if (bytes.readUInt32LE(at) === CERTIFICATE_PROPERTY) return bytes.subarray(at + 12, end);
    at = end;
  }
  return undefined;
}

/**
 * The certificates of one store's export that are not in `known` (base64 DER bodies, which it
 * gains), skipping any entry that is not a readable certificate.
 */
export function rootsInExport(
  text: string,
  key: string,
  store: string,
  known = new Set<string>(),
): WindowsRoot[] {
  return rootsInStore(subkeyValues(text, key), store, known);
}

/** The certificates of one store (its subkeys' values) that are not in `known`, which gains them. */
export function rootsInStore(
  entries: Map<string, Map<string, StoredValue>>,
  store: string,
  known = new Set<string>(),
): WindowsRoot[] {
  const roots: WindowsRoot[] = [];
  for (const values of entries.values()) {
    const blob = values.get('blob');
    const der = blob?.type === 'REG_BINARY' ? certificateFromBlob(blob.value) : undefined;
    if (!der) continue;
    const body = der.toString('base64');
    if (known.has(body)) continue; // already trusted: no need to parse it
    known.add(body);
    try {
      roots.push({ store, pem: new X509Certificate(der).toString() });
    } catch {
      // not a certificate Node can read: it cannot anchor a chain for the probes either
    }
  }
  return roots;
}

/**
 * The roots in the Windows stores that Node does not already trust. A store that cannot be read
 * is skipped and named in `unreadable`: the probes then trust less, never more.
 */
export async function readWindowsRoots(
  env: NodeJS.ProcessEnv,
): Promise<{ roots: WindowsRoot[]; unreadable: string[] }> {
  const unreadable: string[] = [];
  const stores = await Promise.all(
    WINDOWS_ROOT_STORES.map(({ key, store }) =>
      readSubkeyValues(key, env).catch((error: Error) => {
        unreadable.push(`${store}: ${error.message}`);
        return undefined;
      }),
    ),
  );
  // Node's own roots, as base64 DER: most of a LocalMachine Root store is among them.
  const known = new Set(rootCertificates.map((pem) => pem.replace(/-----[^-]+-----|\s/g, '')));
  const roots = WINDOWS_ROOT_STORES.flatMap(({ store }, i) => {
    const entries = stores[i];
    return entries === undefined ? [] : rootsInStore(entries, store, known);
  });
  return { roots, unreadable };
}

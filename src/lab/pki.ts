import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as Crypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 3600 * 1000;

export interface Authority {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
  pem: string;
}

/** A leaf ready for a TLS server: key and chain PEM (leaf first, then what the server sends). */
export interface ServerIdentity {
  keyPem: string;
  certPem: string;
  /** Leaf plus intermediate, unless the fault is a missing intermediate. */
  chainPem: string;
}

export type LeafFault =
  | 'none'
  | 'expired'
  | 'wrong-name'
  | 'missing-intermediate'
  | 'self-signed'
  | 'inspection'
  | 'client-only' // a leaf for TLS clients (extended key usage clientAuth), not servers
  | 'cn-only'; // a leaf naming its host only in the Common Name, with no subject alternative names

/** A root and an intermediate made at run time; no key is ever committed. */
export interface LabPki {
  root: Authority;
  intermediate: Authority;
  /** A root of its own, like the one a corporate TLS-inspecting proxy signs with. */
  inspection: Authority;
  issue(names: string[], fault?: LeafFault): Promise<ServerIdentity>;
}

async function keyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function keyPem(keys: CryptoKeyPair): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as webcrypto.CryptoKey);
  return x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
}

let serial = 1;
const nextSerial = () => (serial++).toString(16).padStart(2, '0');

/** A self-signed root; `label` makes distinct roots (the lab's, an untrusted one, an inspection one). */
export async function createRoot(label: string): Promise<Authority> {
  const keys = await keyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: nextSerial(),
    name: `CN=${label}, O=GoProxyGuard Lab`,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 30 * DAY),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 2, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, keys, pem: cert.toString('pem') };
}

async function issueCa(parent: Authority, label: string): Promise<Authority> {
  const keys = await keyPair();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: nextSerial(),
    subject: `CN=${label}, O=GoProxyGuard Lab`,
    issuer: parent.cert.subject,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 30 * DAY),
    signingKey: parent.keys.privateKey,
    publicKey: keys.publicKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(parent.keys.publicKey),
    ],
  });
  return { cert, keys, pem: cert.toString('pem') };
}

async function issueLeaf(
  issuer: Authority,
  names: string[],
  expired: boolean,
  fault: LeafFault = 'none',
): Promise<x509.X509Certificate & { keys: CryptoKeyPair }> {
  const usage = fault === 'client-only' ? x509.ExtendedKeyUsage.clientAuth : x509.ExtendedKeyUsage.serverAuth;
  const sans = new x509.SubjectAlternativeNameExtension(
    names.map((name) => ({
      type: /^[\d.]+$|:/.test(name) ? ('ip' as const) : ('dns' as const),
      value: name,
    })),
  );
  const keys = await keyPair();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: nextSerial(),
    subject: `CN=${names[0]}`,
    issuer: issuer.cert.subject,
    notBefore: new Date(expired ? now - 10 * DAY : now - DAY),
    notAfter: new Date(expired ? now - 2 * DAY : now + 7 * DAY),
    signingKey: issuer.keys.privateKey,
    publicKey: keys.publicKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([usage]),
      ...(fault === 'cn-only' ? [] : [sans]),
      await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey),
    ],
  });
  return Object.assign(cert, { keys });
}

/** Makes the lab's root and intermediate; leaves are issued per server with an optional fault. */
export async function createPki(): Promise<LabPki> {
  const root = await createRoot('GoProxyGuard Lab Root');
  const intermediate = await issueCa(root, 'GoProxyGuard Lab Intermediate');
  const inspection = await createRoot('Corp TLS Inspection Root');
  return {
    root,
    intermediate,
    inspection,
    async issue(names, fault = 'none') {
      if (fault === 'inspection') {
        const leaf = await issueLeaf(inspection, names, false);
        const pem = leaf.toString('pem');
        return { keyPem: await keyPem(leaf.keys), certPem: pem, chainPem: `${pem}\n${inspection.pem}` };
      }
      if (fault === 'self-signed') {
        const self = await createRoot(names[0] ?? 'self-signed');
        const leaf = await issueLeaf(self, names, false);
        const pem = leaf.toString('pem');
        return { keyPem: await keyPem(leaf.keys), certPem: pem, chainPem: `${pem}\n${self.pem}` };
      }
      const leafNames = fault === 'wrong-name' ? ['wrong-name.lab.test'] : names;
      const leaf = await issueLeaf(intermediate, leafNames, fault === 'expired', fault);
      const pem = leaf.toString('pem');
      const chainPem = fault === 'missing-intermediate' ? pem : `${pem}\n${intermediate.pem}`;
      return { keyPem: await keyPem(leaf.keys), certPem: pem, chainPem };
    },
  };
}

import { describe, expect, it } from 'vitest';
import { certificateFromBlob, rootsInExport } from '../src/system/windows-roots.js';
import { storeProperty } from './store-blob.js';

// Blobs in the layout of the Windows root stores (tests/store-blob.ts); Wine's own writes are
// checked in windows-registry.test.ts.
const DER = Buffer.from('3082010a', 'hex');

describe('a certificate store Blob', () => {
  it('gives the certificate property, after the properties before it', () => {
    const blob = Buffer.concat([storeProperty(3, Buffer.alloc(20, 1)), storeProperty(0x20, DER)]).toString(
      'hex',
    );
    expect(certificateFromBlob(blob)).toEqual(DER);
  });

  it.each([
    ['no certificate property', Buffer.concat([storeProperty(3, Buffer.alloc(20))]).toString('hex')],
    ['a length past its end', storeProperty(0x20, DER).toString('hex').slice(0, -2)],
    ['less than one property header', '2000000001000000'],
    ['nothing', ''],
  ])('gives nothing for %s', (_, hex) => {
    expect(certificateFromBlob(hex)).toBeUndefined();
  });

  it('skips entries that are not certificates Node can read', () => {
    const key = 'HKLM\\SOFTWARE\\Policies\\Microsoft\\SystemCertificates\\Root\\Certificates';
    const text = [
      'Windows Registry Editor Version 5.00',
      '',
      `[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\SystemCertificates\\Root\\Certificates]`,
      '',
      `[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\SystemCertificates\\Root\\Certificates\\AB12]`,
      `"Blob"=hex:${storeProperty(0x20, DER)
        .toString('hex')
        .replace(/(..)(?!$)/g, '$1,')}`,
      '',
      `[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\SystemCertificates\\Root\\Certificates\\CD34]`,
      '"Other"="not a blob"',
      '',
    ].join('\r\n');
    expect(rootsInExport(text, key, 'Group Policy Root')).toEqual([]);
  });
});

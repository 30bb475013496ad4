import { X509Certificate } from 'node:crypto';
import { testCredentials as creds } from '../testing/test-credentials.js';
import { ENVIRONMENT_OIDS, certificateEnvironments } from './certificate-environment.js';
import { decodeDerOid } from './der-reader.js';

const der = (pem: string): Buffer => new X509Certificate(pem).raw;

describe('certificateEnvironments', () => {
  it("reads Apple's environment marks: sandbox only, production only, both", () => {
    expect(certificateEnvironments(der(creds.sandboxClientCert))).toEqual(new Set(['sandbox']));
    expect(certificateEnvironments(der(creds.productionClientCert))).toEqual(new Set(['production']));
    expect(certificateEnvironments(der(creds.universalClientCert))).toEqual(new Set(['sandbox', 'production']));
  });

  it('does not judge a certificate without the marks, nor bytes that are not a certificate', () => {
    expect(certificateEnvironments(der(creds.clientCert))).toBeUndefined();
    expect(certificateEnvironments(der(creds.ca))).toBeUndefined();
    expect(certificateEnvironments(Buffer.from('not a certificate'))).toBeUndefined();
    expect(certificateEnvironments(Buffer.alloc(0))).toBeUndefined();
  });

  it('never throws on a certificate cut short or with bytes flipped', () => {
    const bytes = der(creds.productionClientCert);
    for (let cut = 0; cut < bytes.length; cut += 7) expect(() => certificateEnvironments(bytes.subarray(0, cut))).not.toThrow();
    for (let i = 0; i < bytes.length; i += 3) {
      const flipped = Buffer.from(bytes);
      flipped[i] = flipped[i]! ^ 0xff;
      expect(() => certificateEnvironments(flipped)).not.toThrow();
    }
  });
});

describe('decodeDerOid', () => {
  it('decodes the environment OIDs, multi-byte arcs included', () => {
    const sandbox = Buffer.from('060a2a864886f76364060301', 'hex');
    expect(decodeDerOid(sandbox, { tag: 6, start: 2, end: sandbox.length })).toBe(ENVIRONMENT_OIDS.sandbox);
    const sha256 = Buffer.from('0609608648016503040201', 'hex');
    expect(decodeDerOid(sha256, { tag: 6, start: 2, end: sha256.length })).toBe('2.16.840.1.101.3.4.2.1');
  });

  it('refuses an arc padded with 0x80 or cut off mid-arc', () => {
    const padded = Buffer.from('0603808648', 'hex');
    expect(decodeDerOid(padded, { tag: 6, start: 2, end: 5 })).toBeUndefined();
    const cut = Buffer.from('06022a86', 'hex');
    expect(decodeDerOid(cut, { tag: 6, start: 2, end: 4 })).toBeUndefined();
  });
});

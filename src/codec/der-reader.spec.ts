import { X509Certificate, createPrivateKey } from 'node:crypto';
import { testCredentials as creds } from '../testing/test-credentials.js';
import { isSingleDerSequence, readDerChildren, readDerElement } from './der-reader.js';

const certDer = new X509Certificate(creds.clientCert).raw;
const keyDer = createPrivateKey(creds.signingKey).export({ format: 'der', type: 'pkcs8' });

describe('isSingleDerSequence', () => {
  it('holds for a certificate, a PKCS#8 key and a PKCS#12 bundle', () => {
    expect(isSingleDerSequence(certDer)).toBe(true);
    expect(isSingleDerSequence(keyDer)).toBe(true);
    expect(isSingleDerSequence(creds.clientPfx)).toBe(true);
  });

  it('fails for bytes cut short, with a byte after the end, or not a SEQUENCE', () => {
    expect(isSingleDerSequence(certDer.subarray(0, certDer.length - 1))).toBe(false);
    expect(isSingleDerSequence(Buffer.concat([certDer, Buffer.from([0])]))).toBe(false);
    expect(isSingleDerSequence(Buffer.from('/etc/apns/AuthKey.p8'))).toBe(false);
    expect(isSingleDerSequence(Buffer.from([0x30]))).toBe(false);
    expect(isSingleDerSequence(Buffer.alloc(0))).toBe(false);
  });

  it("accepts BER's indefinite length only with its end-of-contents marker", () => {
    expect(isSingleDerSequence(Buffer.from([0x30, 0x80, 0x02, 0x01, 0x03, 0x00, 0x00]))).toBe(true);
    expect(isSingleDerSequence(Buffer.from([0x30, 0x80, 0x02, 0x01, 0x03]))).toBe(false);
  });
});

describe('readDerElement', () => {
  it('reads short and long lengths', () => {
    expect(readDerElement(Buffer.from([0x04, 0x02, 0xaa, 0xbb]), 0)).toEqual({ tag: 0x04, start: 2, end: 4 });
    const long = Buffer.concat([Buffer.from([0x04, 0x82, 0x01, 0x00]), Buffer.alloc(256)]);
    expect(readDerElement(long, 0)).toEqual({ tag: 0x04, start: 4, end: 260 });
  });

  it('refuses lengths that run past the limit, more than 4 length bytes, and high tag numbers', () => {
    expect(readDerElement(Buffer.from([0x04, 0x05, 0xaa]), 0)).toBeUndefined();
    expect(readDerElement(Buffer.from([0x04, 0x02, 0xaa, 0xbb]), 0, 3)).toBeUndefined();
    expect(readDerElement(Buffer.from([0x04, 0x85, 0, 0, 0, 0, 1, 0]), 0)).toBeUndefined();
    expect(readDerElement(Buffer.from([0x1f, 0x01, 0x00]), 0)).toBeUndefined();
  });

  it('lists the children of a certificate: tbsCertificate, algorithm, signature', () => {
    const outer = readDerElement(certDer, 0)!;
    expect(readDerChildren(certDer, outer)?.map((c) => c.tag)).toEqual([0x30, 0x30, 0x03]);
    const broken = Buffer.from([0x30, 0x03, 0x04, 0x05, 0x00]);
    expect(readDerChildren(broken, readDerElement(broken, 0)!)).toBeUndefined();
  });
});

import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { ApnsValidationError } from '../errors/apns-validation.error.js';
import { decodeProviderToken, isValidKeyId, isValidTeamId, signProviderToken } from './provider-token-jwt.js';

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

describe('provider token', () => {
  it('signs an ES256 JWT with kid, iss and iat and a raw 64-byte signature that verifies', () => {
    const jwt = signProviderToken({ key: privateKey, keyId: 'ABC123DEFG', teamId: 'TEAM123456', issuedAtSeconds: 1700000000 });
    expect(jwt).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const decoded = decodeProviderToken(jwt)!;
    expect(decoded.header).toEqual({ alg: 'ES256', kid: 'ABC123DEFG' });
    expect(decoded.claims).toEqual({ iss: 'TEAM123456', iat: 1700000000 });
    expect(jwt.split('.')[0]).toBe(Buffer.from('{"alg":"ES256","kid":"ABC123DEFG"}').toString('base64url'));
    expect(decoded.signature).toHaveLength(64);
    const ok = verify('sha256', Buffer.from(decoded.signingInput), { key: createPublicKey(privateKey), dsaEncoding: 'ieee-p1363' }, decoded.signature);
    expect(ok).toBe(true);
  });

  it('refuses a malformed key id or team id without signing', () => {
    expect(() => signProviderToken({ key: privateKey, keyId: 'short', teamId: 'TEAM123456', issuedAtSeconds: 1 })).toThrow(ApnsValidationError);
    expect(() => signProviderToken({ key: privateKey, keyId: 'ABC123DEFG', teamId: 'TEAM-12345', issuedAtSeconds: 1 })).toThrow(/Invalid teamId: a team id is 10 letters or digits/);
    expect(() => signProviderToken({ key: privateKey, keyId: 'ABC123DEFG', teamId: 'TEAM123456', issuedAtSeconds: 1.5 })).toThrow(/issuedAtSeconds/);
  });

  it('validates key and team ids as 10 alphanumeric characters', () => {
    expect(isValidKeyId('ABC123DEFG')).toBe(true);
    expect(isValidKeyId('ABC123DEF')).toBe(false);
    expect(isValidKeyId('ABC123DEFG ')).toBe(false);
    expect(isValidTeamId(42)).toBe(false);
  });

  it('decodes garbage to undefined and never throws', () => {
    const b = (s: string) => Buffer.from(s).toString('base64url');
    for (const bad of ['', 'a.b', 'a.b.c.d', '..', '!!.@@.##', `${b('[]')}.${b('{}')}.x`, `${b('{}')}.${b('null')}.x`, `${b('{')}.${b('{}')}.x`, 42 as unknown as string]) {
      expect(decodeProviderToken(bad)).toBeUndefined();
    }
    expect(decodeProviderToken(`${b('{}')}.${b('{}')}.`)).toMatchObject({ header: {}, claims: {}, signature: Buffer.alloc(0) });
  });
});

import { createPrivateKey, createPublicKey, verify } from 'node:crypto';
import { decodeProviderToken } from '../../codec/provider-token-jwt.js';
import { testCredentials } from '../../testing/test-credentials.js';
import { ProviderToken } from './provider-token.js';

const MIN = 60_000;

function setup(refreshAfterMs = 50 * MIN) {
  const clock = { t: 1_700_000_000_000 };
  const token = new ProviderToken(
    { key: createPrivateKey(testCredentials.signingKey), keyId: testCredentials.keyId, teamId: testCredentials.teamId, refreshAfterMs },
    () => clock.t,
  );
  return { clock, token };
}

describe('ProviderToken', () => {
  it('signs one ES256 token on first use that verifies against the public key, and reuses it', () => {
    const { token } = setup();
    expect(token.signatures).toBe(0);
    const jwt = token.current();
    expect(token.current()).toBe(jwt);
    expect(token.signatures).toBe(1);
    const decoded = decodeProviderToken(jwt)!;
    expect(decoded.header).toEqual({ alg: 'ES256', kid: testCredentials.keyId });
    expect(decoded.claims).toEqual({ iss: testCredentials.teamId, iat: 1_700_000_000 });
    const ok = verify('sha256', Buffer.from(decoded.signingInput), { key: createPublicKey(testCredentials.signingPublicKey), dsaEncoding: 'ieee-p1363' }, decoded.signature);
    expect(ok).toBe(true);
  });

  it('renews on schedule after refreshAfterMs, never sooner than 20 minutes nor later than an hour', () => {
    const early = setup(1000);
    const first = early.token.current();
    early.clock.t += 19 * MIN;
    expect(early.token.current()).toBe(first);
    early.clock.t += 1 * MIN;
    expect(early.token.current()).not.toBe(first);

    const late = setup(5 * 60 * MIN);
    const a = late.token.current();
    late.clock.t += 59 * MIN;
    expect(late.token.current()).not.toBe(a);
    expect(late.token.signatures).toBe(2);
  });

  it('signs exactly one new token however many requests fail with the same old one', () => {
    const { token } = setup();
    const old = token.current();
    for (let i = 0; i < 1000; i++) expect(token.renewAfterRejection(old)).toBe(true);
    expect(token.signatures).toBe(2);
    expect(token.current()).not.toBe(old);
  });

  it('refuses a second forced renewal within 20 minutes of the first, so a skewed clock cannot cause a storm', () => {
    const { clock, token } = setup();
    const first = token.current();
    expect(token.renewAfterRejection(first)).toBe(true);
    const second = token.current();
    clock.t += 5 * MIN;
    expect(token.renewAfterRejection(second)).toBe(false);
    expect(token.current()).toBe(second);
    clock.t += 15 * MIN;
    expect(token.renewAfterRejection(second)).toBe(true);
    expect(token.signatures).toBe(3);
  });

  it('refuses a forced renewal within 20 minutes of a scheduled one (Apple counts every switch)', () => {
    const { clock, token } = setup();
    const first = token.current();
    clock.t += 50 * MIN;
    const scheduled = token.current();
    expect(scheduled).not.toBe(first);
    clock.t += 19 * MIN;
    expect(token.renewAfterRejection(scheduled)).toBe(false);
    expect(token.current()).toBe(scheduled);
    clock.t += 1 * MIN;
    expect(token.renewAfterRejection(scheduled)).toBe(true);
    expect(token.signatures).toBe(3);
  });
});

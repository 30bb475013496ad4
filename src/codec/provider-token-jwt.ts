import { sign, type KeyObject } from 'node:crypto';
import { ApnsValidationError } from '../errors/apns-validation.error.js';

/**
 * The provider authentication token of the HTTP/2 API: an ES256 JWT with
 * header `{"alg":"ES256","kid":<key id>}` and claims `{"iss":<team id>,"iat":<seconds>}`.
 * The signature is the raw 64-byte R‖S of RFC 7518, not DER.
 */

const ID_PATTERN = /^[A-Za-z0-9]{10}$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** A key id from the developer account: 10 alphanumeric characters. */
export function isValidKeyId(s: unknown): s is string {
  return typeof s === 'string' && ID_PATTERN.test(s);
}

/** A team id from the developer account: 10 alphanumeric characters. */
export function isValidTeamId(s: unknown): s is string {
  return typeof s === 'string' && ID_PATTERN.test(s);
}

export interface ProviderTokenInput {
  /** The .p8 signing key (EC P-256). */
  key: KeyObject;
  keyId: string;
  teamId: string;
  /** The `iat` claim, UNIX seconds. */
  issuedAtSeconds: number;
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

/**
 * Signs a provider token. Throws `ApnsValidationError` for a malformed key id,
 * team id or time, and lets `crypto.sign` throw for a key that is not EC P-256
 * (its message never contains key material).
 */
export function signProviderToken(input: ProviderTokenInput): string {
  if (!isValidKeyId(input.keyId)) {
    throw new ApnsValidationError('keyId', 'a key id is 10 letters or digits', 'Copy the Key ID shown next to the .p8 key in the developer account.');
  }
  if (!isValidTeamId(input.teamId)) {
    throw new ApnsValidationError('teamId', 'a team id is 10 letters or digits', 'Copy the Team ID from the membership page of the developer account.');
  }
  if (!Number.isInteger(input.issuedAtSeconds) || input.issuedAtSeconds < 0) {
    throw new ApnsValidationError('issuedAtSeconds', `${input.issuedAtSeconds} is not UNIX seconds`, 'Pass Math.floor(Date.now() / 1000).');
  }
  const header = base64url(JSON.stringify({ alg: 'ES256', kid: input.keyId }));
  const claims = base64url(JSON.stringify({ iss: input.teamId, iat: input.issuedAtSeconds }));
  const signingInput = `${header}.${claims}`;
  const signature = sign('sha256', Buffer.from(signingInput), { key: input.key, dsaEncoding: 'ieee-p1363' });
  return `${signingInput}.${signature.toString('base64url')}`;
}

export interface DecodedProviderToken {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  /** `base64url(header).base64url(claims)`: the bytes the signature covers. */
  signingInput: string;
  signature: Buffer;
}

function decodeJsonObject(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Splits a JWT into its parts without verifying it (the mock server verifies
 * the signature against its key). Returns undefined for anything that is not
 * three base64url segments with JSON-object header and claims. Never throws.
 */
export function decodeProviderToken(jwt: string): DecodedProviderToken | undefined {
  if (typeof jwt !== 'string') return undefined;
  const parts = jwt.split('.');
  if (parts.length !== 3) return undefined;
  const [h, c, sig] = parts as [string, string, string];
  if (h === '' || c === '' || !BASE64URL.test(h) || !BASE64URL.test(c) || !BASE64URL.test(sig)) return undefined;
  const header = decodeJsonObject(h);
  const claims = decodeJsonObject(c);
  if (header === undefined || claims === undefined) return undefined;
  return { header, claims, signingInput: `${h}.${c}`, signature: Buffer.from(sig, 'base64url') };
}

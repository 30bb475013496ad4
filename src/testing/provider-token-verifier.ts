import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { decodeProviderToken } from '../codec/provider-token-jwt.js';

const MAX_CACHED_VERDICTS = 10_000;

/** What the mock thinks of one JWT, apart from its age. */
export type ProviderTokenVerdict =
  | { readonly ok: true; readonly teamId: string; readonly keyId: string; readonly issuedAtSeconds: number }
  | { readonly ok: false; readonly problem: string };

/**
 * Checks provider tokens the way APNs describes: ES256 only, signed (raw R‖S)
 * by the key registered for the token's `kid` and `iss`, with a numeric `iat`.
 * Verdicts are cached per JWT string: a client reuses one token for many
 * requests, and an ECDSA verify per request would make the mock the bottleneck.
 * The age check (`iat` older than an hour) is the caller's, since it changes with time.
 */
export class ProviderTokenVerifier {
  private keys = new Map<string, KeyObject>();
  private verdicts = new Map<string, ProviderTokenVerdict>();
  /** Tail of each JWT seen (128 bits of its signature): counts distinct tokens in little memory, even under a renewal storm. */
  private seen = new Set<string>();

  register(teamId: string, keyId: string, publicKey: KeyObject | string): void {
    const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey.type === 'private' ? createPublicKey(publicKey) : publicKey;
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new TypeError('registerSigningKey needs a P-256 (ES256) key');
    }
    this.keys.set(`${teamId}\u0000${keyId}`, key);
    // A new key can turn an earlier "unknown key" verdict into a valid one.
    this.verdicts.clear();
  }

  /** Distinct JWT strings seen so far. */
  get distinctTokens(): number {
    return this.seen.size;
  }

  verify(jwt: string): ProviderTokenVerdict {
    this.seen.add(jwt.length > 22 ? jwt.slice(-22) : jwt);
    let verdict = this.verdicts.get(jwt);
    if (verdict === undefined) {
      verdict = this.check(jwt);
      // A client minting a token per request must not grow the cache without end.
      if (this.verdicts.size >= MAX_CACHED_VERDICTS) this.verdicts.clear();
      this.verdicts.set(jwt, verdict);
    }
    return verdict;
  }

  clearSeen(): void {
    this.seen.clear();
  }

  private check(jwt: string): ProviderTokenVerdict {
    const decoded = decodeProviderToken(jwt);
    if (decoded === undefined) return { ok: false, problem: 'not a JWT' };
    const header = decoded.header as Record<string, unknown>;
    const claims = decoded.claims as Record<string, unknown>;
    if (header.alg !== 'ES256') return { ok: false, problem: `alg ${String(header.alg)} is not ES256` };
    const keyId = header.kid;
    const teamId = claims.iss;
    if (typeof keyId !== 'string' || typeof teamId !== 'string') return { ok: false, problem: 'kid or iss missing' };
    const iat = claims.iat;
    if (typeof iat !== 'number' || !Number.isFinite(iat)) return { ok: false, problem: 'iat is not a number' };
    const key = this.keys.get(`${teamId}\u0000${keyId}`);
    if (key === undefined) return { ok: false, problem: 'no key registered for this kid and iss' };
    if (decoded.signature.length !== 64) return { ok: false, problem: 'signature is not raw R‖S (64 bytes)' };
    const valid = verify('sha256', Buffer.from(decoded.signingInput), { key, dsaEncoding: 'ieee-p1363' }, decoded.signature);
    if (!valid) return { ok: false, problem: 'bad signature' };
    return { ok: true, teamId, keyId, issuedAtSeconds: iat };
  }
}

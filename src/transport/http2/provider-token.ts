import { signProviderToken } from '../../codec/provider-token-jwt.js';
import type { ProviderTokenConfig } from '../transport-config.js';

/** Apple refuses a token switch on a connection more often than this (429 `TooManyProviderTokenUpdates`). */
export const MIN_RENEWAL_INTERVAL_MS = 20 * 60_000;
/** Apple refuses a token whose `iat` is older than this (403 `ExpiredProviderToken`). */
export const MAX_TOKEN_AGE_MS = 60 * 60_000;

/**
 * The provider token (ES256 JWT) of one transport, shared by every request of
 * every session.
 *
 * Signed lazily on first use, then renewed when it reaches `refreshAfterMs`
 * (clamped to [20 min, 60 min) whatever the config says), so scheduled
 * renewals are at least 20 minutes apart. A renewal forced by a 403
 * `ExpiredProviderToken` happens only when the rejected token is still the
 * current one, so any number of requests failing with the same old token cause
 * one signature; and never within 20 minutes of the last renewal, scheduled or
 * forced (a clock far off from Apple's would otherwise turn every round trip
 * into a signature). So no two renewals come within 20 minutes of each other,
 * which is Apple's rule for `TooManyProviderTokenUpdates`: a connection may
 * switch tokens once per 20 minutes. The first signature is not a switch (a
 * connection's first token is free), so it may be renewed at once.
 */
export class ProviderToken {
  private jwt: string | undefined;
  private issuedAt = 0;
  /** When a signature last replaced an earlier token (scheduled or forced). */
  private lastRenewalAt = -Infinity;
  private signed = 0;
  private readonly refreshAfterMs: number;

  constructor(
    private readonly config: ProviderTokenConfig,
    private readonly now: () => number,
  ) {
    const asked = Number.isFinite(config.refreshAfterMs) ? config.refreshAfterMs : 50 * 60_000;
    // Just under an hour at most: the token must be replaced before Apple calls it expired.
    this.refreshAfterMs = Math.min(MAX_TOKEN_AGE_MS - 60_000, Math.max(MIN_RENEWAL_INTERVAL_MS, asked));
  }

  /** How many JWTs this instance has signed (a storm would show here). */
  get signatures(): number {
    return this.signed;
  }

  /** The token to send now; signs a new one when there is none or it is due for renewal. */
  current(): string {
    const jwt = this.jwt;
    if (jwt !== undefined && this.now() - this.issuedAt < this.refreshAfterMs) return jwt;
    return this.sign();
  }

  /**
   * Apple answered `ExpiredProviderToken` to a request sent with `rejected`.
   * Returns true when a different token is now current (renewed by this call or
   * by an earlier one), so the request can be sent again; false when the
   * last renewal was less than 20 minutes ago, since renewing again so soon
   * would earn `TooManyProviderTokenUpdates`.
   */
  renewAfterRejection(rejected: string): boolean {
    if (this.jwt !== rejected) return this.jwt !== undefined;
    if (this.now() - this.lastRenewalAt < MIN_RENEWAL_INTERVAL_MS) return false;
    this.sign();
    return true;
  }

  private sign(): string {
    const now = this.now();
    this.jwt = signProviderToken({
      key: this.config.key,
      keyId: this.config.keyId,
      teamId: this.config.teamId,
      issuedAtSeconds: Math.floor(now / 1000),
    });
    if (this.signed > 0) this.lastRenewalAt = now;
    this.issuedAt = now;
    this.signed++;
    return this.jwt;
  }
}

import { ApnsConnectionError } from '../../errors/apns-connection.error.js';
import { ApnsDeliveryError } from '../../errors/apns-delivery.error.js';
import type { ApnsTransport, TransportHooks } from '../apns-transport.js';
import { ConnectionPool, poolOptionsFor, type ConnectionPoolStats, type PoolFailureReason } from '../connection-pool.js';
import type { ApnsFeedback, Delivery } from '../delivery.js';
import type { TransportConfig } from '../transport-config.js';
import { Http2Connection, maybeDeliveredNote, type Http2ConnectionContext, type Http2Counters } from './http2-connection.js';
import { ProviderToken } from './provider-token.js';

/**
 * Streams the pool opens sessions for without asking whether the process has
 * time for more: about one session at Apple's usual limit, enough to keep a
 * core busy over tens of milliseconds of round trip. Sessions limited lower
 * (Apple lowers the limit after rejections) are added up to this freely.
 */
export const POOL_MIN_STREAMS = 1000;

/** Pool figures plus what the HTTP/2 sessions counted. */
export interface Http2TransportStats extends ConnectionPoolStats, Readonly<Http2Counters> {
  /** Provider tokens signed so far (0 with certificate auth): a renewal storm would show here. */
  tokenSignatures: number;
  /**
   * For each stream limit (SETTINGS_MAX_CONCURRENT_STREAMS, capped at 2,000) a
   * session ran under, the most requests the client had in flight on one
   * session under it, counted at each write: never above the limit.
   */
  peakStreamsByLimit: Readonly<Record<number, number>>;
}

const ADVICE: Record<PoolFailureReason, string> = {
  Shutdown: 'The client was closed before this notification could be sent.',
  ConnectionError: 'No HTTP/2 session to APNs could be opened.',
};

/**
 * The HTTP/2 provider API transport: a pool of `Http2Connection` sessions
 * behind one bounded queue, with one provider token (token auth) shared by
 * every session, or the client certificate on every TLS session.
 *
 * Throws at construction when token auth is configured and the key cannot sign.
 *
 * 410 answers go to `hooks.onFeedback` as well as to the delivery's sink, so
 * `pollFeedback()` has nothing to read and resolves to `[]`.
 *
 * Delivery is at-least-once: a request sent on a session that dies before its
 * answer is sent again (counted in `stats.resentUnanswered`); see
 * `Http2Connection` for the three kinds of resend and their budgets.
 */
export class Http2Transport implements ApnsTransport {
  private readonly pool: ConnectionPool;
  private readonly token: ProviderToken | undefined;
  private readonly counters: Http2Counters = {
    requests: 0,
    retries: 0,
    timeouts: 0,
    resets: 0,
    goaways: 0,
    unprocessed: 0,
    pingTimeouts: 0,
    resentUnanswered: 0,
  };
  private readonly peakStreamsByLimit = new Map<number, number>();

  constructor(config: TransportConfig, hooks: TransportHooks) {
    this.token = config.token === undefined ? undefined : new ProviderToken(config.token, config.now);
    // Sign now: a key that cannot sign fails the start-up, not the first send.
    this.token?.current();
    const context: Http2ConnectionContext = { config, hooks, token: this.token, counters: this.counters, peakStreamsByLimit: this.peakStreamsByLimit };
    this.pool = new ConnectionPool(
      (id, listener) => Http2Connection.open(id, listener, context),
      poolOptionsFor('http2', config, (delivery, reason, cause) => Http2Transport.fail(delivery, reason, cause), POOL_MIN_STREAMS),
    );
  }

  offer(delivery: Delivery): boolean {
    return this.pool.offer(delivery);
  }

  whenWritable(): Promise<void> {
    return this.pool.whenWritable();
  }

  /** HTTP/2 reports gone devices in-band (410), through `hooks.onFeedback`. */
  pollFeedback(): Promise<ApnsFeedback[]> {
    return Promise.resolve([]);
  }

  close(drainTimeoutMs: number): Promise<void> {
    return this.pool.close(drainTimeoutMs);
  }

  get stats(): Http2TransportStats {
    return {
      ...this.pool.stats,
      ...this.counters,
      tokenSignatures: this.token?.signatures ?? 0,
      peakStreamsByLimit: Object.fromEntries(this.peakStreamsByLimit),
    };
  }

  private static fail(delivery: Delivery, reason: PoolFailureReason, cause?: Error): void {
    // A certificate problem is not cured by trying again, and the user should read why in the message itself.
    const permanent = cause instanceof ApnsConnectionError && cause.permanent;
    delivery.sink.failed(
      delivery,
      new ApnsDeliveryError({
        token: delivery.token,
        notification: delivery.message.notification,
        reason,
        source: 'http2',
        retryable: reason === 'ConnectionError' && !permanent,
        attempts: delivery.attempts,
        apnsId: delivery.apnsId,
        advice: `${cause === undefined ? ADVICE[reason] : `${ADVICE[reason]} ${cause.message}`}${maybeDeliveredNote(delivery)}`,
        cause,
      }),
    );
  }
}

import type { SecureContext } from 'node:tls';
import { ApnsConnectionError } from '../../errors/apns-connection.error.js';
import { ApnsDeliveryError } from '../../errors/apns-delivery.error.js';
import type { ApnsTransport, TransportHooks } from '../apns-transport.js';
import { ConnectionPool, poolOptionsFor, type ConnectionPoolStats, type PoolFailureReason } from '../connection-pool.js';
import type { ApnsFeedback, Delivery } from '../delivery.js';
import type { TransportConfig } from '../transport-config.js';
import { BinaryConnection, MAX_BINARY_IDENTIFIER, type BinaryConnectionContext, type BinaryConnectionCounters } from './binary-connection.js';
import { createClientSecureContext, endpointName } from './binary-tls.js';
import { FeedbackClient } from './feedback-client.js';

/** Counters of a binary transport, with its pool's figures. */
export interface BinaryTransportStats extends BinaryConnectionCounters {
  readonly pool: ConnectionPoolStats;
}

/** Internals a test may set; not options. */
export interface BinaryTransportInternals {
  /** Identifier of each connection's first notification, 1 … 2^32 − 1. Default 1 (tests start near the wrap). */
  firstIdentifier?: number;
}

const ADVICE: Readonly<Record<string, string>> = Object.freeze({
  Shutdown: 'The client was closed before the notification could be sent.',
  ConnectionError: 'No connection to the gateway could be opened.',
});

/** A written notification the gateway never confirmed (it confirms only by closing after our end). */
const WRITTEN_AT_SHUTDOWN = 'The client was closed before the gateway confirmed it: it may or may not have been delivered.';

/**
 * The legacy binary interface: a pool of TLS connections to the gateway
 * (`BinaryConnection`, see there for what happens to written notifications
 * when a connection ends) and the feedback service (`pollFeedback`).
 *
 * Delivery semantics: `accepted` is reported when a notification is written
 * (the gateway acknowledges nothing); a later `failed` follows when an error
 * response names it. A notification the gateway dropped after someone else's
 * error is written again, and reported `accepted` again, on another connection.
 * With `binary.uncertainWindow: 'resend'` (default) a connection lost without
 * an answer may deliver the last notifications twice (at-least-once); `'fail'`
 * fails them instead (at-most-once). `stats` counts both.
 */
export class BinaryTransport implements ApnsTransport {
  private readonly pool: ConnectionPool;
  private readonly counters: BinaryConnectionCounters = {
    errorResponses: 0,
    rejectedByGateway: 0,
    resentAfterError: 0,
    resentUncertain: 0,
    failedUncertain: 0,
    unknownIdentifiers: 0,
    presumedLost: 0,
    evictedUncertain: 0,
    failedResendLimit: 0,
    unconfirmedAtShutdown: 0,
    closeTimeouts: 0,
    drainWaits: 0,
  };
  private readonly context: BinaryConnectionContext;
  private secure: SecureContext | undefined;
  private feedbackClient: FeedbackClient | undefined;

  constructor(
    private readonly config: TransportConfig,
    // Binary feedback arrives through pollFeedback, never in-band.
    _hooks: TransportHooks,
    internals: BinaryTransportInternals = {},
  ) {
    const name = endpointName(config.endpoint);
    const firstIdentifier = internals.firstIdentifier ?? 1;
    if (!Number.isInteger(firstIdentifier) || firstIdentifier < 1 || firstIdentifier > MAX_BINARY_IDENTIFIER) {
      throw new RangeError(`firstIdentifier must be an integer in 1 … ${MAX_BINARY_IDENTIFIER}, got ${firstIdentifier}`);
    }
    this.context = {
      config,
      endpoint: config.endpoint,
      endpointName: name,
      counters: this.counters,
      handshakeStrikes: { count: 0, generation: 0 },
      lifecycle: { shuttingDown: false },
      secureContext: () => this.secureContext(),
      firstIdentifier,
      fail: (d, reason, cause, advice) => this.failDelivery(d, reason, cause, advice),
    };
    this.pool = new ConnectionPool(
      (id, listener) => BinaryConnection.open(id, listener, this.context),
      // A second socket helps only when the gateway is what is slow: the pool asks the event loop (minCapacity 0).
      poolOptionsFor('binary', config, (d, reason: PoolFailureReason, cause) => this.failDelivery(d, reason, cause), 0),
    );
  }

  offer(delivery: Delivery): boolean {
    return this.pool.offer(delivery);
  }

  whenWritable(): Promise<void> {
    return this.pool.whenWritable();
  }

  /** Reads the feedback service once (`config.feedbackEndpoint`, same certificate). */
  pollFeedback(): Promise<ApnsFeedback[]> {
    this.feedbackClient ??= new FeedbackClient(this.config, () => this.secureContext());
    return this.feedbackClient.read();
  }

  close(drainTimeoutMs: number): Promise<void> {
    // From now on a connection we close unconfirmed fails what it leaves uncertain with Shutdown: nothing is resent.
    this.context.lifecycle.shuttingDown = true;
    return this.pool.close(drainTimeoutMs);
  }

  /** A snapshot of what the transport counted, and of its pool. */
  get stats(): BinaryTransportStats {
    return { ...this.counters, pool: this.pool.stats };
  }

  private secureContext(): SecureContext {
    this.secure ??= createClientSecureContext(this.config.tls, this.config.endpoint);
    return this.secure;
  }

  private failDelivery(delivery: Delivery, reason: string, cause?: Error, advice?: string): void {
    const permanent = cause instanceof ApnsConnectionError && cause.permanent;
    delivery.sink.failed(
      delivery,
      new ApnsDeliveryError({
        token: delivery.token,
        notification: delivery.message.notification,
        reason,
        source: 'binary',
        retryable: reason !== 'Shutdown' && !permanent,
        attempts: delivery.attempts,
        advice: [advice ?? (reason === 'Shutdown' && delivery.attempts > 0 ? WRITTEN_AT_SHUTDOWN : ADVICE[reason]), cause?.message].filter(Boolean).join(' '),
        cause,
      }),
    );
  }
}

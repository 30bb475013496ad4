import type { SecureContext, TLSSocket } from 'node:tls';
import { ErrorResponseDecoder, type ErrorResponseEvent } from '../../codec/error-response-decoder.js';
import { FrameBatchEncoder } from '../../codec/frame-batch-encoder.js';
import { BinaryStatus, describeBinaryStatus } from '../../codec/reasons.js';
import { ApnsConnectionError } from '../../errors/apns-connection.error.js';
import { ApnsDeliveryError } from '../../errors/apns-delivery.error.js';
import { ApnsValidationError } from '../../errors/apns-validation.error.js';
import type { AcceptedInfo, Delivery } from '../delivery.js';
import type { ConnectionListener, PooledConnection } from '../pooled-connection.js';
import type { Endpoint, TransportConfig } from '../transport-config.js';
import { certificateRejected, CLOSED_AFTER_HANDSHAKE, connectTls, toConnectionError } from './binary-tls.js';
import { SentBuffer } from './sent-buffer.js';

/**
 * Deliveries one connection takes per flush while its socket is writable. The
 * pool hands out work in runs of this size, round robin, so a burst spreads
 * over the connections instead of filling the first socket's buffer.
 */
export const BINARY_WRITE_BUDGET = 256;

/** How long our own graceful close waits for the server to close its end, ms. */
export const BINARY_CLOSE_LINGER_MS = 2000;

/** Consecutive connections closed right after their TLS 1.3 handshake that mean a rejected certificate. */
const CERTIFICATE_REJECTED_AFTER = 2;

/** What the binary transport counts; every connection of a transport adds to the same object. */
export interface BinaryConnectionCounters {
  /** Error responses received (status 10 included). */
  errorResponses: number;
  /** Deliveries failed by an error response naming them. */
  rejectedByGateway: number;
  /** Deliveries sent again because an error response said the server dropped them. */
  resentAfterError: number;
  /** Deliveries sent again because a connection closed without an error response within `uncertainWindowMs` of writing them. */
  resentUncertain: number;
  /** Deliveries failed with `ConnectionLost` under `uncertainWindow: 'fail'`. */
  failedUncertain: number;
  /** Error responses naming an identifier no longer in the sent buffer. */
  unknownIdentifiers: number;
  /** Deliveries failed because their connection kept dying under them (`ConnectionLost` after too many attempts). */
  failedResendLimit: number;
  /** Times a socket's buffer filled (`write()` returned false) and its connection waited for 'drain'. */
  drainWaits: number;
}

/** What a binary connection shares with its transport. */
export interface BinaryConnectionContext {
  readonly config: TransportConfig;
  readonly endpoint: Endpoint;
  /** `host:port`, for log lines. */
  readonly endpointName: string;
  /** The transport's TLS context, built once; throws a permanent `ApnsConnectionError` on bad credentials. */
  secureContext(): SecureContext;
  /** The next 32-bit notification identifier (wrapping). */
  nextIdentifier(): number;
  readonly counters: BinaryConnectionCounters;
  /** Connections in a row the server closed right after the handshake (see `connectTls`). */
  readonly handshakeCloses: { count: number };
  /** Fails a delivery with a local reason (`ConnectionLost`), built like the pool's failures. */
  fail(delivery: Delivery, reason: string, cause?: Error, advice?: string): void;
}

const NO_INFO: AcceptedInfo = Object.freeze({});

type State = 'open' | 'closing' | 'closed';

/**
 * One TLS socket to a binary gateway.
 *
 * Writes: each delivery gets a 32-bit identifier and is framed into a shared
 * batch; `flush()` hands the batch to the socket in one write and reports every
 * delivery in it as accepted (on this protocol "accepted" means written: the
 * gateway answers only failures). Written deliveries stay in a `SentBuffer`
 * (`binary.sentBufferSize`) until the connection ends. While the socket's buffer
 * is full (`write()` returned false) the connection takes nothing until 'drain'.
 *
 * Endings, and what happens to what it wrote:
 * - **Error response** (status ≠ 10): the named delivery fails once with the
 *   status and its name; everything written after it was dropped by the
 *   server and goes back to the pool, in order, to be sent again.
 * - **Status 10 (Shutdown)**: nothing failed; the identifier is the last one
 *   processed; everything after it goes back to the pool.
 * - **An identifier not in the buffer** (it left the ring, or the server sent
 *   garbage): nothing can be named. The policy is at-least-once: everything
 *   still in the buffer is sent again (the server dropped all of it if the named
 *   one is older), and the error is logged with a hint to raise `sentBufferSize`.
 * - **Closed without an error response** (reset, server gone): whatever was
 *   written in the last `binary.uncertainWindowMs` may or may not have been
 *   processed. `uncertainWindow: 'resend'` (default, at-least-once) sends it
 *   again and counts it in `resentUncertain`; `'fail'` (at-most-once) fails it
 *   with reason `ConnectionLost` and counts it in `failedUncertain`. Older
 *   writes are taken as delivered: a rejection would have been answered by now.
 * - **Our own `close()`**: flush, end our side, and wait (at most
 *   {@link BINARY_CLOSE_LINGER_MS}) for the server to close its side: a late
 *   error response is handled as above; a clean close means everything written
 *   was processed. Past the linger the socket is destroyed and everything still
 *   held is uncertain, whatever its age: a slow reader leaves frames written
 *   long before unread in the socket buffers. The same goes for a connection the
 *   pool cuts (`destroy()`, at its drain deadline).
 *
 * A delivery that keeps coming back without an error response naming it (its
 * connection dies under it every time) fails with `ConnectionLost` once it has
 * been resent `retry.attempts` times for that reason, so a gateway that drops
 * every connection cannot make it loop forever. Resends caused by another
 * notification's error response do not count: each of those makes progress.
 */
export class BinaryConnection implements PooledConnection {
  private readonly encoder: FrameBatchEncoder;
  private readonly decoder = new ErrorResponseDecoder();
  private readonly sent: SentBuffer;
  /** Written into the encoder, not yet flushed. */
  private readonly pending: Delivery[] = [];
  private readonly pendingIds: number[] = [];
  private state: State = 'open';
  private writable = true;
  private lingerTimer: NodeJS.Timeout | undefined;
  /** Set once an error response was handled: the end of the socket is then expected. */
  private answered = false;
  /** Set when we cut the connection (`destroy()`, the pool's drain deadline): the server confirmed nothing. */
  private cutByUs = false;
  private socketError: ApnsConnectionError | undefined;
  lastActivity: number;

  /** Opens the TLS connection, then wraps it. Rejects with an `ApnsConnectionError`. */
  static async open(id: number, listener: ConnectionListener, context: BinaryConnectionContext): Promise<BinaryConnection> {
    const { config, endpoint } = context;
    let socket: TLSSocket;
    try {
      socket = await connectTls(endpoint, config.tls, context.secureContext(), config.connectTimeoutMs);
    } catch (error) {
      if (!(error instanceof ApnsConnectionError) || error.code !== CLOSED_AFTER_HANDSHAKE) throw error;
      // Once could be a server shedding load; twice in a row, the certificate is the likely cause.
      const strikes = ++context.handshakeCloses.count;
      throw strikes >= CERTIFICATE_REJECTED_AFTER ? certificateRejected(error, endpoint, strikes) : error;
    }
    context.handshakeCloses.count = 0;
    if (socket.destroyed) {
      // Closed between the confirmation and now: an open that failed, so the pool backs off.
      throw new ApnsConnectionError(context.endpointName, 'CONNECTION_CLOSED', 'the server closed the connection as soon as it was open');
    }
    return new BinaryConnection(id, socket, listener, context);
  }

  private constructor(
    readonly id: number,
    private readonly socket: TLSSocket,
    private readonly listener: ConnectionListener,
    private readonly context: BinaryConnectionContext,
  ) {
    const { config } = context;
    this.encoder = new FrameBatchEncoder(config.binary.format);
    this.sent = new SentBuffer(config.binary.sentBufferSize);
    this.lastActivity = config.now();
    // Frames are batched already; Nagle would only add latency to the last batch.
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.onDrain());
    socket.on('error', (error: Error) => {
      this.socketError ??= toConnectionError(context.endpoint, error);
    });
    socket.on('close', () => this.onSocketClosed());
  }

  get available(): number {
    return this.state === 'open' && this.writable ? BINARY_WRITE_BUDGET - this.pending.length : 0;
  }

  /** Taken and not yet written; what was written is settled (accepted) already. */
  get inFlight(): number {
    return this.pending.length;
  }

  write(delivery: Delivery): void {
    if (this.state !== 'open') {
      // The pool only writes into a connection with room; should a caller not, the delivery still goes somewhere.
      this.listener.onRetry(delivery, 0);
      return;
    }
    const identifier = this.context.nextIdentifier();
    try {
      this.encoder.append(identifier, delivery.tokenHex, delivery.message);
    } catch (error) {
      if (!(error instanceof ApnsValidationError)) throw error;
      this.failUnframable(delivery, error);
      return;
    }
    this.pending.push(delivery);
    this.pendingIds.push(identifier);
  }

  flush(): void {
    const n = this.pending.length;
    if (n === 0 || this.state === 'closed') return;
    const bytes = this.encoder.take();
    const now = this.context.config.now();
    const pending = this.pending;
    for (let i = 0; i < n; i++) {
      const d = pending[i]!;
      d.attempts++;
      this.sent.push(this.pendingIds[i]!, d, now);
    }
    this.pendingIds.length = 0;
    this.lastActivity = now;
    if (!this.socket.write(bytes)) {
      this.writable = false;
      this.context.counters.drainWaits++;
    }
    // A sink may offer more work; the pool picks it up in a microtask, never re-entering here.
    for (let i = 0; i < n; i++) {
      const d = pending[i]!;
      d.sink.accepted(d, NO_INFO);
    }
    pending.length = 0;
  }

  close(): void {
    if (this.state !== 'open') return;
    this.flush();
    this.state = 'closing';
    this.socket.end();
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = undefined;
      this.context.config.logger.warn(
        `binary: connection ${this.id} to ${this.context.endpointName}: the server did not close within ${BINARY_CLOSE_LINGER_MS} ms of our close; dropping it`,
      );
      this.socketError ??= new ApnsConnectionError(this.context.endpointName, 'CLOSE_TIMEOUT', `the server did not close within ${BINARY_CLOSE_LINGER_MS} ms`);
      this.socket.destroy();
    }, BINARY_CLOSE_LINGER_MS);
  }

  destroy(cause?: Error): void {
    if (this.state === 'closed') return;
    this.cutByUs = true;
    if (cause && !this.socketError) {
      this.socketError = cause instanceof ApnsConnectionError ? cause : new ApnsConnectionError(this.context.endpointName, 'DESTROYED', cause.message, { cause });
    }
    this.socketError ??= new ApnsConnectionError(this.context.endpointName, 'DESTROYED', 'the connection was closed before the server answered');
    // Ends the connection now (synchronously, so the pool sees the work come back at once).
    this.finish();
    this.socket.destroy();
  }

  private onDrain(): void {
    this.writable = true;
    if (this.state === 'open') this.listener.onAvailable(this);
  }

  private onData(chunk: Buffer): void {
    this.lastActivity = this.context.config.now();
    if (this.answered || this.state === 'closed') return;
    const events = this.decoder.push(chunk);
    if (events.length > 0) this.onErrorResponse(events[0]!);
  }

  /**
   * The server answered: it has closed (or is closing) the connection. Settle
   * everything it wrote now rather than at 'close', so the pool resends at once.
   */
  private onErrorResponse(event: ErrorResponseEvent): void {
    const { config } = this.context;
    const counters = this.context.counters;
    this.answered = true;
    if (event.kind === 'malformed') {
      // Nothing after it can be trusted: end the connection as if it closed without an answer.
      config.logger.warn(`binary: connection ${this.id} to ${this.context.endpointName}: unreadable reply (${event.detail}); closing it`);
      this.answered = false;
      this.socketError = new ApnsConnectionError(this.context.endpointName, 'MALFORMED_REPLY', event.detail);
      this.finish();
      this.socket.destroy();
      return;
    }
    counters.errorResponses++;
    const { status, identifier } = event;
    const position = this.sent.indexOf(identifier);
    let unfinished: Delivery[];
    if (position < 0) {
      counters.unknownIdentifiers++;
      config.logger.error(
        `binary: connection ${this.id} to ${this.context.endpointName}: error response ${event.statusName} (status ${status}) names identifier ${identifier}, ` +
          `which is not among the ${this.sent.length} notifications still held: no notification can be reported for it. ` +
          `Sending every held notification again (at-least-once); raise binary.sentBufferSize if this recurs.`,
      );
      unfinished = this.sent.takeFrom(0);
      counters.resentAfterError += unfinished.length;
      unfinished = this.countUncertain(unfinished, this.socketErrorOr('UNKNOWN_IDENTIFIER', `error response for unknown identifier ${identifier}`));
    } else {
      const named = this.sent.at(position);
      unfinished = this.sent.takeFrom(position + 1);
      counters.resentAfterError += unfinished.length;
      if (status !== BinaryStatus.Shutdown) {
        counters.rejectedByGateway++;
        const info = describeBinaryStatus(status);
        named.sink.failed(
          named,
          new ApnsDeliveryError({
            token: named.token,
            notification: named.message.notification,
            reason: info.name,
            status,
            source: 'binary',
            retryable: info.retryable,
            attempts: named.attempts,
            advice: info.advice,
          }),
        );
      } else {
        config.logger.debug?.(`binary: connection ${this.id}: gateway shutting down; resending ${unfinished.length} notification(s) written after identifier ${identifier}`);
      }
    }
    this.end(unfinished, undefined);
    this.socket.destroy();
  }

  private socketErrorOr(code: string, description: string): ApnsConnectionError {
    return this.socketError ?? new ApnsConnectionError(this.context.endpointName, code, description);
  }

  private onSocketClosed(): void {
    if (this.state === 'closed') return;
    this.finish();
  }

  /** Ends the connection without an error response: unflushed work goes back; the uncertain window applies. */
  private finish(): void {
    const graceful = this.state === 'closing' && this.socketError === undefined;
    // Never written, so certainly not processed: no attempt is charged.
    const unfinished = this.pending.slice();
    this.pending.length = 0;
    this.pendingIds.length = 0;
    let uncertain: Delivery[] = [];
    let scope = `written in the last ${this.context.config.binary.uncertainWindowMs} ms`;
    if (graceful) {
      // The server read our end and closed without an error response: it processed everything.
      this.sent.clear();
    } else if (this.state === 'closing' || this.cutByUs) {
      // We ended or cut the connection and the server did not confirm by closing (linger, the
      // pool's drain deadline). It was still reading or gone: frames written long before can
      // still sit unread in the socket buffers of a slow reader, where time says nothing.
      // Nothing held can be taken as delivered.
      uncertain = this.sent.takeFrom(0);
      scope = 'still held when we closed it unconfirmed';
    } else {
      uncertain = this.sent.takeWrittenSince(this.context.config.now() - this.context.config.binary.uncertainWindowMs);
    }
    const cause = graceful
      ? undefined
      : this.socketErrorOr('CONNECTION_LOST', 'the server closed the connection without an error response');
    if (uncertain.length > 0) uncertain = this.settleUncertain(uncertain, cause!, scope);
    this.end(uncertain.length > 0 ? [...uncertain, ...unfinished] : unfinished, cause);
  }

  /** Applies the `uncertainWindow` policy to deliveries the server may or may not have processed. */
  private settleUncertain(uncertain: Delivery[], cause: ApnsConnectionError, scope: string): Delivery[] {
    const { config, counters } = this.context;
    if (config.binary.uncertainWindow === 'fail') {
      counters.failedUncertain += uncertain.length;
      config.logger.warn(
        `binary: connection ${this.id} to ${this.context.endpointName} closed without an error response (${cause.code}); ` +
          `failing ${uncertain.length} notification(s) ${scope} (uncertainWindow: 'fail')`,
      );
      for (const d of uncertain) {
        this.context.fail(d, 'ConnectionLost', cause, 'The connection closed right after it was written; it may or may not have been delivered.');
      }
      return [];
    }
    config.logger.warn(
      `binary: connection ${this.id} to ${this.context.endpointName} closed without an error response (${cause.code}); ` +
        `sending ${uncertain.length} notification(s) ${scope} again (at-least-once)`,
    );
    const resent = this.countUncertain(uncertain, cause);
    counters.resentUncertain += resent.length;
    return resent;
  }

  /** Charges one uncertain resend to each delivery; fails those over the limit. */
  private countUncertain(deliveries: Delivery[], cause: ApnsConnectionError): Delivery[] {
    const limit = this.context.config.retry.attempts;
    const keep: Delivery[] = [];
    for (const d of deliveries) {
      const resends = ((d.transportState as number | undefined) ?? 0) + 1;
      d.transportState = resends;
      if (resends > limit) {
        this.context.counters.failedResendLimit++;
        this.context.fail(d, 'ConnectionLost', cause, `Its connection closed under it ${resends} times; giving up.`);
      } else {
        keep.push(d);
      }
    }
    return keep;
  }

  private end(unfinished: Delivery[], cause: Error | undefined): void {
    this.state = 'closed';
    this.writable = false;
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    this.sent.clear();
    this.listener.onClosed(this, unfinished, cause);
  }

  /** A delivery the frame cannot carry (the codec should have refused it earlier): fail it, write nothing. */
  private failUnframable(delivery: Delivery, error: ApnsValidationError): void {
    delivery.sink.failed(
      delivery,
      new ApnsDeliveryError({
        token: delivery.token,
        notification: delivery.message.notification,
        reason: error.field === 'payload' ? 'PayloadTooLarge' : error.field === 'token' ? 'MalformedDeviceToken' : 'InvalidNotification',
        source: 'local',
        retryable: false,
        attempts: delivery.attempts,
        advice: error.message,
        cause: error,
      }),
    );
  }
}

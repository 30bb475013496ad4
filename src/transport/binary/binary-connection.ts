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

/** Highest notification identifier; identifiers run 1 … this and wrap to 1 (0 is never used, see `BinaryConnection`). */
export const MAX_BINARY_IDENTIFIER = 0xffff_ffff;

/** Connections closed right after their TLS 1.3 handshake, on attempts one after the other, that mean a rejected certificate (two could be a gateway restarting). */
const CERTIFICATE_REJECTED_AFTER = 3;

/** What the binary transport counts; every connection of a transport adds to the same object. */
export interface BinaryConnectionCounters {
  /** Error responses received (status 10 included). */
  errorResponses: number;
  /** Deliveries failed by an error response naming them. */
  rejectedByGateway: number;
  /** Deliveries sent again because an error response said the server dropped them. */
  resentAfterError: number;
  /** Deliveries sent again because their connection ended unconfirmed while they were inside the uncertain window. */
  resentUncertain: number;
  /** Deliveries failed with `ConnectionLost` under `uncertainWindow: 'fail'`. */
  failedUncertain: number;
  /** Error responses naming an identifier the connection no longer held or never wrote. */
  unknownIdentifiers: number;
  /**
   * Deliveries an error response (or status 10) said the gateway dropped, that
   * the connection no longer held: they could be neither sent again nor
   * failed. Each case is logged as an error with its cause.
   */
  presumedLost: number;
  /**
   * Deliveries that had to leave a full sent buffer (`binary.sentBufferSize`)
   * while still inside the uncertain window: should their connection then end
   * without an answer, they cannot be sent again. Logged.
   */
  evictedUncertain: number;
  /** Deliveries failed because their connection kept dying under them (`ConnectionLost` after `retry.attempts` writes). */
  failedResendLimit: number;
  /** Written deliveries failed with `Shutdown` because `close()` cut their connection before the gateway confirmed them. */
  unconfirmedAtShutdown: number;
  /** Connections we closed that the gateway did not close in turn within the linger (`binary.closeLingerMs`). */
  closeTimeouts: number;
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
  /** Identifier of each connection's first notification (1 … `MAX_BINARY_IDENTIFIER`). */
  readonly firstIdentifier: number;
  readonly counters: BinaryConnectionCounters;
  /**
   * Connections closed right after the handshake (see `connectTls`) on
   * consecutive attempts. `generation` tells concurrent attempts apart: only
   * an attempt started after the last strike adds one.
   */
  readonly handshakeStrikes: { count: number; generation: number };
  /** Set once the transport's `close()` began: what our own unconfirmed close leaves uncertain fails with `Shutdown`. */
  readonly lifecycle: { shuttingDown: boolean };
  /** Fails a delivery with a local reason (`ConnectionLost`, `Shutdown`), built like the pool's failures. */
  fail(delivery: Delivery, reason: string, cause?: Error, advice?: string): void;
}

const NO_INFO: AcceptedInfo = Object.freeze({});

type State = 'open' | 'closing' | 'closed';

/**
 * One TLS socket to a binary gateway.
 *
 * Writes: each delivery gets the connection's next identifier (its first is
 * `firstIdentifier`, then +1 per notification, wrapping from 2^32 − 1 to 1: 0
 * is never written, so a status-10 answer naming 0 means "nothing processed")
 * and is framed into a shared batch; `flush()` hands the batch to the socket in
 * one write and reports every delivery in it as accepted (on this protocol
 * "accepted" means written: the gateway answers only failures). While the
 * socket's buffer is full (`write()` returned false) the connection takes
 * nothing until 'drain'.
 *
 * Written deliveries stay in a `SentBuffer` for as long as the server may still
 * answer for them or may not have read them, that is while they are inside the
 * **uncertain window**: written in the last `binary.uncertainWindowMs`, or
 * among the last `binary.uncertainWindowBytes` bytes node handed to the kernel,
 * or not handed to the kernel yet. Age alone says nothing about a frame that
 * waits behind a slow reader in node's and both kernels' socket buffers, so the
 * byte allowance applies whatever the frame's age. Once outside the window an
 * entry is taken as processed and leaves the buffer. A buffer full of entries
 * still inside the window (`binary.sentBufferSize`) gives up its oldest: that
 * is counted (`evictedUncertain`) and logged, never silent.
 *
 * Endings, and what happens to what it wrote:
 * - **Error response** (status ≠ 10): the named delivery fails once with the
 *   status and its name; everything written after it was dropped by the
 *   server and goes back to the pool, in order, to be sent again.
 * - **Status 10 (Shutdown)**: nothing failed; the identifier is the last one
 *   processed (0: none); everything after it goes back to the pool.
 * - **An identifier the buffer no longer holds**: what is held goes back, and
 *   the notifications between the named one and the oldest held one, which
 *   the server dropped and the connection already let go, are counted in
 *   `presumedLost` and logged as an error with the reason they had left.
 * - **Closed by the server without an error response** (reset, FIN, server
 *   gone), or mid-way through an error response, or with an unreadable reply:
 *   the uncertain window (everything held, for the last two) may or may not
 *   have been processed. `uncertainWindow: 'resend'` (default, at-least-once)
 *   sends it again and counts it in `resentUncertain`; `'fail'` (at-most-once)
 *   fails it with reason `ConnectionLost` and counts it in `failedUncertain`.
 * - **Our own `close()`**: flush, end our side, and wait for the server to
 *   close its side (at most `binary.closeLingerMs`; during the transport's
 *   `close()`, until the pool's drain deadline cuts it): a late error response
 *   is handled as above; a clean close means everything written was processed.
 *   Unconfirmed, the uncertain window applies as above, with one exception:
 *   an idle close (the pool's `idleTimeoutMs`) of a connection that had been
 *   quiet for `uncertainWindowMs` (every byte handed to the kernel, nothing
 *   written since) takes what it wrote as processed: a gateway that read it
 *   all and never closes its side must not get a connection's last
 *   notifications again on every idle close (our kernel still delivers what
 *   it holds after we let go; what is lost is only the chance to hear an
 *   answer the gateway had the whole idle time to give). During the
 *   transport's `close()` nothing is sent again: what the window holds fails
 *   with `Shutdown` ("may or may not have been delivered"), since a gateway
 *   still reading slowly and one that never closes look the same.
 *
 * A delivery that keeps coming back without an error response naming it (its
 * connection dies under it every time) fails with `ConnectionLost` once it has
 * been written `retry.attempts` times that ended uncertain, so a gateway that
 * drops every connection cannot make it loop forever. Resends caused by another
 * notification's error response do not count: each of those makes progress.
 */
export class BinaryConnection implements PooledConnection {
  private readonly encoder: FrameBatchEncoder;
  private readonly decoder = new ErrorResponseDecoder();
  private readonly sent: SentBuffer;
  /** Written into the encoder, not yet flushed. */
  private readonly pending: Delivery[] = [];
  /** Identifier of the next delivery written into the encoder. */
  private nextIdentifier: number;
  private state: State = 'open';
  private writable = true;
  private lingerTimer: NodeJS.Timeout | undefined;
  /** Set once an error response was handled: the end of the socket is then expected. */
  private answeredWithError = false;
  /** We cut the connection (`destroy()`) or our close timed out: the server confirmed nothing. */
  private endedByUs = false;
  /** Set when the server's reply could not be read: nothing held can be taken as processed. */
  private unreadable = false;
  private socketError: ApnsConnectionError | undefined;
  /** Bytes handed to `socket.write`, in total. */
  private handedBytes = 0;
  /** Bytes node has handed to the kernel (their write completed), in total. */
  private kernelBytes = 0;
  /** Sequence number up to which entries are in the kernel. */
  private kernelSeq = 0;
  /** When the kernel last took bytes (or when the connection opened). */
  private kernelAt: number;
  /** Writes not yet completed, oldest first, as pairs: byte end, sequence end. */
  private readonly outstanding: number[] = [];
  /** When `close()` was called, for the quiet test of an unconfirmed close. */
  private closeStartedAt: number | undefined;
  /** Written deliveries taken as processed (confirmed, or out of the uncertain window). */
  private deliveredCount = 0;
  private evictedCount = 0;
  /** Sequence number of the newest entry evicted while uncertain, -1 for none. */
  private lastEvictedSeq = -1;
  lastActivity: number;

  /** Opens the TLS connection, then wraps it. Rejects with an `ApnsConnectionError`. */
  static async open(id: number, listener: ConnectionListener, context: BinaryConnectionContext): Promise<BinaryConnection> {
    const { config, endpoint } = context;
    const strikes = context.handshakeStrikes;
    const generation = strikes.generation;
    let socket: TLSSocket;
    try {
      socket = await connectTls(endpoint, config.tls, context.secureContext(), config.connectTimeoutMs);
    } catch (error) {
      if (!(error instanceof ApnsConnectionError) || error.code !== CLOSED_AFTER_HANDSHAKE) throw error;
      // Once could be a server shedding load; twice on attempts one after the other, the certificate
      // is the likely cause. Attempts that ran side by side (a server restarting drops them all) are one strike.
      if (generation === strikes.generation) {
        strikes.count++;
        strikes.generation++;
      }
      throw strikes.count >= CERTIFICATE_REJECTED_AFTER ? certificateRejected(error, endpoint, strikes.count) : error;
    }
    strikes.count = 0;
    strikes.generation++;
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
    this.nextIdentifier = context.firstIdentifier;
    this.lastActivity = this.kernelAt = config.now();
    // Frames are batched already; Nagle would only add latency to the last batch.
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.onDrain());
    socket.on('error', (error: Error) => {
      this.socketError ??= toConnectionError(context.endpoint, error);
    });
    socket.on('close', () => this.onSocketClosed());
  }

  /** A socket takes frames until its buffer is full: no count bounds what it carries. */
  get capacity(): number {
    return Infinity;
  }

  get available(): number {
    return this.state === 'open' && this.writable ? BINARY_WRITE_BUDGET - this.pending.length : 0;
  }

  /** Taken and not yet in the kernel: waiting for a flush, or written and still in node's socket buffer. */
  get inFlight(): number {
    return this.pending.length + this.sent.nextSeq - Math.max(this.kernelSeq, this.sent.firstSeq);
  }

  get draining(): boolean {
    return this.state === 'closing';
  }

  /** Written deliveries taken as processed so far. */
  get delivered(): number {
    return this.deliveredCount;
  }

  /** What the gateway answered: an error response counts, on top of what it processed. */
  get answered(): number {
    return this.deliveredCount + (this.answeredWithError ? 1 : 0);
  }

  write(delivery: Delivery): void {
    if (this.state !== 'open') {
      // The pool only writes into a connection with room; should a caller not, the delivery still goes somewhere.
      this.listener.onRetry(delivery, 0);
      return;
    }
    const identifier = this.nextIdentifier;
    try {
      this.encoder.append(identifier, delivery.tokenHex, delivery.message);
    } catch (error) {
      if (!(error instanceof ApnsValidationError)) throw error;
      this.failUnframable(delivery, error);
      return;
    }
    this.nextIdentifier = identifier === MAX_BINARY_IDENTIFIER ? 1 : identifier + 1;
    this.pending.push(delivery);
  }

  flush(): void {
    const n = this.pending.length;
    if (n === 0 || this.state === 'closed') return;
    const bytes = this.encoder.take();
    const now = this.context.config.now();
    const byteEnd = (this.handedBytes += bytes.length);
    const sent = this.sent;
    this.dropSettled(now);
    const pending = this.pending;
    for (let i = 0; i < n; i++) {
      const d = pending[i]!;
      d.attempts++;
      if (sent.full) this.evictOldest(now);
      sent.push(d, now, byteEnd);
    }
    this.outstanding.push(byteEnd, sent.nextSeq);
    this.lastActivity = now;
    if (!this.socket.write(bytes, this.onWritten)) {
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
    this.closeStartedAt = this.context.config.now();
    this.socket.end();
    // During the transport's close() the pool's drain deadline bounds the wait (and cuts us).
    if (this.context.lifecycle.shuttingDown) return;
    const lingerMs = this.context.config.binary.closeLingerMs;
    this.lingerTimer = setTimeout(() => this.onCloseTimeout(lingerMs), lingerMs);
    this.lingerTimer.unref();
  }

  destroy(cause?: Error): void {
    if (this.state === 'closed') return;
    this.endedByUs = true;
    if (cause && !this.socketError) {
      this.socketError = cause instanceof ApnsConnectionError ? cause : new ApnsConnectionError(this.context.endpointName, 'DESTROYED', cause.message, { cause });
    }
    this.socketError ??= new ApnsConnectionError(this.context.endpointName, 'DESTROYED', 'the connection was closed before the server confirmed it');
    // Ends the connection now (synchronously, so the pool sees the work come back at once).
    this.finish();
    this.socket.destroy();
  }

  /** One function for every write of this connection: the kernel now has everything up to that write. */
  private readonly onWritten = (error?: Error | null): void => {
    const byteEnd = this.outstanding.shift();
    const seqEnd = this.outstanding.shift();
    if (error || byteEnd === undefined || seqEnd === undefined || this.state === 'closed') return;
    this.kernelBytes = byteEnd;
    this.kernelSeq = seqEnd;
    // Bytes moving is activity: an idle close counts from when the kernel took the last of them.
    this.lastActivity = this.kernelAt = this.context.config.now();
    // Nothing left in node's buffer: tell the pool (a drain on close waits for this). Without
    // backpressure there is no 'drain' event to do it; with it, 'drain' follows.
    if (this.outstanding.length === 0 && this.writable && this.state === 'open') this.listener.onAvailable(this);
  };

  private onCloseTimeout(lingerMs: number): void {
    this.lingerTimer = undefined;
    if (this.state !== 'closing') return;
    this.context.counters.closeTimeouts++;
    this.context.config.logger.warn(
      `binary: connection ${this.id} to ${this.context.endpointName}: the server did not close within ${lingerMs} ms of our close; dropping it`,
    );
    this.socketError ??= new ApnsConnectionError(this.context.endpointName, 'CLOSE_TIMEOUT', `the server did not close within ${lingerMs} ms`);
    this.endedByUs = true;
    this.finish();
    this.socket.destroy();
  }

  private onDrain(): void {
    this.writable = true;
    if (this.state === 'open') this.listener.onAvailable(this);
  }

  private onData(chunk: Buffer): void {
    this.lastActivity = this.context.config.now();
    if (this.answeredWithError || this.state === 'closed') return;
    const events = this.decoder.push(chunk);
    if (events.length > 0) this.onErrorResponse(events[0]!);
  }

  /** Entries out of the uncertain window leave the buffer, taken as processed. */
  private dropSettled(now: number): void {
    const { uncertainWindowMs, uncertainWindowBytes } = this.context.config.binary;
    this.deliveredCount += this.sent.dropSettled(now - uncertainWindowMs, this.kernelBytes - uncertainWindowBytes);
  }

  /** Makes room in a full buffer: its oldest entry leaves, counted when it was still uncertain. */
  private evictOldest(now: number): void {
    const sent = this.sent;
    const { uncertainWindowMs, uncertainWindowBytes, sentBufferSize } = this.context.config.binary;
    if (sent.timeAt(0) >= now - uncertainWindowMs || sent.byteEndAt(0) > this.kernelBytes - uncertainWindowBytes) {
      this.context.counters.evictedUncertain++;
      this.lastEvictedSeq = sent.firstSeq;
      if (this.evictedCount++ === 0) {
        this.context.config.logger.warn(
          `binary: connection ${this.id} to ${this.context.endpointName}: the sent buffer (binary.sentBufferSize ${sentBufferSize}) is full of notifications ` +
            `still inside the uncertain window (the last ${uncertainWindowMs} ms or ${uncertainWindowBytes} bytes); the oldest leave it unconfirmed ` +
            `(counted in evictedUncertain): should this connection end without an answer, they cannot be sent again. ` +
            `Raise binary.sentBufferSize or spread the load over more connections.`,
        );
      }
    } else {
      this.deliveredCount++;
    }
    sent.dropOldest();
  }

  /**
   * The newest sequence number this connection wrote with `identifier`, or -1
   * if it never wrote it (0, or beyond what it wrote).
   */
  private seqOf(identifier: number): number {
    if (identifier < 1 || identifier > MAX_BINARY_IDENTIFIER) return -1;
    const cycle = MAX_BINARY_IDENTIFIER;
    const first = (identifier - this.context.firstIdentifier + cycle) % cycle;
    const last = this.sent.nextSeq - 1;
    if (last < first) return -1;
    return first + Math.floor((last - first) / cycle) * cycle;
  }

  /** Why an entry written before the oldest one held left the buffer, and what would keep it. */
  private whyForgotten(seq: number): string {
    const { sentBufferSize, uncertainWindowMs, uncertainWindowBytes } = this.context.config.binary;
    return seq <= this.lastEvictedSeq
      ? `it left the full sent buffer (binary.sentBufferSize ${sentBufferSize}) before the gateway answered: raise binary.sentBufferSize`
      : `it had left the sent buffer as processed (older than ${uncertainWindowMs} ms and ${uncertainWindowBytes} bytes): ` +
          `the gateway answered later than the uncertain window assumes; raise binary.uncertainWindowMs or binary.uncertainWindowBytes`;
  }

  /**
   * The server answered: it has closed (or is closing) the connection. Settle
   * everything it wrote now rather than at 'close', so the pool resends at once.
   */
  private onErrorResponse(event: ErrorResponseEvent): void {
    const { config, counters } = this.context;
    const name = `binary: connection ${this.id} to ${this.context.endpointName}`;
    this.answeredWithError = true;
    if (event.kind === 'malformed') {
      // Nothing after it can be trusted: we end the connection, and the server confirmed nothing held.
      config.logger.warn(`${name}: unreadable reply (${event.detail}); closing it`);
      this.answeredWithError = false;
      this.unreadable = true;
      this.socketError = new ApnsConnectionError(this.context.endpointName, 'MALFORMED_REPLY', event.detail);
      this.finish();
      this.socket.destroy();
      return;
    }
    counters.errorResponses++;
    const { status, identifier, statusName } = event;
    const shutdown = status === BinaryStatus.Shutdown;
    const seq = this.seqOf(identifier);
    const first = this.sent.firstSeq;
    const held = this.sent.length;
    let unfinished: Delivery[];
    if (seq >= first) {
      const position = seq - first;
      const named = this.sent.at(position);
      unfinished = this.sent.takeFrom(position + 1);
      counters.resentAfterError += unfinished.length;
      // The server processed everything before the named one (and the named one itself on status 10).
      this.deliveredCount += shutdown ? position + 1 : position;
      if (!shutdown) {
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
        config.logger.debug?.(`${name}: gateway shutting down; resending ${unfinished.length} notification(s) written after identifier ${identifier}`);
      }
    } else if (seq >= 0) {
      // Written here, but no longer held: neither it nor what followed it up to the oldest held one can be reported.
      counters.unknownIdentifiers++;
      const lost = first - seq - 1;
      counters.presumedLost += lost;
      unfinished = this.sent.takeFrom(0);
      counters.resentAfterError += unfinished.length;
      const what = shutdown
        ? `status 10 (Shutdown) names identifier ${identifier} as the last one processed, but ${this.whyForgotten(seq)}.`
        : `error response ${statusName} (status ${status}) names identifier ${identifier}, but ${this.whyForgotten(seq)}; ` +
          `that notification was rejected and cannot be reported.`;
      const logLine =
        `${name}: ${what} ` +
        (lost > 0 ? `The ${lost} notification(s) written after it and before the oldest one held were dropped by the gateway and can no longer be sent: counted in presumedLost. ` : '') +
        `Sending the ${held} still held again.`;
      if (shutdown && lost === 0) config.logger.warn(logLine);
      else config.logger.error(logLine);
    } else if (shutdown && identifier === 0) {
      // 0 is never written: the gateway is going away before it processed anything of ours.
      unfinished = this.sent.takeFrom(0);
      counters.resentAfterError += unfinished.length;
      counters.presumedLost += first;
      if (first > 0) {
        config.logger.error(
          `${name}: status 10 (Shutdown) says the gateway processed none of this connection's notifications, but ${first} of them had ` +
            `already left the sent buffer as processed: counted in presumedLost. Sending the ${held} still held again.`,
        );
      } else {
        config.logger.warn(`${name}: gateway shutting down before it processed any notification; sending the ${held} written again`);
      }
    } else {
      // An identifier this connection never wrote: the answer makes no sense; at-least-once, send all held again.
      counters.unknownIdentifiers++;
      unfinished = this.sent.takeFrom(0);
      counters.resentAfterError += unfinished.length;
      config.logger.error(
        `${name}: error response ${statusName} (status ${status}) names identifier ${identifier}, which this connection never wrote: ` +
          `no notification can be reported for it. Sending the ${held} held again (at-least-once)` +
          (first > 0 ? `; the ${first} written before them had left the sent buffer as processed.` : '.'),
      );
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

  /** True when, at `time`, every byte had been in the kernel for at least the uncertain window and nothing was written since. */
  private quietAt(time: number): boolean {
    return this.outstanding.length === 0 && time - this.kernelAt >= this.context.config.binary.uncertainWindowMs;
  }

  /** Ends the connection without an error response: unflushed work goes back; the uncertain window applies. */
  private finish(): void {
    const { config, counters } = this.context;
    const { uncertainWindowMs, uncertainWindowBytes } = config.binary;
    const now = config.now();
    const name = `binary: connection ${this.id} to ${this.context.endpointName}`;
    // Never written, so certainly not processed: no attempt is charged.
    const unfinished = this.pending.slice();
    this.pending.length = 0;
    const partial = this.decoder.pendingBytes;
    let cause: ApnsConnectionError | undefined;
    let position: number;
    let scope: string;
    if (this.unreadable || partial > 0) {
      // The server was answering and we cannot read what: it may concern any of them.
      cause = partial > 0 ? this.socketErrorOr('PARTIAL_REPLY', `the connection ended ${partial} byte(s) into an error response`) : this.socketError!;
      if (partial > 0) config.logger.warn(`${name}: the connection ended ${partial} byte(s) into an error response; nothing held can be taken as processed`);
      position = 0;
      scope = partial > 0 ? 'held when it ended in the middle of an error response' : 'held when its reply could not be read';
    } else if (this.state === 'closing' && !this.endedByUs && this.socketError === undefined) {
      // The server read our end and closed without an error response: it processed everything.
      position = this.sent.length;
      scope = '';
    } else if (this.endedByUs) {
      cause = this.socketError!;
      const reference = this.closeStartedAt ?? now;
      if (!this.context.lifecycle.shuttingDown && this.closeStartedAt !== undefined && this.quietAt(this.closeStartedAt)) {
        // An idle close the gateway never confirmed. Ending our side first means our kernel still
        // delivers what it holds after we let go; and the gateway had the whole idle time, every
        // byte in the kernel, to answer a rejection. Resending would send a connection's last
        // notifications again on each idle close of a gateway that never closes its side.
        // Only what never reached the kernel is in doubt (normally nothing).
        position = this.sent.firstWrittenSince(Infinity, this.kernelBytes);
        scope = 'that never left node before we closed it';
      } else {
        position = this.sent.firstWrittenSince(reference - uncertainWindowMs, this.kernelBytes - uncertainWindowBytes);
        scope = `in the uncertain window when we closed it unconfirmed (written in the last ${uncertainWindowMs} ms or ${uncertainWindowBytes} bytes)`;
      }
    } else {
      cause = this.socketErrorOr('CONNECTION_LOST', 'the server closed the connection without an error response');
      position = this.sent.firstWrittenSince(now - uncertainWindowMs, this.kernelBytes - uncertainWindowBytes);
      scope = `in the uncertain window (written in the last ${uncertainWindowMs} ms, or within the last ${uncertainWindowBytes} bytes whatever their age)`;
    }
    this.deliveredCount += position;
    let uncertain = this.sent.takeFrom(position);
    if (cause !== undefined && position === 0 && this.evictedCount > 0) {
      config.logger.error(
        `${name} ended unconfirmed while the uncertain window reached past what the sent buffer held: ${this.evictedCount} notification(s) ` +
          `had left it unconfirmed (evictedUncertain) and may have been lost without a report. Raise binary.sentBufferSize.`,
      );
    }
    if (uncertain.length > 0) {
      if (this.endedByUs && this.context.lifecycle.shuttingDown) {
        counters.unconfirmedAtShutdown += uncertain.length;
        config.logger.warn(
          `${name}: closing the client cut it before the gateway confirmed it; failing ${uncertain.length} notification(s) ${scope} with Shutdown ` +
            `(they may or may not have been delivered)`,
        );
        for (const d of uncertain) this.context.fail(d, 'Shutdown', cause);
        uncertain = [];
      } else {
        uncertain = this.settleUncertain(uncertain, cause!, scope);
      }
    }
    this.end(uncertain.length > 0 ? [...uncertain, ...unfinished] : unfinished, cause);
  }

  /** Applies the `uncertainWindow` policy to deliveries the server may or may not have processed. */
  private settleUncertain(uncertain: Delivery[], cause: ApnsConnectionError, scope: string): Delivery[] {
    const { config, counters } = this.context;
    if (config.binary.uncertainWindow === 'fail') {
      counters.failedUncertain += uncertain.length;
      config.logger.warn(
        `binary: connection ${this.id} to ${this.context.endpointName} ended unconfirmed (${cause.code}); ` +
          `failing ${uncertain.length} notification(s) ${scope} (uncertainWindow: 'fail')`,
      );
      for (const d of uncertain) {
        this.context.fail(d, 'ConnectionLost', cause, 'The connection closed right after it was written; it may or may not have been delivered.');
      }
      return [];
    }
    const resent = this.countUncertain(uncertain, cause);
    counters.resentUncertain += resent.length;
    config.logger.warn(
      `binary: connection ${this.id} to ${this.context.endpointName} ended unconfirmed (${cause.code}); ` +
        `sending ${resent.length} notification(s) ${scope} again (at-least-once)` +
        (resent.length < uncertain.length ? `; ${uncertain.length - resent.length} failed after ${config.retry.attempts} attempts` : ''),
    );
    return resent;
  }

  /**
   * Charges one uncertain ending to each delivery: a delivery whose every
   * write so far ended uncertain fails once it has been written
   * `retry.attempts` times (attempts count the first write).
   */
  private countUncertain(deliveries: Delivery[], cause: ApnsConnectionError): Delivery[] {
    const limit = this.context.config.retry.attempts;
    const keep: Delivery[] = [];
    for (const d of deliveries) {
      const uncertainWrites = ((d.transportState as number | undefined) ?? 0) + 1;
      d.transportState = uncertainWrites;
      if (uncertainWrites >= limit) {
        this.context.counters.failedResendLimit++;
        this.context.fail(
          d,
          'ConnectionLost',
          cause,
          `Its connection ended unconfirmed under it on each of its ${uncertainWrites} write(s); giving up: it may or may not have been delivered.`,
        );
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
    if (this.evictedCount > 0) {
      this.context.config.logger.warn(
        `binary: connection ${this.id} to ${this.context.endpointName}: ${this.evictedCount} notification(s) left its full sent buffer while still uncertain`,
      );
    }
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

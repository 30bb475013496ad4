import { randomUUID } from 'node:crypto';
import http2, { type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { isIP } from 'node:net';
import type { SecureClientSessionOptions } from 'node:http2';
import { devicePath } from '../../codec/http2-request.js';
import { parseHttp2Response } from '../../codec/http2-response.js';
import { describeReason } from '../../codec/reasons.js';
import { ApnsConnectionError } from '../../errors/apns-connection.error.js';
import { ApnsDeliveryError } from '../../errors/apns-delivery.error.js';
import type { TransportHooks } from '../apns-transport.js';
import { backoffDelay } from '../backoff.js';
import type { Delivery } from '../delivery.js';
import type { ConnectionListener, PooledConnection } from '../pooled-connection.js';
import type { TransportConfig } from '../transport-config.js';
import type { ProviderToken } from './provider-token.js';
import { toConnectionError } from '../tls-connection-error.js';

const { NGHTTP2_CANCEL, NGHTTP2_REFUSED_STREAM, NGHTTP2_NO_ERROR } = http2.constants;

/**
 * Most streams we keep open on one session whatever the server allows. HTTP/2's
 * default is "unlimited" when a server sends no limit; Apple has been seen at
 * 500–1,500. Beyond this, more streams only add session memory, not speed.
 */
export const MAX_STREAMS_PER_SESSION = 2000;

/** Running totals shared by every session of one transport. */
export interface Http2Counters {
  /** Requests written (attempts), retries included. */
  requests: number;
  /**
   * Resends scheduled, of every kind: retryable answers (429, 5xx,
   * ExpiredProviderToken, TooManyProviderTokenUpdates), requests that went
   * unanswered, and requests the server never processed.
   */
  retries: number;
  /**
   * Of `retries`, the resends of a request that was sent and went unanswered
   * (session lost, `requestTimeoutMs` passed, stream reset other than
   * REFUSED_STREAM): APNs may have processed the first copy, so each one is a
   * possible duplicate (at-least-once).
   */
  resentUnanswered: number;
  /** Requests that passed `requestTimeoutMs` without an answer. */
  timeouts: number;
  /** Streams reset before an answer (REFUSED_STREAM included). */
  resets: number;
  /** GOAWAY frames received. */
  goaways: number;
  /**
   * Requests the server provably never processed (streams above GOAWAY's
   * last-stream-id, REFUSED_STREAM); resent on their own budget, `retry.unprocessedResends`.
   */
  unprocessed: number;
  /** Sessions closed because a PING went unanswered. */
  pingTimeouts: number;
}

/** What every session of one transport shares. */
export interface Http2ConnectionContext {
  readonly config: TransportConfig;
  readonly hooks: TransportHooks;
  /** Present for token auth; absent for certificate auth. */
  readonly token: ProviderToken | undefined;
  readonly counters: Http2Counters;
  /**
   * For each stream limit a session ran under, the most requests the client
   * itself had in flight on one session under it, counted at each write: proof
   * that our own limit logic holds (node would hold back extra streams silently).
   */
  readonly peakStreamsByLimit: Map<number, number>;
}

/**
 * What a delivery carries between HTTP/2 attempts (`Delivery.transportState`),
 * created on its first resend: a delivery accepted at once never allocates one.
 */
interface RetryState {
  /** Why it was last sent again: its error names this if it runs out of attempts. */
  reason: string;
  status: number | undefined;
  /** Writes the server provably never processed; they count against `retry.unprocessedResends`, not `retry.attempts`. */
  unprocessed: number;
  /** Writes that went unanswered and may have been processed: a later failure may hide a delivery that happened. */
  unanswered: number;
}

// How a resend came about, which decides its budget and its delay.
/** APNs answered and said it may be retried: backoff, or its retry-after when longer. */
const RESEND_ANSWERED = 0;
/** ExpiredProviderToken, with a new token now current: at once. */
const RESEND_RENEWED = 1;
/** Sent and never answered; APNs may have processed it: backoff. */
const RESEND_UNANSWERED = 2;
/** APNs provably never processed it: at once the first time, backoff after, on its own budget. */
const RESEND_UNPROCESSED = 3;
type ResendKind = typeof RESEND_ANSWERED | typeof RESEND_RENEWED | typeof RESEND_UNANSWERED | typeof RESEND_UNPROCESSED;

/**
 * The note an error gets when an attempt of the delivery went unanswered:
 * APNs may have processed that copy, so "failed" may hide a delivery that happened.
 */
export function maybeDeliveredNote(d: Delivery): string {
  const st = d.transportState as RetryState | undefined;
  return st !== undefined && st.unanswered > 0
    ? ' An attempt went unanswered (session lost, timed out or reset), so APNs may have delivered it all the same.'
    : '';
}

/** One request on the wire. Listeners are shared functions that find it on the stream. */
interface PendingRequest {
  readonly conn: Http2Connection;
  readonly delivery: Delivery;
  readonly stream: ClientHttp2Stream;
  /** The JWT it carried (token auth), to tell whether a 403 ExpiredProviderToken is about the current token. */
  readonly jwt: string | undefined;
  readonly sentAt: number;
  status: number;
  headers: IncomingHttpHeaders | undefined;
  body: Buffer[] | undefined;
  /** Bytes kept in `body`, at most MAX_ERROR_BODY_BYTES. */
  bodySize: number;
  done: boolean;
}

const REQUEST = Symbol('apnsRequest');
type TaggedStream = ClientHttp2Stream & { [REQUEST]: PendingRequest };

// One set of listeners for every stream (no closure per request): `this` is the stream.
function onStreamResponse(this: TaggedStream, headers: IncomingHttpHeaders): void {
  const req = this[REQUEST];
  req.status = Number(headers[':status']);
  req.headers = headers;
  // A 200 carries no body and is final: settle now rather than a tick later at 'end'.
  if (req.status === 200) {
    // Read the (empty) body away so the stream can close.
    this.resume();
    req.conn.onResponse(req);
    return;
  }
  // Only error answers have a body worth reading (Apple's JSON reason). The stream stayed
  // paused until now: node emits 'response' a tick after the HEADERS frame, and a DATA
  // frame read in the same chunk would have flowed past a stream resumed earlier.
  this.on('data', onStreamData);
  this.on('end', onStreamEnd);
}
function onStreamData(this: TaggedStream, chunk: Buffer): void {
  const req = this[REQUEST];
  if (req.done) return;
  const room = MAX_ERROR_BODY_BYTES - req.bodySize;
  if (chunk.length <= room) {
    (req.body ??= []).push(chunk);
    req.bodySize += chunk.length;
    return;
  }
  // Apple's error bodies are a few dozen bytes of JSON. A server that sends more (or never
  // ends) must neither grow our memory nor hold the delivery: settle on what we kept, stop the stream.
  if (room > 0) (req.body ??= []).push(chunk.subarray(0, room));
  req.bodySize = MAX_ERROR_BODY_BYTES;
  req.conn.onResponse(req);
  if (!this.destroyed) this.close(NGHTTP2_CANCEL);
}
function onStreamEnd(this: TaggedStream): void {
  const req = this[REQUEST];
  if (!req.done && req.headers !== undefined) req.conn.onResponse(req);
}
function onStreamClose(this: TaggedStream): void {
  const req = this[REQUEST];
  if (!req.done) req.conn.onStreamLost(req, this.rstCode ?? NGHTTP2_NO_ERROR);
}
function ignoreStreamError(): void {
  // 'close' follows with rstCode and decides; without a listener the error would crash the process.
}

const STATE_OPENING = 0;
const STATE_OPEN = 1;
/** GOAWAY received or close() called: no new streams, open ones finish. */
const STATE_CLOSING = 2;
const STATE_ENDED = 3;

/**
 * One `node:http2` client session to the provider API, driven by the pool.
 *
 * Keeps at most the server's current SETTINGS_MAX_CONCURRENT_STREAMS streams
 * open, following changes on the live session. Every delivery written ends
 * exactly once: accepted, failed (permanent rejection, budget spent, or a
 * retry-after longer than `retry.maxRetryAfterMs`), handed to `onRetry`, or
 * (only when it never reached the wire) handed back in `onClosed`.
 *
 * Delivery semantics. A resend is one of three kinds, each with its budget:
 * - answered and retryable (429, 5xx, ExpiredProviderToken after a renewal,
 *   TooManyProviderTokenUpdates, which also retires this session): counts
 *   against `retry.attempts`, with backoff (or the longer retry-after);
 * - sent and unanswered (the session was lost, `requestTimeoutMs` passed, the
 *   stream was reset with a code other than REFUSED_STREAM): APNs may have
 *   processed it, and the only way not to lose it is to send it again, so this
 *   is at-least-once: counts against `retry.attempts`, with backoff, and in
 *   `resentUnanswered`; the same apns-id goes with every copy;
 * - provably never processed (a stream above GOAWAY's last-stream-id, or reset
 *   with REFUSED_STREAM, RFC 9113 §8.7): cannot duplicate, so it does not use
 *   up `retry.attempts` but `retry.unprocessedResends`: at once the first
 *   time, with backoff after, so a server that keeps refusing still ends it.
 * A delivery that fails after an unanswered attempt says in its message that
 * APNs may have delivered it all the same.
 *
 * One timer per session sweeps request deadlines and sends a PING when the
 * session has been quiet for `pingIntervalMs`; an unanswered PING destroys it.
 */
export class Http2Connection implements PooledConnection {
  private state = STATE_OPENING;
  private readonly requests = new Set<PendingRequest>();
  private maxStreams = 1;
  private lastHeard: number;
  private pingSentAt = 0;
  private pingOutstanding = false;
  private closeCause: Error | undefined;
  private timer: NodeJS.Timeout | undefined;
  private authJwt: string | undefined;
  private authHeader = '';
  /** Most requests in flight after a write since the stream limit last changed (see `peakStreamsByLimit`). */
  private peakUnderLimit = 0;
  private readonly endpoint: string;
  private readonly requestTimeoutMs: number;
  private readonly pingIntervalMs: number;
  private readonly maxAttempts: number;
  /** Requests answered 2xx: the pool spaces the next open after a session that ends with none. */
  delivered = 0;
  /** Responses of any status. */
  answered = 0;
  lastActivity: number;

  /** Opens a session and resolves once the server's first SETTINGS arrived (the stream limit is known). */
  static open(id: number, listener: ConnectionListener, context: Http2ConnectionContext): Promise<Http2Connection> {
    const { config } = context;
    const endpoint = `${config.endpoint.host}:${config.endpoint.port}`;
    return new Promise((resolve, reject) => {
      let session: ClientHttp2Session;
      try {
        session = http2.connect(authorityOf(config), sessionOptions(config));
      } catch (error) {
        // Bad key, wrong passphrase, unreadable PKCS#12: thrown while building the TLS context.
        reject(toConnectionError(endpoint, error));
        return;
      }
      const conn = new Http2Connection(id, listener, context, session, endpoint);
      let settled = false;
      const finish = (failure?: Error): void => {
        let error = failure;
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        session.off('remoteSettings', onReady);
        // A session that goes away before carrying anything counts as a failed open, so the
        // pool backs off instead of reconnecting in a tight loop to a server that keeps refusing.
        if (error === undefined && !conn.start()) error = conn.closeCause ?? new ApnsConnectionError(endpoint, 'GOAWAY', 'the server sent GOAWAY before the session was used');
        if (error === undefined) {
          resolve(conn);
        } else {
          conn.abandon();
          reject(toConnectionError(endpoint, error));
        }
      };
      const onReady = (): void => {
        // The first SETTINGS follows the TLS handshake; 'connect' alone does not tell the stream limit.
        if (!session.connecting) finish();
        else session.once('connect', () => finish());
      };
      const deadline = setTimeout(
        () => finish(new ApnsConnectionError(endpoint, 'CONNECT_TIMEOUT', `no HTTP/2 session within ${config.connectTimeoutMs} ms`)),
        config.connectTimeoutMs,
      );
      session.once('remoteSettings', onReady);
      session.once('error', (error: Error) => finish(error));
      session.once('close', () => finish(conn.closeCause ?? new ApnsConnectionError(endpoint, 'ECONNRESET', 'the session closed before it was ready')));
    });
  }

  private constructor(
    readonly id: number,
    private readonly listener: ConnectionListener,
    private readonly context: Http2ConnectionContext,
    private readonly session: ClientHttp2Session,
    endpoint: string,
  ) {
    const { config } = context;
    this.endpoint = endpoint;
    this.requestTimeoutMs = config.requestTimeoutMs;
    this.pingIntervalMs = config.pingIntervalMs;
    this.maxAttempts = Math.max(1, config.retry.attempts);
    this.lastActivity = this.lastHeard = config.now();
    // Listeners for the whole life of the session; 'error' first so nothing can crash the process.
    session.on('error', (error: Error) => {
      this.closeCause ??= toConnectionError(this.endpoint, error);
    });
    session.on('remoteSettings', (settings) => this.onSettings(settings.maxConcurrentStreams));
    session.on('goaway', (code: number, lastStreamId: number, data?: Buffer) => this.onGoaway(code, lastStreamId, data));
    session.on('close', () => this.onSessionClose());
    session.on('frameError', (type: number, code: number, streamId: number) => {
      this.context.config.logger.debug?.(`http2: session ${this.id}: frame error type ${type} code ${code} on stream ${streamId}`);
    });
  }

  get capacity(): number {
    return this.maxStreams;
  }

  get available(): number {
    if (this.state !== STATE_OPEN) return 0;
    const room = this.maxStreams - this.requests.size;
    return room > 0 ? room : 0;
  }

  get inFlight(): number {
    return this.requests.size;
  }

  /** GOAWAY received or close() called: no new streams; the pool no longer counts it against maxConnections. */
  get draining(): boolean {
    return this.state === STATE_CLOSING;
  }

  write(d: Delivery): void {
    // No budget check here: every resend went through retry(), which checked it.
    const { config, token, counters } = this.context;
    d.apnsId ??= randomUUID();
    let jwt: string | undefined;
    if (token !== undefined) {
      try {
        jwt = token.current();
      } catch (error) {
        // Signing failed (the key changed under us?): fail this one rather than throw into the pool.
        this.fail(d, 'InvalidProviderToken', undefined, false, 'The provider token could not be signed: check the .p8 key, key id and team id.', { cause: error });
        return;
      }
    }
    const headers: OutgoingHttpHeaders = {
      ':method': 'POST',
      ':path': devicePath(d.tokenHex),
      ...d.message.headers,
      'apns-id': d.apnsId,
    };
    if (jwt !== undefined) {
      // One header string per token, not a fresh 200-byte concatenation per request.
      if (jwt !== this.authJwt) {
        this.authJwt = jwt;
        this.authHeader = `bearer ${jwt}`;
      }
      headers.authorization = this.authHeader;
    }
    // Apple asks for :path and authorization as literals never indexed (its HPACK table is small).
    (headers as Record<symbol, unknown>)[http2.sensitiveHeaders] = SENSITIVE;
    let stream: ClientHttp2Stream;
    try {
      // No options argument: POST keeps the stream open for the body by default, and node's
      // handling of an options object costs a third of the client's CPU per request.
      stream = this.session.request(headers);
    } catch (error) {
      if (this.session.destroyed || this.session.closed) {
        // The session died under us: nothing was sent; it goes back with the rest, to another session.
        const back: PendingRequest = {
          conn: this,
          delivery: d,
          stream: undefined as never,
          jwt,
          sentAt: 0,
          status: 0,
          headers: undefined,
          body: undefined,
          bodySize: 0,
          done: false,
        };
        this.requests.add(back);
        this.destroy(toConnectionError(this.endpoint, error));
      } else {
        // node refused the request itself (a header value it will not send): sending it again cannot help.
        this.fail(d, 'InvalidRequest', undefined, false, 'node:http2 refused the request headers.', { apnsId: d.apnsId, cause: error });
      }
      return;
    }
    d.attempts++;
    counters.requests++;
    const now = config.now();
    this.lastActivity = now;
    const req: PendingRequest = { conn: this, delivery: d, stream, jwt, sentAt: now, status: 0, headers: undefined, body: undefined, bodySize: 0, done: false };
    (stream as TaggedStream)[REQUEST] = req;
    this.requests.add(req);
    if (this.requests.size > this.peakUnderLimit) this.notePeak(this.requests.size);
    stream.on('response', onStreamResponse);
    stream.on('close', onStreamClose);
    stream.on('error', ignoreStreamError);
    // Not resumed here: the 'response' listener resumes it or attaches the body listeners.
    stream.end(d.message.payload);
    // Client stream ids are odd and end at 2^31: retire the session well before, gracefully.
    if ((stream.id ?? 0) >= LAST_STREAM_ID) this.close();
  }

  flush(): void {
    // node:http2 already coalesces the frames written in one tick into few socket writes.
  }

  close(): void {
    if (this.state === STATE_ENDED) return;
    this.state = STATE_CLOSING;
    // Graceful: node lets open streams finish, then emits 'close' (→ onClosed).
    if (!this.session.closed) this.session.close();
    else if (this.session.destroyed) this.onSessionClose();
  }

  destroy(cause?: Error): void {
    if (this.state === STATE_ENDED) return;
    if (cause !== undefined) this.closeCause ??= cause;
    this.session.destroy();
    // Report at once: the pool may be cutting connections at its drain deadline.
    this.onSessionClose();
  }

  /** Called by the stream listeners once a complete answer is in. */
  onResponse(req: PendingRequest): void {
    if (req.done) return;
    this.finish(req);
    this.answered++;
    const d = req.delivery;
    const now = this.context.config.now();
    this.lastActivity = this.lastHeard = now;
    if (req.status === 200) {
      const h = req.headers!;
      this.delivered++;
      d.sink.accepted(d, { apnsId: headerValue(h['apns-id']) ?? d.apnsId, apnsUniqueId: headerValue(h['apns-unique-id']) });
      this.afterSettle();
      return;
    }
    const body = req.body === undefined ? EMPTY : req.body.length === 1 ? req.body[0]! : Buffer.concat(req.body);
    const result = parseHttp2Response(req.status, req.headers!, body, now);
    if (result.ok) {
      this.delivered++;
      d.sink.accepted(d, { apnsId: result.apnsId ?? d.apnsId, apnsUniqueId: result.apnsUniqueId });
      this.afterSettle();
      return;
    }
    const { reason, status } = result;
    const apnsId = result.apnsId ?? d.apnsId;
    if (reason === 'ExpiredProviderToken' && req.jwt !== undefined && this.context.token !== undefined) {
      // One new signature for however many requests failed with the same old token.
      if (this.context.token.renewAfterRejection(req.jwt)) {
        this.retry(d, RESEND_RENEWED, reason, status);
      } else {
        this.fail(
          d,
          reason,
          status,
          true,
          'Apple calls the provider token expired although it was renewed less than 20 minutes ago (renewing again so soon would be refused with TooManyProviderTokenUpdates): check the system clock.',
          { apnsId },
        );
      }
      this.afterSettle();
      return;
    }
    if (result.retryable) {
      this.retry(d, RESEND_ANSWERED, reason, status, result.retryAfterMs);
      // Shutdown: the server is going away. TooManyProviderTokenUpdates: this session switched
      // tokens too often and refuses the current one for a while, so a blind resend here
      // cannot succeed, while a new session's first token is free. Either way stop putting
      // streams on it; the pool opens another one.
      if (reason === 'Shutdown' || reason === 'TooManyProviderTokenUpdates') this.close();
      this.afterSettle();
      return;
    }
    const info = describeReason(reason);
    this.fail(d, reason, status, false, info?.advice, { apnsId, timestamp: result.timestamp });
    if (status === 410) {
      // Apple's word is "stop sending": without a readable timestamp, the time we heard it is the best we know.
      this.context.hooks.onFeedback({ token: d.tokenHex, timestamp: result.timestamp ?? new Date(now) });
    }
    this.afterSettle();
  }

  /** A stream closed without a complete answer: reset by the server, cancelled, or the session went down. */
  onStreamLost(req: PendingRequest, rstCode: number): void {
    if (req.done) return;
    // The session is ending: what it did not answer goes back through onClosed, sent again at once elsewhere.
    if (this.state === STATE_ENDED || this.session.destroyed) return;
    if (this.state === STATE_CLOSING && rstCode !== NGHTTP2_REFUSED_STREAM) return;
    this.finish(req);
    this.context.counters.resets++;
    // REFUSED_STREAM means the server never processed it (limit lowered, GOAWAY); any other
    // code leaves it open whether it was processed.
    if (rstCode === NGHTTP2_REFUSED_STREAM) this.retry(req.delivery, RESEND_UNPROCESSED, 'StreamRefused');
    else this.retry(req.delivery, RESEND_UNANSWERED, `StreamReset(${rstName(rstCode)})`);
    this.afterSettle();
  }

  /** Ready to carry requests; false when the session already went away. */
  private start(): boolean {
    if (this.state !== STATE_OPENING || this.session.closed || this.session.destroyed) return false;
    this.state = STATE_OPEN;
    this.maxStreams = clampStreams(this.session.remoteSettings.maxConcurrentStreams);
    const shortest = Math.min(this.requestTimeoutMs > 0 ? this.requestTimeoutMs : Infinity, this.pingIntervalMs > 0 ? this.pingIntervalMs : Infinity);
    if (Number.isFinite(shortest)) {
      this.timer = setInterval(() => this.sweep(), Math.max(10, Math.min(1000, Math.floor(shortest / 4))));
      this.timer.unref();
    }
    return true;
  }

  /** The open attempt failed or timed out: tear down without reporting (nothing was written). */
  private abandon(): void {
    this.state = STATE_ENDED;
    if (!this.session.destroyed) this.session.destroy();
  }

  private onSettings(limit: number | undefined): void {
    const before = this.maxStreams;
    this.maxStreams = clampStreams(limit);
    if (this.maxStreams !== before) this.peakUnderLimit = 0;
    if (this.state === STATE_OPEN && this.maxStreams > before) this.listener.onAvailable(this);
  }

  /** Rare (only when a session's peak rises): keeps the per-limit peak out of the per-write path. */
  private notePeak(open: number): void {
    this.peakUnderLimit = open;
    const peaks = this.context.peakStreamsByLimit;
    if (open > (peaks.get(this.maxStreams) ?? 0)) peaks.set(this.maxStreams, open);
  }

  private onGoaway(code: number, lastStreamId: number, data: Buffer | undefined): void {
    const { counters, config } = this.context;
    counters.goaways++;
    if (this.state === STATE_OPEN || this.state === STATE_OPENING) this.state = STATE_CLOSING;
    config.logger.debug?.(`http2: session ${this.id} got GOAWAY ${rstName(code)} (last stream ${lastStreamId})${goawayReason(data)}`);
    // Streams above lastStreamId were never processed: send them again, on another session.
    for (const req of [...this.requests]) {
      const streamId = req.stream?.id;
      if (streamId !== undefined && streamId > lastStreamId) {
        this.finish(req);
        this.retry(req.delivery, RESEND_UNPROCESSED, 'GoAway');
      }
    }
    if (code !== NGHTTP2_NO_ERROR) this.closeCause ??= new ApnsConnectionError(this.endpoint, 'GOAWAY', `the server sent GOAWAY ${rstName(code)}${goawayReason(data)}`);
    // Draining now: the pool may open a replacement at once rather than when this session has finished.
    this.listener.onAvailable(this);
  }

  private onSessionClose(): void {
    if (this.state === STATE_ENDED) return;
    // Closed while opening: open() rejects; the pool never had this connection.
    const handedOver = this.state !== STATE_OPENING;
    this.state = STATE_ENDED;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const unsent: Delivery[] = [];
    const lost = [...this.requests];
    this.requests.clear();
    for (const req of lost) req.done = true;
    if (!handedOver) return;
    for (const req of lost) {
      // Never on the wire (the session died inside write): it goes back as it came, nothing spent.
      if (req.stream === undefined) unsent.push(req.delivery);
      // Sent but unanswered: the server may or may not have processed it. Resending is the only way
      // not to lose it (at-least-once), after a backoff like any retry, so a link that keeps dropping
      // cannot burn the attempts in milliseconds; the same apns-id lets Apple's logs tie the copies.
      else this.retry(req.delivery, RESEND_UNANSWERED, 'ConnectionLost');
    }
    this.listener.onClosed(this, unsent, this.closeCause);
  }

  /** One timer per session: request deadlines and the idle PING. */
  private sweep(): void {
    if (this.state === STATE_ENDED) return;
    const now = this.context.config.now();
    if (this.requestTimeoutMs > 0 && this.requests.size > 0) {
      // Insertion order is send order, so the first request still within its deadline ends the scan.
      let expired: PendingRequest[] | undefined;
      for (const req of this.requests) {
        if (now - req.sentAt < this.requestTimeoutMs) break;
        (expired ??= []).push(req);
      }
      if (expired !== undefined) {
        for (const req of expired) {
          this.finish(req);
          this.context.counters.timeouts++;
          if (!req.stream.destroyed) req.stream.close(NGHTTP2_CANCEL);
          this.retry(req.delivery, RESEND_UNANSWERED, 'RequestTimeout');
        }
        // Nothing at all heard for a whole deadline: the session is dead, not slow (a peer gone
        // without a FIN or RST). A busy session never goes idle long enough to be PINGed, so
        // without this its retries would be written into the same hole until attempts run out.
        if (now - this.lastHeard >= this.requestTimeoutMs) {
          this.context.config.logger.warn(
            `http2: session ${this.id} to ${this.endpoint} answered nothing for ${this.requestTimeoutMs} ms while requests waited; replacing it`,
          );
          this.destroy(new ApnsConnectionError(this.endpoint, 'UNRESPONSIVE', `no answer within ${this.requestTimeoutMs} ms`));
          return;
        }
        this.afterSettle();
      }
    }
    if (this.pingIntervalMs <= 0 || this.state !== STATE_OPEN) return;
    if (this.pingOutstanding) {
      const limit = Math.max(this.pingIntervalMs, this.requestTimeoutMs > 0 ? this.requestTimeoutMs : 0);
      if (now - this.pingSentAt >= limit) {
        this.context.counters.pingTimeouts++;
        this.context.config.logger.warn(`http2: session ${this.id} to ${this.endpoint} did not answer a PING within ${limit} ms; replacing it`);
        this.destroy(new ApnsConnectionError(this.endpoint, 'PING_TIMEOUT', `no PING acknowledgement within ${limit} ms`));
      }
      return;
    }
    if (now - Math.max(this.lastActivity, this.lastHeard) >= this.pingIntervalMs) {
      this.pingOutstanding = true;
      this.pingSentAt = now;
      try {
        const sent = this.session.ping((error) => {
          this.pingOutstanding = false;
          if (error === null) this.lastHeard = this.context.config.now();
        });
        if (!sent) this.pingOutstanding = false;
      } catch {
        // Session on its way down: its 'close' does the rest.
        this.pingOutstanding = false;
      }
    }
  }

  private finish(req: PendingRequest): void {
    req.done = true;
    this.requests.delete(req);
  }

  /** A stream slot came free: let the pool fill it (or finish a graceful close). */
  private afterSettle(): void {
    if (this.state === STATE_OPEN) this.listener.onAvailable(this);
  }

  /**
   * Sends `d` again through the pool after a delay that depends on `kind`, or
   * fails it when its budget for that kind is spent. `retryAfterMs` is the
   * server's retry-after, for answered retries.
   */
  private retry(d: Delivery, kind: ResendKind, reason: string, status?: number, retryAfterMs?: number): void {
    let st = d.transportState as RetryState | undefined;
    if (st === undefined) d.transportState = st = { reason, status, unprocessed: 0, unanswered: 0 };
    st.reason = reason;
    st.status = status;
    const { counters, config } = this.context;
    const { retry, random } = config;
    let delay: number;
    if (kind === RESEND_UNPROCESSED) {
      counters.unprocessed++;
      st.unprocessed++;
      if (st.unprocessed > retry.unprocessedResends) {
        this.failExhausted(d, st);
        return;
      }
      // Nothing reached the server, so nothing to wait for the first time; after that the
      // server keeps refusing, and backoff keeps us from hammering it.
      delay = st.unprocessed === 1 ? 0 : backoffDelay(st.unprocessed - 2, retry.baseDelayMs, retry.maxDelayMs, random);
    } else {
      if (kind === RESEND_UNANSWERED) st.unanswered++;
      const processed = d.attempts - st.unprocessed;
      if (processed >= this.maxAttempts) {
        this.failExhausted(d, st);
        return;
      }
      if (retryAfterMs !== undefined && retryAfterMs > retry.maxRetryAfterMs) {
        this.failRetryAfter(d, st, retryAfterMs);
        return;
      }
      // Apple's retry-after wins when it asks for longer than our own schedule.
      delay = kind === RESEND_RENEWED ? 0 : Math.max(backoffDelay(processed - 1, retry.baseDelayMs, retry.maxDelayMs, random), retryAfterMs ?? 0);
      if (kind === RESEND_UNANSWERED) counters.resentUnanswered++;
    }
    counters.retries++;
    this.listener.onRetry(d, delay);
  }

  private failExhausted(d: Delivery, st: RetryState): void {
    const why = describeReason(st.reason)?.advice ?? LOCAL_ADVICE[st.reason.replace(/\(.*$/, '')];
    const refused = st.unprocessed > 0 ? ` (${st.unprocessed} of them refused unprocessed)` : '';
    const advice = `Sent ${d.attempts} time(s)${refused}, retried ${Math.max(0, d.attempts - 1)} time(s); giving up.${why ? ` ${why}` : ''}`;
    this.fail(d, st.reason, st.status, true, advice, { apnsId: d.apnsId });
  }

  /** APNs asked us to wait longer than we hold a delivery in memory: hand it back to the caller instead. */
  private failRetryAfter(d: Delivery, st: RetryState, retryAfterMs: number): void {
    const asked = retryAfterMs >= 1000 ? `${Math.round(retryAfterMs / 1000)} s` : `${retryAfterMs} ms`;
    const cap = this.context.config.retry.maxRetryAfterMs;
    const advice =
      `APNs asked (retry-after) to wait ${asked} before sending it again, longer than retry.maxRetryAfterMs (${cap} ms) lets a delivery wait in memory: ` +
      `send it again after that, or raise retry.maxRetryAfterMs.`;
    this.fail(d, st.reason, st.status, true, advice, { apnsId: d.apnsId });
  }

  private fail(
    d: Delivery,
    reason: string,
    status: number | undefined,
    retryable: boolean,
    advice: string | undefined,
    extra: { apnsId?: string; timestamp?: Date; cause?: unknown },
  ): void {
    const note = maybeDeliveredNote(d);
    if (note !== '') advice = `${advice ?? ''}${note}`.trim();
    d.sink.failed(
      d,
      new ApnsDeliveryError({
        token: d.token,
        notification: d.message.notification,
        reason,
        status,
        source: 'http2',
        retryable,
        attempts: d.attempts,
        apnsId: extra.apnsId,
        timestamp: extra.timestamp,
        advice,
        cause: extra.cause,
      }),
    );
  }
}

/** What our own (non-Apple) retry reasons mean, for the error of a delivery that ran out of attempts. */
const LOCAL_ADVICE: Readonly<Record<string, string>> = Object.freeze({
  GoAway: 'APNs sent GOAWAY before processing it, every time: the server is shutting down or refusing this provider.',
  ConnectionLost: 'The HTTP/2 session was lost before APNs answered: check the network path to APNs.',
  RequestTimeout: 'APNs did not answer within requestTimeoutMs.',
  StreamRefused: 'APNs refused the stream (REFUSED_STREAM), every time.',
  StreamReset: 'APNs reset the stream before answering, every time.',
});

/** Past this stream id a session takes no new streams and is replaced (ids run out at 2^31 - 1). */
export const LAST_STREAM_ID = 0x7ff0_0000;

const SENSITIVE = Object.freeze([':path', 'authorization']);
/**
 * Most bytes of an error answer's body kept. Apple's bodies are a few dozen
 * bytes of JSON (`{"reason":"BadDeviceToken"}`, plus a timestamp for 410); past
 * this the answer is settled with what was kept and the stream cancelled.
 */
export const MAX_ERROR_BODY_BYTES = 4096;
const EMPTY = Buffer.alloc(0);

function clampStreams(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return MAX_STREAMS_PER_SESSION;
  return Math.max(0, Math.min(MAX_STREAMS_PER_SESSION, limit));
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function authorityOf(config: TransportConfig): string {
  const { host, port } = config.endpoint;
  return `https://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

function sessionOptions(config: TransportConfig): SecureClientSessionOptions {
  const { tls, endpoint } = config;
  const options: SecureClientSessionOptions = {
    rejectUnauthorized: tls.rejectUnauthorized,
    // Until the server's SETTINGS arrive, assume one stream (Apple's rule before a valid token is seen).
    peerMaxConcurrentStreams: 1,
    // 1,000+ open streams with 4–5 KB bodies outgrow node's 10 MB default.
    maxSessionMemory: 64,
    settings: { enablePush: false },
  };
  if (tls.ca !== undefined) options.ca = tls.ca;
  if (tls.cert !== undefined) options.cert = tls.cert;
  if (tls.key !== undefined) options.key = tls.key;
  if (tls.pfx !== undefined) options.pfx = tls.pfx;
  if (tls.passphrase !== undefined) options.passphrase = tls.passphrase;
  if (isIP(endpoint.host) === 0) options.servername = endpoint.host;
  return options;
}

const ERROR_CODE_NAMES = Object.freeze([
  'NO_ERROR',
  'PROTOCOL_ERROR',
  'INTERNAL_ERROR',
  'FLOW_CONTROL_ERROR',
  'SETTINGS_TIMEOUT',
  'STREAM_CLOSED',
  'FRAME_SIZE_ERROR',
  'REFUSED_STREAM',
  'CANCEL',
  'COMPRESSION_ERROR',
  'CONNECT_ERROR',
  'ENHANCE_YOUR_CALM',
  'INADEQUATE_SECURITY',
  'HTTP_1_1_REQUIRED',
]);

/** HTTP/2 error code name (RFC 9113 §7) for log lines and reasons. */
function rstName(code: number): string {
  return ERROR_CODE_NAMES[code] ?? `0x${code.toString(16)}`;
}

function goawayReason(data: Buffer | undefined): string {
  if (data === undefined || data.length === 0) return '';
  try {
    const parsed: unknown = JSON.parse(data.toString('utf8'));
    const reason = (parsed as { reason?: unknown } | null)?.reason;
    return typeof reason === 'string' ? `: ${reason.slice(0, 100)}` : '';
  } catch {
    return '';
  }
}

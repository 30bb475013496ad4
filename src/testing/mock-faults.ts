import { constants as http2Constants } from 'node:http2';

/** Binary close fault, as scripted. */
export interface BinaryCloseFault {
  readonly afterNotifications: number;
  readonly status: number | undefined;
  /** Connections still to be hit. */
  remaining: number;
}

export interface GoawayFault {
  readonly afterStreams: number;
  readonly errorCode: number;
  readonly reason: string | undefined;
  /** Sessions still to be hit. */
  remaining: number;
}

export interface ScriptedResponse {
  readonly status: number;
  readonly reason: string;
  readonly retryAfterSeconds: number | undefined;
}

interface ResponseFault extends ScriptedResponse {
  count: number;
  readonly fraction: number | undefined;
}

function nonNegativeInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
}

function connectionsOption(value: number | undefined): number {
  if (value === undefined) return Infinity;
  nonNegativeInteger('connections', value);
  return value;
}

/**
 * Faults a test scripts into a running `MockApnsServer` (`mock.faults`). Each
 * call replaces an earlier one of the same kind; `reset()` (or
 * `mock.resetFaults()`) clears them all. Faults that count ("the next N
 * requests") clear themselves once spent.
 */
export class MockFaults {
  private binaryClose: BinaryCloseFault | undefined;
  private refuseUntil = 0;
  private slowReadsFault: { readonly pauseMs: number; readonly everyBytes: number } | undefined;
  private goaway: GoawayFault | undefined;
  private resets: { count: number; readonly errorCode: number } | undefined;
  private response: ResponseFault | undefined;
  private latencyMs = 0;
  private expired: { count: number } | undefined;
  private feedbackOpen = false;
  private limitAfterRejection: number | undefined;

  /** @param random seeded source for fraction faults */
  constructor(
    private readonly random: () => number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Binary gateway: every connection (or the next `connections` ones) accepts
   * `n` notifications and is then closed by the server:
   * - no `status`: closed right after the n-th, without an error response;
   * - `status: 10` (shutdown): `08 0a <identifier of the n-th>`, then closed
   *   (the identifier names the last notification processed);
   * - any other status: the notification after the n-th is answered with
   *   that status and its identifier, then closed; what followed is discarded.
   */
  binaryCloseAfter(n: number, options?: { status?: number; connections?: number }): void {
    nonNegativeInteger('n', n);
    const status = options?.status;
    if (status !== undefined && (!Number.isInteger(status) || status < 0 || status > 255)) {
      throw new RangeError(`status must be a byte (0-255), got ${status}`);
    }
    this.binaryClose = { afterNotifications: n, status, remaining: connectionsOption(options?.connections) };
  }

  /**
   * Every port accepts and at once drops new TCP connections for `durationMs`
   * (counted in `counters.refusedConnections`). Open connections are left alone.
   */
  refuseConnections(durationMs: number): void {
    nonNegativeInteger('durationMs', durationMs);
    this.refuseUntil = this.now() + durationMs;
  }

  /**
   * Binary gateway: stop reading for `pauseMs` after every `everyBytes` bytes
   * read on a connection, so the client's socket fills up and its writes must
   * respect backpressure. `null` reads at full speed again.
   */
  slowReads(options: { pauseMs: number; everyBytes: number } | null): void {
    if (options !== null) {
      nonNegativeInteger('pauseMs', options.pauseMs);
      if (!Number.isInteger(options.everyBytes) || options.everyBytes < 1) {
        throw new RangeError(`everyBytes must be a positive integer, got ${options.everyBytes}`);
      }
    }
    this.slowReadsFault = options ?? undefined;
  }

  /**
   * HTTP/2: each session (or the next `sessions` ones) answers `streams`
   * requests, then sends GOAWAY with the last of them as last-stream-id
   * (error code default 0 = NO_ERROR; `reason` goes in the debug data as
   * `{"reason": ...}`, as Apple does) and closes once those are answered.
   * Requests on later streams are not processed: the client must resend them.
   */
  goawayAfter(streams: number, options?: { errorCode?: number; reason?: string; sessions?: number }): void {
    nonNegativeInteger('streams', streams);
    this.goaway = {
      afterStreams: streams,
      errorCode: options?.errorCode ?? http2Constants.NGHTTP2_NO_ERROR,
      reason: options?.reason,
      remaining: connectionsOption(options?.sessions),
    };
  }

  /**
   * HTTP/2: answer the next `count` requests with RST_STREAM (default code
   * REFUSED_STREAM, as Apple does when its stream limit drops) instead of a response.
   */
  resetStreams(count: number, options?: { errorCode?: number }): void {
    nonNegativeInteger('count', count);
    this.resets = { count, errorCode: options?.errorCode ?? http2Constants.NGHTTP2_REFUSED_STREAM };
  }

  /**
   * HTTP/2: answer with `status` and `{"reason": reason}` instead of looking at
   * the request: the next `count` requests, or a seeded `fraction` (0..1) of
   * all requests until reset. `retryAfterSeconds` adds a `retry-after` header.
   * Authentication and validation are skipped for these requests.
   */
  respondWith(
    status: number,
    reason: string,
    selector: { count: number } | { fraction: number },
    options?: { retryAfterSeconds?: number },
  ): void {
    if (!Number.isInteger(status) || status < 200 || status > 599) throw new RangeError(`status must be an HTTP status, got ${status}`);
    let count = Infinity;
    let fraction: number | undefined;
    if ('count' in selector) {
      nonNegativeInteger('count', selector.count);
      count = selector.count;
    } else {
      if (!(selector.fraction >= 0 && selector.fraction <= 1)) throw new RangeError(`fraction must be within 0..1, got ${selector.fraction}`);
      fraction = selector.fraction;
    }
    this.response = { status, reason, retryAfterSeconds: options?.retryAfterSeconds, count, fraction };
  }

  /** HTTP/2: delay every response (errors included) by `ms`. 0 turns it off. */
  latency(ms: number): void {
    nonNegativeInteger('ms', ms);
    this.latencyMs = ms;
  }

  /**
   * HTTP/2: the next `count` (default 1) requests that use token auth get 403
   * `ExpiredProviderToken`, whatever their `iat`: the client must sign a new token.
   */
  expireProviderTokens(options?: { count?: number }): void {
    const count = options?.count ?? 1;
    nonNegativeInteger('count', count);
    this.expired = { count };
  }

  /**
   * Feedback service: after writing the list, keep the connection open instead
   * of closing it (observed from Apple at times): the client's idle timeout must end the read.
   */
  feedbackHoldOpen(on: boolean): void {
    this.feedbackOpen = on;
  }

  /**
   * HTTP/2: after a rejection on a session, send that session SETTINGS with
   * this SETTINGS_MAX_CONCURRENT_STREAMS; after its next accepted push, send
   * the server's limit again (what Apple was observed doing, with 1). `null` turns it off.
   */
  streamLimitAfterRejection(limit: number | null): void {
    if (limit !== null) nonNegativeInteger('limit', limit);
    this.limitAfterRejection = limit ?? undefined;
  }

  /** Clears every fault. */
  reset(): void {
    this.binaryClose = undefined;
    this.refuseUntil = 0;
    this.slowReadsFault = undefined;
    this.goaway = undefined;
    this.resets = undefined;
    this.response = undefined;
    this.latencyMs = 0;
    this.expired = undefined;
    this.feedbackOpen = false;
    this.limitAfterRejection = undefined;
  }

  // ---- read by the servers (internal) ------------------------------------------

  /** @internal Whether a new connection must be dropped now. */
  refusing(): boolean {
    return this.refuseUntil !== 0 && this.now() < this.refuseUntil;
  }

  /** @internal The close fault for a new binary connection, or undefined (consumes one connection). */
  takeBinaryClose(): { afterNotifications: number; status: number | undefined } | undefined {
    const fault = this.binaryClose;
    if (fault === undefined || fault.remaining <= 0) return undefined;
    fault.remaining--;
    return { afterNotifications: fault.afterNotifications, status: fault.status };
  }

  /** @internal */
  get slowReadsSetting(): { readonly pauseMs: number; readonly everyBytes: number } | undefined {
    return this.slowReadsFault;
  }

  /** @internal The GOAWAY fault for a new session (consumes one session). */
  takeGoaway(): { afterStreams: number; errorCode: number; reason: string | undefined } | undefined {
    const fault = this.goaway;
    if (fault === undefined || fault.remaining <= 0) return undefined;
    fault.remaining--;
    return { afterStreams: fault.afterStreams, errorCode: fault.errorCode, reason: fault.reason };
  }

  /** @internal RST_STREAM code for this request, or undefined. */
  takeReset(): number | undefined {
    const fault = this.resets;
    if (fault === undefined || fault.count <= 0) return undefined;
    fault.count--;
    return fault.errorCode;
  }

  /** @internal The scripted answer for this request, or undefined. */
  takeResponse(): ScriptedResponse | undefined {
    const fault = this.response;
    if (fault === undefined) return undefined;
    if (fault.fraction !== undefined) return this.random() < fault.fraction ? fault : undefined;
    if (fault.count <= 0) return undefined;
    fault.count--;
    return fault;
  }

  /** @internal */
  get latencySetting(): number {
    return this.latencyMs;
  }

  /** @internal Whether this token-auth request must be answered ExpiredProviderToken. */
  takeExpiredProviderToken(): boolean {
    const fault = this.expired;
    if (fault === undefined || fault.count <= 0) return false;
    fault.count--;
    return true;
  }

  /** @internal */
  get streamLimitAfterRejectionSetting(): number | undefined {
    return this.limitAfterRejection;
  }

  /** @internal */
  get feedbackHoldOpenSetting(): boolean {
    return this.feedbackOpen;
  }
}

/** A notification the mock accepted. */
export interface MockAcceptedNotification {
  readonly protocol: 'binary' | 'http2';
  /** Lowercase hex device token. */
  readonly token: string;
  /** The payload bytes exactly as received. */
  readonly payload: Buffer;
  /** The payload parsed as JSON (parsed on first read for binary; `undefined` if it is not JSON). */
  readonly json: unknown;
  /** Binary: the frame's identifier (commands 1 and 2). */
  readonly identifier?: number;
  /** HTTP/2: the apns-id answered (the request's, or one the mock made). */
  readonly apnsId?: string;
  /** HTTP/2: the request headers, pseudo-headers included, `authorization` left out. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Which binary connection / HTTP/2 session carried it (1, 2, ... per server). */
  readonly connectionId: number;
  /** Binary: command byte of the frame. */
  readonly command?: 0 | 1 | 2;
  /** Binary: expiration item / field (UNIX seconds), when the frame had one. */
  readonly expiration?: number;
  /** Binary: priority item, when the frame had one. */
  readonly priority?: number;
}

/** Something the mock refused: an HTTP/2 error response or a binary error response. */
export interface MockRejection {
  readonly protocol: 'binary' | 'http2';
  /** Lowercase hex token when one could be read, else the raw path segment or `''`. */
  readonly token: string;
  /** HTTP status (HTTP/2) or the error-response status byte (binary). */
  readonly status: number;
  /** Apple's reason string (HTTP/2), or the binary status name (`InvalidToken`, `Shutdown`, ...). */
  readonly reason: string;
  /** Binary: the identifier in the error response. */
  readonly identifier?: number;
  /** HTTP/2: the apns-id answered. */
  readonly apnsId?: string;
  /** HTTP/2 410: the timestamp sent, ms. */
  readonly timestamp?: number;
  readonly connectionId: number;
}

/**
 * An HTTP/2 session the mock cut with `dropConnections()`: a crash, as the
 * client sees it. Answers written just before may never have reached the
 * client, which then sends those requests again (at-least-once): this record
 * is what such duplicates can be checked against.
 */
export interface MockDroppedSession {
  /** The session (as in `connectionId` of the records). */
  readonly connectionId: number;
  /** `accepted.length` at the drop: everything the session accepted has a lower index. */
  readonly acceptedBefore: number;
  /**
   * Requests the session had received and not answered yet. The mock may still
   * answer some of them, and requests it had read but not yet seen may follow
   * (their answers cannot reach the client any more).
   */
  readonly openStreams: number;
  /** The stream limit the session was under (SETTINGS_MAX_CONCURRENT_STREAMS). */
  readonly maxConcurrentStreams: number;
}

/** How one binary gateway connection ended, recorded when its socket closed. */
export interface MockBinaryConnectionEnd {
  readonly connectionId: number;
  /** Notifications it accepted. */
  readonly processed: number;
  /** Status of the error response the gateway wrote before closing (10 for a shutdown), undefined when it wrote none. */
  readonly errorStatus: number | undefined;
  /**
   * `server`: the gateway ended it (an error response, a scripted close,
   * `dropConnections`, a malformed frame); `client`: the client closed or reset it first.
   */
  readonly endedBy: 'server' | 'client';
}

/** Running totals since start (or `clearRecords()`). */
export interface MockCounters {
  /** TLS connections accepted by the binary gateway. */
  binaryConnections: number;
  /** TLS connections accepted by the feedback service. */
  feedbackConnections: number;
  /** HTTP/2 sessions opened. */
  http2Sessions: number;
  /** HTTP/2 streams (requests) received. */
  streams: number;
  /** Notifications accepted, both protocols. */
  accepted: number;
  /** Notifications refused, both protocols. */
  rejected: number;
  /** Binary error responses written. */
  errorResponses: number;
  /** Binary connections closed by a scripted fault, with or without an error response. */
  binaryFaultCloses: number;
  /** Times the binary gateway stopped reading because of the `slowReads` fault. */
  readPauses: number;
  /** Feedback tuples served. */
  feedbackTuples: number;
  /** GOAWAY frames sent. */
  goaways: number;
  /** Streams reset by the `resetStreams` fault. */
  resets: number;
  /** Distinct provider tokens (JWT strings) seen: proves there was no renewal storm. */
  providerTokens: number;
  /** Connections dropped by `refuseConnections`, all ports. */
  refusedConnections: number;
  /** TLS handshakes that failed (bad or missing client certificate, garbage), all ports. */
  tlsErrors: number;
  /**
   * Connections whose client certificate was marked for the other environment
   * only: closed after the handshake (binary, feedback) or answered 403
   * `BadCertificateEnvironment` (HTTP/2, counted once per session).
   */
  wrongEnvironmentCertificates: number;
  /** Highest number of HTTP/2 streams open at once on one session. */
  maxConcurrentStreamsSeen: number;
  /** HTTP/2 PING frames received from clients (acknowledgements not counted). */
  pings: number;
}

export function emptyCounters(): MockCounters {
  return {
    binaryConnections: 0,
    feedbackConnections: 0,
    http2Sessions: 0,
    streams: 0,
    accepted: 0,
    rejected: 0,
    errorResponses: 0,
    binaryFaultCloses: 0,
    readPauses: 0,
    feedbackTuples: 0,
    goaways: 0,
    resets: 0,
    providerTokens: 0,
    refusedConnections: 0,
    tlsErrors: 0,
    wrongEnvironmentCertificates: 0,
    maxConcurrentStreamsSeen: 0,
    pings: 0,
  };
}

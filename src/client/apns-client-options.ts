import type { ApnsLogger } from '../transport/apns-logger.js';

/**
 * TLS material or a .p8 key: PEM text, DER or PEM bytes, base64 text of either
 * (a .p8 or .p12 kept in an environment variable), or the path of a file
 * holding any of these. A string is read as PEM when it contains `-----BEGIN`
 * (line breaks written as `\n` are put back), as base64 when, whitespace
 * aside, it is base64 that decodes to one complete DER structure or to PEM
 * text, and otherwise as a file path. Errors never echo the value, only a
 * path-shaped string (see the README's bad-input table).
 */
export type ApnsCredentialSource = string | Buffer;

/** Provider-token (JWT) authentication, HTTP/2 only. */
export interface ApnsProviderTokenOptions {
  /** The .p8 signing key from the developer account (ES256, P-256): contents or file path. Required. */
  key: ApnsCredentialSource;
  /** The 10-character key id shown next to the key in the developer account. Required. */
  keyId: string;
  /** The 10-character team id of the developer account. Required. */
  teamId: string;
  /**
   * Age at which the token is signed again, ms. Apple refuses tokens older than
   * an hour and renewals more often than every 20 minutes, so the value is
   * clamped to [20 min, 60 min). Default 3,000,000 (50 minutes).
   */
  refreshAfterMs?: number;
}

/** Retries of deliveries Apple says may be retried (429, 500, 503, GOAWAY, lost session). */
export interface ApnsRetryOptions {
  /**
   * Total attempts per delivery, the first one included. On HTTP/2 a send the
   * server provably never processed does not count here but in
   * `unprocessedResends`. Default 4.
   */
  attempts?: number;
  /** First retry delay, ms; doubles on each attempt, with full jitter. Default 100. */
  baseDelayMs?: number;
  /** Cap of one retry delay, ms; a longer `retry-after` from Apple still wins, up to `maxRetryAfterMs`. Default 5000. */
  maxDelayMs?: number;
  /**
   * HTTP/2: longest `retry-after` honoured, ms. A delivery Apple asks to hold
   * longer is not kept in memory that long: it fails at once (retryable, with
   * Apple's reason and a message saying how long Apple asked to wait). Default 60000.
   */
  maxRetryAfterMs?: number;
  /**
   * HTTP/2: how many more times a request the server provably never processed
   * (a stream above a GOAWAY's last-stream-id, or reset with REFUSED_STREAM) is
   * sent again, on top of `attempts`: the first time at once, then with backoff,
   * so a server that keeps refusing still ends the delivery. Default 8.
   */
  unprocessedResends?: number;
}

/**
 * Reconnection after a connection fails to open, or ends having delivered
 * nothing (rejected at its first notification, reset right after the
 * handshake). The replacement of a connection that did deliver opens at once.
 */
export interface ApnsReconnectOptions {
  /**
   * First delay, ms; doubles on each failure in a row (a failed open, or a
   * connection that ended having delivered nothing), and each wait lies
   * between half and all of it. The replacement of a connection that did
   * deliver opens at once. Default 250.
   */
  baseDelayMs?: number;
  /** Cap of one delay, ms. Default 30000. */
  maxDelayMs?: number;
  /**
   * While no connection can be opened, queued deliveries wait this long before
   * they fail with reason `ConnectionError`; a certificate problem fails them
   * at once. Default 30000.
   */
  giveUpAfterMs?: number;
}

/** Settings only the legacy binary transport reads. */
export interface ApnsBinaryOptions {
  /** `frame` = command 2 (default), `enhanced` = command 1. Default `'frame'`. */
  format?: 'frame' | 'enhanced';
  /**
   * Most notifications one connection keeps after writing them while they are
   * inside the uncertain window (to send again after an error response or a
   * lost connection); entries outside it leave on their own. It covers the
   * default window at 500,000 notifications/s per connection and 6 MiB of
   * frames of 63 bytes or more. A notification that must leave a full buffer
   * while still uncertain is counted in `evictedUncertain` and logged.
   * Default 100000.
   */
  sentBufferSize?: number;
  /**
   * What happens to the notifications inside the uncertain window when a
   * connection ends without the gateway's confirmation (nobody knows whether
   * it processed them): `resend` them (at-least-once) or `fail` them with
   * reason `ConnectionLost` (at-most-once). Default `'resend'`.
   */
  uncertainWindow?: 'resend' | 'fail';
  /**
   * The uncertain window by age: notifications written in the last this many
   * ms, which the gateway may still have been processing. Default 200.
   */
  uncertainWindowMs?: number;
  /**
   * The uncertain window by bytes: the notifications among the last this many
   * bytes handed to the kernel, whatever their age (a slow gateway leaves them
   * unread in both ends' socket buffers), plus whatever node had not handed to
   * the kernel yet. Linux buffers up to 4 MiB on the sending side and more on
   * the receiving one; 5.4 MB were measured waiting behind a stalled reader on
   * loopback. Raise it for larger socket buffers; 0 counts time only.
   * Default 6291456 (6 MiB).
   */
  uncertainWindowBytes?: number;
  /** Feedback service read: longest silence between bytes before the list counts as complete, ms. Default 5000. */
  feedbackIdleTimeoutMs?: number;
}

/**
 * Options of `ApnsClient` (and of `ApnsModule`, which adds `feedback`).
 *
 * One options object can switch transport: a field only one transport reads
 * (`topic`, `token` or `port` on binary, `binary.*` on HTTP/2) is accepted and
 * ignored by the other. Only real contradictions are errors.
 */
export interface ApnsClientOptions {
  /**
   * Provider protocol: `http2` (the provider API, what Apple runs today) or
   * `binary` (the legacy gateway). Default `'http2'`.
   */
  transport?: 'http2' | 'binary';
  /**
   * Picks Apple's hosts: `sandbox` (development) or `production`. A client
   * certificate that Apple marked for the other environment only (extension
   * OID 1.2.840.113635.100.6.3.1 development, .2 production) fails the boot,
   * since every connection would be refused; certificates with both marks or
   * none pass. Default `'sandbox'`.
   */
  environment?: 'sandbox' | 'production';
  /**
   * `'host:port'` of the send endpoint, replacing Apple's host (a test server,
   * a legacy gateway). Default: `api[.sandbox].push.apple.com:443` (HTTP/2),
   * `gateway[.sandbox].push.apple.com:2195` (binary).
   */
  gateway?: string;
  /** `'host:port'` of the binary feedback service. Default `feedback[.sandbox].push.apple.com:2196`. */
  feedbackGateway?: string;
  /** HTTP/2 port on Apple's hosts: 443 or 2197 (for firewalls that block 443). Default 443. */
  port?: 443 | 2197;
  /**
   * How HTTP/2 authenticates when both `token` and a certificate are set.
   * Default: whichever one is configured (setting both without `auth` is an error).
   */
  auth?: 'token' | 'certificate';
  /** Provider-token (JWT) authentication (HTTP/2 only). Default: none. */
  token?: ApnsProviderTokenOptions;
  /** Client certificate (PEM or DER): contents or file path. Default: none. */
  cert?: ApnsCredentialSource;
  /** Private key of `cert` (PEM or DER): contents or file path. Default: none. */
  key?: ApnsCredentialSource;
  /** Passphrase of an encrypted `key` or of `pfx`. Default: none. */
  passphrase?: string;
  /** PKCS#12 bundle (certificate + key), instead of `cert` + `key`: bytes or file path. Default: none. */
  pfx?: ApnsCredentialSource;
  /**
   * Extra trusted CA certificate(s) (PEM or DER, contents or paths). Towards
   * Apple's hosts they are trusted on top of node's default list (its bundled
   * roots and NODE_EXTRA_CA_CERTS), so a TLS-inspecting proxy's CA does not cost
   * the trust of Apple's servers; towards any other `gateway` (a private
   * gateway, a test server) they are the only CAs trusted, as node's own `ca`
   * option works. Default: node's default list only.
   */
  ca?: ApnsCredentialSource | ApnsCredentialSource[];
  /** Verify the server certificate. `false` is for tests only and logs a warning. Default true. */
  rejectUnauthorized?: boolean;
  /** Default `apns-topic` (usually the bundle id) for notifications that set none. Default: none. */
  topic?: string;
  /**
   * Most connections (binary) or HTTP/2 sessions taking work, opened lazily; a
   * session finishing its streams after GOAWAY no longer counts. One opens at a
   * time, only when all are full: freely until the HTTP/2 sessions can carry
   * 1,000 streams together (Apple lowers a session's limit after rejections),
   * past that (and for a second binary connection) only while the event loop
   * has time to spare, since a busy process gains nothing from another. Default 8.
   */
  maxConnections?: number;
  /**
   * Deliveries queued, with those waiting out a retry delay, before `send`
   * waits for room (backpressure; memory stays flat for any number of tokens). Default 10000.
   */
  queueSize?: number;
  /** TCP connect + TLS handshake deadline, ms. Default 10000. */
  connectTimeoutMs?: number;
  /** Close a connection after this long without traffic, ms; 0 = never. Default 300000. */
  idleTimeoutMs?: number;
  /** HTTP/2: one request's deadline, ms, after which it is retried. Default 10000. */
  requestTimeoutMs?: number;
  /** HTTP/2: PING a session after this long without traffic, ms. Default 60000. */
  pingIntervalMs?: number;
  /** Retries of retryable rejections. Defaults: see `ApnsRetryOptions`. */
  retry?: ApnsRetryOptions;
  /** Reconnection after failed opens. Defaults: see `ApnsReconnectOptions`. */
  reconnect?: ApnsReconnectOptions;
  /** Binary transport settings. Defaults: see `ApnsBinaryOptions`. */
  binary?: ApnsBinaryOptions;
  /**
   * How long `close()` lets queued and in-flight notifications finish, ms;
   * what is left then fails with reason `Shutdown`. Default 5000.
   */
  drainTimeoutMs?: number;
  /**
   * Where the client logs (connection events, warnings). Messages never hold
   * keys, JWTs or full device tokens. Default: warnings and errors on the console
   * (the Nest module passes a Nest `Logger`).
   */
  logger?: ApnsLogger;
  /** Source of randomness for backoff jitter; pass a seeded one in tests. Default `Math.random`. */
  random?: () => number;
  /** Clock, ms since the epoch; pass a fixed one in tests. Default `Date.now`. */
  now?: () => number;
}

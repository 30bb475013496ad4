/** Options of `MockApnsServer.start()`. Every port defaults to 0 (an ephemeral port). */
export interface MockApnsServerOptions {
  /** Interface to listen on. Only loopback is supported. Default `'127.0.0.1'`. */
  host?: '127.0.0.1';
  /** Binary gateway port. Default 0 (ephemeral). */
  binaryPort?: number;
  /** Feedback service port. Default 0 (ephemeral). */
  feedbackPort?: number;
  /** HTTP/2 provider API port. Default 0 (ephemeral). */
  http2Port?: number;
  /**
   * Binary gateway and feedback service: demand a client certificate signed by
   * the test CA and not expired; the TLS handshake fails otherwise. Default true.
   * HTTP/2 is not affected: a connection with a valid client certificate uses
   * certificate auth, one with an invalid certificate gets 403 `BadCertificate`,
   * one without a certificate uses token auth.
   */
  requireClientCert?: boolean;
  /** SETTINGS_MAX_CONCURRENT_STREAMS advertised by the HTTP/2 API. Default 1000 (like Apple). */
  maxConcurrentStreams?: number;
  /** Write the feedback list in chunks of this many bytes (exercises the client's decoder). Default: one write. */
  feedbackChunkSize?: number;
  /**
   * With `feedbackChunkSize`: wait this long between two chunks, ms, so the
   * list trickles in (a client must read it whole as long as each gap is
   * shorter than its idle timeout). Default 0: the next chunk goes out on the
   * next turn of the event loop.
   */
  feedbackChunkDelayMs?: number;
  /** Seed of the random choices (fraction faults, generated apns-ids). Default 1. */
  seed?: number;
  /** Log connections and rejections to stderr (tokens redacted). Default false. */
  log?: boolean;
  /**
   * The APNs environment the mock plays. A client certificate marked with
   * Apple's OID for the other environment only (see
   * `testCredentials.productionClientCert` and `sandboxClientCert`) is refused:
   * HTTP/2 answers every request 403 `BadCertificateEnvironment`, the binary
   * gateway and the feedback service close the connection right after the
   * handshake. Certificates without the marks, or with both, are accepted.
   * Default `'sandbox'`.
   */
  environment?: 'sandbox' | 'production';
  /** Serve the certificate signed by `testCredentials.untrustedCa` instead of the trusted one. Default false. */
  untrustedCertificate?: boolean;
  /**
   * Keep every accepted notification in `accepted`. Turn off for long benchmarks:
   * counters still count. Default true.
   */
  recordAccepted?: boolean;
  /**
   * Highest TLS version offered on every port. Either way a refused client
   * certificate shows on the client as a connection closed right after the
   * handshake (node checks it after the handshake, without a TLS alert).
   * Default `'TLSv1.3'`.
   */
  maxTlsVersion?: 'TLSv1.2' | 'TLSv1.3';
  /** Largest binary payload in bytes (status 7 above it). Default 2048 (iOS 8 and later). */
  binaryMaxPayloadBytes?: number;
  /**
   * `apns-unique-id` on HTTP/2 successes, as Apple's development environment
   * sends. Default false.
   */
  uniqueIds?: boolean;
  /**
   * HTTP/2 token auth: answer 429 `TooManyProviderTokenUpdates` when a
   * connection switches provider tokens a second time within 20 minutes of the
   * previous switch (Apple's rule; the first token and the first switch are free).
   * Default false, so tests that force renewals need not care.
   */
  tokenUpdateLimit?: boolean;
}

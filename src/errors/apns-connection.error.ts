/**
 * A connection could not be opened or was lost: TLS handshake failure (expired
 * or untrusted certificate), refused connection, timeout. Logged by the pool;
 * deliveries it affects end as `ApnsDeliveryError` with reason `ConnectionError`
 * once the retry budget is spent.
 */
export class ApnsConnectionError extends Error {
  override readonly name = 'ApnsConnectionError';

  constructor(
    /** `host:port` that was dialled. */
    readonly endpoint: string,
    /** A short machine-readable cause: `ECONNREFUSED`, `CERT_HAS_EXPIRED`, `CONNECT_TIMEOUT`, ... */
    readonly code: string,
    description: string,
    options?: {
      cause?: unknown;
      /**
       * True when trying again cannot help without a change of configuration
       * (certificate rejected, expired or untrusted): queued deliveries fail at once
       * instead of waiting out the reconnect budget.
       */
      permanent?: boolean;
    },
  ) {
    super(`APNs connection to ${endpoint} failed (${code}): ${description}`, { cause: options?.cause });
    this.permanent = options?.permanent ?? false;
  }

  readonly permanent: boolean;
}

/**
 * `send`, `sendMany` or `pollFeedback` was called after `close()`. Nothing was
 * sent; the caller (often a request arriving during shutdown) must not assume
 * the notification went out.
 */
export class ApnsClientClosedError extends Error {
  override readonly name = 'ApnsClientClosedError';

  constructor(operation: string) {
    super(`APNs client is closed: ${operation}() was called after close(). Nothing was sent.`);
  }
}

import type { Delivery } from './delivery.js';

/** How a connection tells its pool what happened. */
export interface ConnectionListener {
  /** The connection can take more work now (backpressure relieved, streams freed). */
  onAvailable(connection: PooledConnection): void;
  /**
   * The connection is gone for good. `unfinished` holds the deliveries it took
   * and neither settled nor failed, oldest first: the pool sends them again on
   * another connection. `cause` is absent for a clean close.
   */
  onClosed(connection: PooledConnection, unfinished: Delivery[], cause?: Error): void;
  /** Send this delivery again after `delayMs` (a retryable answer such as 429 or 503). */
  onRetry(delivery: Delivery, delayMs: number): void;
}

/**
 * One TLS socket or HTTP/2 session, as the pool drives it. Implementations own
 * their in-flight accounting: every delivery handed to `write` ends in its sink
 * (accepted / failed), in `onRetry`, or in `onClosed`'s `unfinished` — never nowhere.
 */
export interface PooledConnection {
  readonly id: number;
  /** How many more deliveries `write` may take right now; 0 while busy or closing. */
  readonly available: number;
  /**
   * Deliveries taken and not yet settled or handed back (HTTP/2: streams
   * awaiting an answer; binary: frames not yet in the kernel). The pool drains
   * to 0 before it closes a connection, and never idle-closes one above 0.
   */
  readonly inFlight: number;
  /**
   * Deliveries this connection has delivered so far (HTTP/2: answered 2xx;
   * binary: taken as processed by the gateway). A connection that ends at 0
   * did no useful work: the pool spaces the next open as after a failed one.
   */
  readonly delivered: number;
  /**
   * Answers the server gave this connection (HTTP/2: responses of any status;
   * binary: deliveries taken as processed, plus an error response). One that
   * ends answered but with nothing delivered (a rejection storm) is spaced,
   * but less than one that got no answer at all.
   */
  readonly answered: number;
  /**
   * Ending: it takes no new work and ends with `onClosed` once what it holds
   * has settled (HTTP/2 after GOAWAY or `close()`, binary after `close()`).
   * A draining connection does not count against `maxConnections`.
   */
  readonly draining: boolean;
  /**
   * How many deliveries it can carry at once as far as it knows: HTTP/2, the
   * server's current stream limit (Apple allows 1 until a valid provider token
   * went through, then hundreds); binary, no limit but the socket's (Infinity).
   * The pool opens connections freely until the open ones can carry its
   * `minCapacity`; past that only when the event loop has time to spare.
   */
  readonly capacity: number;
  /** When the connection last wrote or received anything (ms, the pool's clock). */
  readonly lastActivity: number;
  /** Takes one delivery. Called at most `available` times before the pool reads `available` again. */
  write(delivery: Delivery): void;
  /** Called after a run of writes, so batching connections issue one socket write. */
  flush(): void;
  /** Stop taking work; close once what is in flight has settled. Ends with `onClosed`. */
  close(): void;
  /** Close now; what is in flight comes back through `onClosed`. */
  destroy(cause?: Error): void;
}

/** Opens one connection; rejects with an `ApnsConnectionError` when it cannot. */
export type ConnectionOpener = (id: number, listener: ConnectionListener) => Promise<PooledConnection>;

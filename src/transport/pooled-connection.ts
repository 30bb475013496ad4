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
  /** Deliveries taken and not yet settled or handed back. */
  readonly inFlight: number;
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

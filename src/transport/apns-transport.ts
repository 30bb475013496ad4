import type { ApnsFeedback, Delivery } from './delivery.js';

/**
 * A pooled transport (binary or HTTP/2), as the client sees it.
 *
 * Contract: every delivery offered ends, through its sink, as accepted, failed
 * (once) or, internally, retried until one of the two. Nothing is dropped, not
 * even on close: what is left when the drain timeout ends fails with reason `Shutdown`.
 */
export interface ApnsTransport {
  /**
   * Queue a delivery. Returns false when the bounded queue is full: the caller
   * awaits `whenWritable()` before offering more (the delivery *was* queued
   * when true is returned; when false it was queued too, as the last one over
   * the mark, so callers never have to hold on to it).
   */
  offer(delivery: Delivery): boolean;
  /** Resolves once the queue has room again (at once if it has). */
  whenWritable(): Promise<void>;
  /** Binary: read the feedback service once. HTTP/2: resolves to [] (410s arrive in-band). */
  pollFeedback(): Promise<ApnsFeedback[]>;
  /**
   * Stop taking new deliveries, write what is queued, wait for the answers up to
   * `drainTimeoutMs`, fail what is left with `Shutdown`, close every connection.
   * Safe to call twice; the second call returns the first one's promise.
   */
  close(drainTimeoutMs: number): Promise<void>;
}

/** Callbacks a transport reports through, besides each delivery's sink. */
export interface TransportHooks {
  /** A device token Apple says is gone (HTTP/2 410 with its timestamp). */
  onFeedback(entry: ApnsFeedback): void;
}

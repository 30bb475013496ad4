import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/** How long a measurement of the event loop's load spans, ms. */
export const LOAD_WINDOW_MS = 100;

/**
 * The event loop's utilization over windows of at least {@link LOAD_WINDOW_MS},
 * from node's own accounting (`performance.eventLoopUtilization`). The pool
 * asks it whether another connection would add throughput: when every open
 * connection is full and the loop is busy all the time, the process is what
 * limits the rate, and another connection would only add memory and CPU.
 */
export interface LoopLoad {
  /**
   * The share of the window that ended now which the loop spent working
   * (0..1), once a whole window has passed since the last call or `restart()`;
   * undefined before that. Either way a window that ended is not used twice.
   */
  sample(): number | undefined;
  /** Starts a new window now: what happened before (an idle spell, say) must not count. */
  restart(): void;
}

export class EventLoopLoad implements LoopLoad {
  private mark: EventLoopUtilization | undefined;
  private markAt = 0;

  constructor(private readonly windowMs = LOAD_WINDOW_MS) {}

  sample(): number | undefined {
    const now = performance.now();
    if (this.mark === undefined) {
      this.restartAt(now);
      return undefined;
    }
    if (now - this.markAt < this.windowMs) return undefined;
    const utilization = performance.eventLoopUtilization(this.mark).utilization;
    this.restartAt(now);
    return utilization;
  }

  restart(): void {
    this.mark = undefined;
  }

  private restartAt(now: number): void {
    this.mark = performance.eventLoopUtilization();
    this.markAt = now;
  }
}

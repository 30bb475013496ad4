import { emptyCounters, type MockAcceptedNotification, type MockBinaryConnectionEnd, type MockCounters, type MockDroppedSession, type MockRejection } from './mock-records.js';

interface Waiter {
  readonly predicate: () => boolean;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * What the mock saw: accepted and refused notifications, counters, and the
 * waiters tests park on. Waiters are re-checked after every recorded event, so
 * a test awaits the event itself instead of sleeping.
 */
export class MockRecordBook {
  readonly accepted: MockAcceptedNotification[] = [];
  readonly rejected: MockRejection[] = [];
  readonly droppedSessions: MockDroppedSession[] = [];
  readonly binaryEnds: MockBinaryConnectionEnd[] = [];
  counters: MockCounters = emptyCounters();
  private waiters = new Set<Waiter>();
  private closed = false;

  constructor(private readonly keepAccepted: boolean) {}

  accept(record: MockAcceptedNotification): void {
    this.counters.accepted++;
    if (this.keepAccepted) this.accepted.push(record);
    this.changed();
  }

  reject(record: MockRejection): void {
    this.counters.rejected++;
    this.rejected.push(record);
    this.changed();
  }

  dropped(record: MockDroppedSession): void {
    this.droppedSessions.push(record);
    this.changed();
  }

  binaryEnded(record: MockBinaryConnectionEnd): void {
    this.binaryEnds.push(record);
    this.changed();
  }

  /** Re-checks waiters; call after any counter changes that a test may wait for. */
  changed(): void {
    if (this.waiters.size === 0) return;
    for (const waiter of this.waiters) {
      let done: boolean;
      try {
        done = waiter.predicate();
      } catch (error) {
        this.settle(waiter);
        waiter.reject(error instanceof Error ? error : new Error(String(error)));
        continue;
      }
      if (done) {
        this.settle(waiter);
        waiter.resolve();
      }
    }
  }

  /**
   * Resolves once `predicate()` is true (checked now and after every event);
   * rejects after `timeoutMs` with `describe()`'s account of what was seen.
   */
  waitFor(predicate: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
    if (this.closed) return Promise.reject(new Error('MockApnsServer is stopped'));
    if (predicate()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.settle(waiter);
        reject(new Error(`${describe()} (timed out after ${timeoutMs} ms; ${this.summary()})`));
      }, timeoutMs);
      const waiter: Waiter = { predicate, resolve, reject, timer };
      this.waiters.add(waiter);
    });
  }

  /** One line on what the mock saw, for timeout messages. */
  summary(): string {
    const c = this.counters;
    const last = this.rejected[this.rejected.length - 1];
    const lastText = last === undefined ? '' : `, last rejection ${last.status} ${last.reason}`;
    return (
      `${c.accepted} accepted, ${c.rejected} rejected${lastText}; ` +
      `${c.binaryConnections} binary connections, ${c.http2Sessions} HTTP/2 sessions, ${c.streams} streams`
    );
  }

  clear(): void {
    this.accepted.length = 0;
    this.rejected.length = 0;
    this.droppedSessions.length = 0;
    this.binaryEnds.length = 0;
    this.counters = emptyCounters();
  }

  /** Rejects every waiter: the server is stopping. */
  close(): void {
    this.closed = true;
    for (const waiter of this.waiters) {
      this.settle(waiter);
      waiter.reject(new Error(`MockApnsServer stopped while a test was waiting (${this.summary()})`));
    }
  }

  private settle(waiter: Waiter): void {
    clearTimeout(waiter.timer);
    this.waiters.delete(waiter);
  }
}

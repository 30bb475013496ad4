/**
 * Tracks the timers (`setTimeout`, `setInterval`) created while it is
 * installed, until each one fires or is cleared, so a test can name the
 * timers an app left behind. Process-wide resource counts cannot: a timer of
 * the test runner that ends during the test hides one that was leaked.
 *
 * Only code that calls the global functions is seen (the library, the cron
 * package, the mock); Node's own socket timeouts are not timers of this kind
 * and are covered by the socket counts.
 */
export class TimerTracker {
  /** The real functions, for the test's own waits (which must not count). */
  readonly setTimeout = globalThis.setTimeout;
  private readonly realClearTimeout = globalThis.clearTimeout;
  private readonly realSetInterval = globalThis.setInterval;
  private readonly realClearInterval = globalThis.clearInterval;
  /** Live timers and the callback each one runs, to say what they are. */
  private readonly timers = new Map<unknown, (...args: never[]) => unknown>();

  install(): void {
    const timers = this.timers;
    const realSetTimeout = this.setTimeout;
    const realSetInterval = this.realSetInterval;
    const realClearTimeout = this.realClearTimeout;
    const realClearInterval = this.realClearInterval;
    const tracked = {
      setTimeout(callback: (...args: unknown[]) => unknown, ms?: number, ...args: unknown[]) {
        const timer = realSetTimeout((...a: unknown[]) => {
          timers.delete(timer);
          return callback(...a);
        }, ms, ...args);
        timers.set(timer, callback);
        return timer;
      },
      setInterval(callback: (...args: unknown[]) => unknown, ms?: number, ...args: unknown[]) {
        const timer = realSetInterval(callback, ms, ...args);
        timers.set(timer, callback);
        return timer;
      },
      clearTimeout(timer: unknown) {
        timers.delete(timer);
        realClearTimeout(timer as NodeJS.Timeout);
      },
      clearInterval(timer: unknown) {
        timers.delete(timer);
        realClearInterval(timer as NodeJS.Timeout);
      },
    };
    Object.assign(globalThis, tracked);
  }

  /** Puts the real functions back; safe to call twice. */
  uninstall(): void {
    Object.assign(globalThis, {
      setTimeout: this.setTimeout,
      clearTimeout: this.realClearTimeout,
      setInterval: this.realSetInterval,
      clearInterval: this.realClearInterval,
    });
  }

  /** The timers still pending, each described by the start of its callback's source. */
  pending(): string[] {
    return [...this.timers.values()].map((callback) => String(callback).replace(/\s+/g, ' ').slice(0, 160));
  }
}

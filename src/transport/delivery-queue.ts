/**
 * A FIFO of pending work with a soft capacity: `push` always stores the item
 * (so nothing handed over is ever dropped) and reports whether the caller
 * should wait for `whenWritable()` before pushing more. Retries go to the front
 * with `unshift`, so they keep their order and are not starved by new work.
 *
 * Work the owner parks elsewhere for a while (retries waiting out a delay) is
 * still work the producer handed over: `hold()` counts it against the
 * capacity until `release()`, so a retry storm cannot let the producer pour in
 * without bound.
 *
 * A ring buffer rather than an array with shift(), which is O(n) per call on
 * large queues.
 */
export class DeliveryQueue<T> {
  private items: (T | undefined)[];
  private head = 0;
  private count = 0;
  /** Items counted against the capacity that live outside the queue (`hold`). */
  private held = 0;
  private waiters: Array<() => void> = [];
  /**
   * Waiters wake when the queue falls to this mark rather than at the first free
   * slot: a producer that is always one item short of full would otherwise pay
   * one promise per item.
   */
  private readonly lowWater: number;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.items = new Array<T | undefined>(Math.min(capacity, 1024));
    this.lowWater = capacity >> 1;
  }

  get length(): number {
    return this.count;
  }

  /** Items held elsewhere and counted against the capacity. */
  get heldElsewhere(): number {
    return this.held;
  }

  /** True while the queue and what is held elsewhere stay below the capacity. */
  get writable(): boolean {
    return this.count + this.held < this.capacity;
  }

  /** Appends; returns false when the queue (with what is held elsewhere) is now at or over capacity. */
  push(item: T): boolean {
    this.grow();
    this.items[(this.head + this.count) % this.items.length] = item;
    this.count++;
    return this.count + this.held < this.capacity;
  }

  /** Counts `n` items kept outside the queue against its capacity. */
  hold(n = 1): void {
    this.held += n;
  }

  /** Stops counting `n` held items (they came back with `unshift`, or ended). */
  release(n = 1): void {
    this.held = Math.max(0, this.held - n);
    if (this.waiters.length > 0 && this.count + this.held <= this.lowWater) this.wake();
  }

  /** Puts items back at the front, in the order given (the first stays first). */
  unshift(...items: T[]): void {
    for (let i = items.length - 1; i >= 0; i--) {
      this.grow();
      this.head = (this.head - 1 + this.items.length) % this.items.length;
      this.items[this.head] = items[i];
      this.count++;
    }
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.count--;
    if (this.waiters.length > 0 && this.count + this.held <= this.lowWater) this.wake();
    return item;
  }

  peek(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.head];
  }

  /** Removes and returns everything, oldest first. */
  drainAll(): T[] {
    const out: T[] = [];
    for (let item = this.shift(); item !== undefined; item = this.shift()) out.push(item);
    return out;
  }

  /** Resolves at once while the queue (with what is held elsewhere) is below capacity, else once it has drained to half. */
  whenWritable(): Promise<void> {
    if (this.count + this.held < this.capacity) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Wakes every waiter, e.g. on close, so no producer waits forever. */
  releaseWaiters(): void {
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private grow(): void {
    if (this.count < this.items.length) return;
    const bigger = new Array<T | undefined>(this.items.length * 2);
    for (let i = 0; i < this.count; i++) bigger[i] = this.items[(this.head + i) % this.items.length];
    this.items = bigger;
    this.head = 0;
  }
}

import type { Delivery } from '../delivery.js';

/**
 * The deliveries a binary connection wrote most recently, with their
 * identifiers and write times, oldest first. An error response names one of
 * them by identifier; everything written after it must be sent again.
 *
 * A fixed ring: when full, the oldest entry leaves (it was written long enough
 * ago that the server has answered for it). Typed arrays for identifiers and
 * times keep a 10,000-entry buffer to two small allocations.
 */
export class SentBuffer {
  private readonly deliveries: Array<Delivery | undefined>;
  private readonly identifiers: Uint32Array;
  private readonly times: Float64Array;
  /** Slot of the oldest entry. */
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.deliveries = new Array<Delivery | undefined>(capacity);
    this.identifiers = new Uint32Array(capacity);
    this.times = new Float64Array(capacity);
  }

  get length(): number {
    return this.count;
  }

  /** Records a written delivery; drops the oldest entry when full. */
  push(identifier: number, delivery: Delivery, time: number): void {
    let slot: number;
    if (this.count === this.capacity) {
      slot = this.head;
      this.head = (this.head + 1) % this.capacity;
    } else {
      slot = (this.head + this.count) % this.capacity;
      this.count++;
    }
    this.deliveries[slot] = delivery;
    this.identifiers[slot] = identifier;
    this.times[slot] = time;
  }

  /**
   * Position (0 = oldest) of the newest entry with this identifier, or -1.
   * Searches from the newest end: an error names a recent write, and after a
   * 2^32 wrap the newest match is the one the server meant.
   */
  indexOf(identifier: number): number {
    for (let i = this.count - 1; i >= 0; i--) {
      if (this.identifiers[(this.head + i) % this.capacity] === identifier) return i;
    }
    return -1;
  }

  /** The delivery at a position (0 = oldest). */
  at(position: number): Delivery {
    return this.deliveries[(this.head + position) % this.capacity]!;
  }

  /** Removes every entry; returns those from `position` on, oldest first. */
  takeFrom(position: number): Delivery[] {
    const out: Delivery[] = [];
    for (let i = Math.max(0, position); i < this.count; i++) out.push(this.at(i));
    this.clear();
    return out;
  }

  /** Removes every entry; returns those written at or after `time`, oldest first. */
  takeWrittenSince(time: number): Delivery[] {
    let first = this.count;
    while (first > 0 && this.times[(this.head + first - 1) % this.capacity]! >= time) first--;
    return this.takeFrom(first);
  }

  clear(): void {
    this.deliveries.fill(undefined);
    this.head = 0;
    this.count = 0;
  }
}

import type { Delivery } from '../delivery.js';

/** Slots a new buffer starts with; it doubles up to its capacity as the send rate asks. */
const INITIAL_SLOTS = 1024;

/**
 * The deliveries a binary connection wrote and cannot yet take as processed,
 * oldest first, each with its write time and the byte offset its frame ends at
 * in the connection's stream. An error response names one of them; everything
 * written after it must be sent again. When the connection ends without an
 * answer, the ones the server may not have read are found here.
 *
 * Entries are numbered by a sequence (0 = the connection's first write) that
 * never repeats, so the connection can map a 32-bit identifier to an entry in
 * O(1) and tell one it never wrote from one it no longer holds.
 *
 * Nothing leaves silently: `dropSettled` removes the entries the connection
 * has decided are processed, and `dropOldest` the one it must give up for room
 * (`capacity` full); the caller counts each. The ring starts small and grows
 * by doubling up to `capacity`, so a quiet connection holds little memory.
 */
export class SentBuffer {
  private deliveries: Array<Delivery | undefined>;
  private times: Float64Array;
  private byteEnds: Float64Array;
  /** Slot of the oldest entry. */
  private head = 0;
  private count = 0;
  /** Sequence number of the oldest entry (= entries that left the buffer). */
  private headSeq = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    const slots = Math.min(capacity, INITIAL_SLOTS);
    this.deliveries = new Array<Delivery | undefined>(slots);
    this.times = new Float64Array(slots);
    this.byteEnds = new Float64Array(slots);
  }

  get length(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count === this.capacity;
  }

  /** Sequence number of the oldest entry held (when empty: the next one to be written). */
  get firstSeq(): number {
    return this.headSeq;
  }

  /** Sequence number the next `push` gets (= entries ever pushed). */
  get nextSeq(): number {
    return this.headSeq + this.count;
  }

  /** Records a written delivery. The caller makes room first (`dropOldest` when `full`). */
  push(delivery: Delivery, time: number, byteEnd: number): void {
    if (this.count === this.deliveries.length) this.grow();
    const slot = (this.head + this.count) % this.deliveries.length;
    this.deliveries[slot] = delivery;
    this.times[slot] = time;
    this.byteEnds[slot] = byteEnd;
    this.count++;
  }

  /** The delivery at a position (0 = oldest). */
  at(position: number): Delivery {
    return this.deliveries[(this.head + position) % this.deliveries.length]!;
  }

  /** When the entry at a position was written. */
  timeAt(position: number): number {
    return this.times[(this.head + position) % this.deliveries.length]!;
  }

  /** Where the frame of the entry at a position ends in the connection's byte stream. */
  byteEndAt(position: number): number {
    return this.byteEnds[(this.head + position) % this.deliveries.length]!;
  }

  /**
   * Position of the first entry written at or after `sinceTime` or ending past
   * byte `afterByte` (both grow along the buffer), or `length` if none.
   */
  firstWrittenSince(sinceTime: number, afterByte: number): number {
    let i = this.count;
    while (i > 0) {
      const slot = (this.head + i - 1) % this.deliveries.length;
      if (this.times[slot]! < sinceTime && this.byteEnds[slot]! <= afterByte) break;
      i--;
    }
    return i;
  }

  /**
   * Removes the oldest entries written before `beforeTime` whose frames end at
   * or before byte `upToByte`; returns how many it removed.
   */
  dropSettled(beforeTime: number, upToByte: number): number {
    let n = 0;
    while (this.count > 0 && this.times[this.head]! < beforeTime && this.byteEnds[this.head]! <= upToByte) {
      this.dropOldest();
      n++;
    }
    return n;
  }

  /** Removes the oldest entry. */
  dropOldest(): void {
    if (this.count === 0) return;
    this.deliveries[this.head] = undefined;
    this.head = (this.head + 1) % this.deliveries.length;
    this.count--;
    this.headSeq++;
  }

  /** Removes every entry; returns those from `position` on, oldest first. */
  takeFrom(position: number): Delivery[] {
    const out: Delivery[] = [];
    for (let i = Math.max(0, position); i < this.count; i++) out.push(this.at(i));
    this.clear();
    return out;
  }

  /** Removes every entry (sequence numbers go on from where they were). */
  clear(): void {
    this.deliveries.fill(undefined);
    this.headSeq += this.count;
    this.head = 0;
    this.count = 0;
  }

  private grow(): void {
    const size = this.deliveries.length;
    const bigger = Math.min(this.capacity, size * 2);
    const deliveries = new Array<Delivery | undefined>(bigger);
    const times = new Float64Array(bigger);
    const byteEnds = new Float64Array(bigger);
    for (let i = 0; i < this.count; i++) {
      const slot = (this.head + i) % size;
      deliveries[i] = this.deliveries[slot];
      times[i] = this.times[slot]!;
      byteEnds[i] = this.byteEnds[slot]!;
    }
    this.deliveries = deliveries;
    this.times = times;
    this.byteEnds = byteEnds;
    this.head = 0;
  }
}

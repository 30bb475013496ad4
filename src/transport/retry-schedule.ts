/**
 * Items waiting for the time they are due, earliest first: a binary min-heap
 * on (due time, arrival order), so equal times keep their order. The pool
 * keeps every delivery waiting out a retry delay here, behind one timer armed
 * for `nextDue`, instead of one timer per delivery (a 429 storm parks
 * thousands of them).
 */
export class RetrySchedule<T> {
  private readonly items: T[] = [];
  private readonly dues: number[] = [];
  private readonly orders: number[] = [];
  private arrivals = 0;

  get size(): number {
    return this.items.length;
  }

  /** When the earliest item is due, or undefined when empty. */
  get nextDue(): number | undefined {
    return this.items.length === 0 ? undefined : this.dues[0];
  }

  add(item: T, due: number): void {
    this.items.push(item);
    this.dues.push(due);
    this.orders.push(this.arrivals++);
    this.siftUp(this.items.length - 1);
  }

  /** Removes and returns the items due at or before `now`, earliest first. */
  takeDue(now: number): T[] {
    const out: T[] = [];
    while (this.items.length > 0 && this.dues[0]! <= now) out.push(this.pop());
    return out;
  }

  /** Removes and returns everything, earliest first. */
  drainAll(): T[] {
    const out: T[] = [];
    while (this.items.length > 0) out.push(this.pop());
    return out;
  }

  private pop(): T {
    const top = this.items[0]!;
    const last = this.items.length - 1;
    this.move(last, 0);
    this.items.pop();
    this.dues.pop();
    this.orders.pop();
    if (this.items.length > 1) this.siftDown(0);
    return top;
  }

  private before(a: number, b: number): boolean {
    const da = this.dues[a]!;
    const db = this.dues[b]!;
    return da < db || (da === db && this.orders[a]! < this.orders[b]!);
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const n = this.items.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) return;
      const right = left + 1;
      const child = right < n && this.before(right, left) ? right : left;
      if (!this.before(child, i)) return;
      this.swap(i, child);
      i = child;
    }
  }

  private move(from: number, to: number): void {
    this.items[to] = this.items[from]!;
    this.dues[to] = this.dues[from]!;
    this.orders[to] = this.orders[from]!;
  }

  private swap(a: number, b: number): void {
    const item = this.items[a]!;
    const due = this.dues[a]!;
    const order = this.orders[a]!;
    this.move(b, a);
    this.items[b] = item;
    this.dues[b] = due;
    this.orders[b] = order;
  }
}

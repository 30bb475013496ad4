import { DeliveryQueue } from './delivery-queue.js';
import { backoffDelay, reconnectDelay } from './backoff.js';
import { retryAfterMs } from '../codec/retry-after.js';

describe('DeliveryQueue', () => {
  it('keeps FIFO order across ring wrap-around and growth', () => {
    const q = new DeliveryQueue<number>(5000);
    const out: number[] = [];
    for (let i = 0; i < 3000; i++) {
      q.push(i);
      if (i % 3 === 0) out.push(q.shift()!);
    }
    while (q.length) out.push(q.shift()!);
    expect(out).toEqual(Array.from({ length: 3000 }, (_, i) => i));
  });

  it('puts retries back at the front in their original order', () => {
    const q = new DeliveryQueue<string>(10);
    q.push('c');
    q.push('d');
    q.unshift('a', 'b');
    expect(q.drainAll()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('reports fullness but never drops, and wakes waiters once it has drained to half', async () => {
    const q = new DeliveryQueue<number>(4);
    for (let i = 1; i <= 3; i++) expect(q.push(i)).toBe(true);
    expect(q.push(4)).toBe(false);
    expect(q.push(5)).toBe(false);
    expect(q.length).toBe(5);
    let woke = false;
    const waiting = q.whenWritable().then(() => (woke = true));
    q.shift();
    q.shift();
    await Promise.resolve();
    expect(woke).toBe(false);
    q.shift();
    await waiting;
    expect(woke).toBe(true);
    expect(q.length).toBe(2);
  });

  it('releases waiters on demand so no producer hangs at close', async () => {
    const q = new DeliveryQueue<number>(1);
    q.push(1);
    const waiting = q.whenWritable();
    q.releaseWaiters();
    await expect(waiting).resolves.toBeUndefined();
  });

  it('counts items held elsewhere against its capacity, and wakes waiters once queue and held together fall to half', async () => {
    const q = new DeliveryQueue<number>(4);
    q.hold(3);
    expect(q.writable).toBe(true);
    expect(q.push(1)).toBe(false);
    let woke = false;
    const waiting = q.whenWritable().then(() => (woke = true));
    q.shift();
    await Promise.resolve();
    expect(woke).toBe(false); // 0 queued, 3 held: still over half
    q.release(1);
    await waiting;
    expect(woke).toBe(true);
    expect(q.heldElsewhere).toBe(2);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new DeliveryQueue(0)).toThrow(RangeError);
  });
});

describe('backoff', () => {
  it('grows exponentially up to the cap, with jitter below the ceiling', () => {
    expect(backoffDelay(0, 100, 5000, () => 0.999)).toBe(99);
    expect(backoffDelay(3, 100, 5000, () => 0.5)).toBe(400);
    expect(backoffDelay(20, 100, 5000, () => 0.999)).toBe(4995);
    expect(backoffDelay(5, 100, 5000, () => 0)).toBe(0);
  });

  it('spaces reconnects between half and all of the growing ceiling, never near zero', () => {
    expect(reconnectDelay(0, 250, 30_000, () => 0)).toBe(125);
    expect(reconnectDelay(0, 250, 30_000, () => 0.999)).toBe(249);
    expect(reconnectDelay(3, 250, 30_000, () => 0)).toBe(1_000);
    expect(reconnectDelay(20, 250, 30_000, () => 0)).toBe(15_000);
  });

  it('reads retry-after as seconds or as an HTTP date', () => {
    expect(retryAfterMs('3', 0)).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(retryAfterMs('soon', 0)).toBeUndefined();
    expect(retryAfterMs(undefined, 0)).toBeUndefined();
  });
});

import { jest } from '@jest/globals';
import { ApnsConnectionError } from '../errors/apns-connection.error.js';
import { ConnectionPool, type ConnectionPoolOptions, type PoolFailureReason } from './connection-pool.js';
import type { Delivery } from './delivery.js';
import type { LoopLoad } from './event-loop-load.js';
import type { ConnectionListener, PooledConnection } from './pooled-connection.js';

// The pool is transport-agnostic; these specs drive it with an in-memory
// connection to pin down its scheduling rules. Real sockets are exercised by
// the binary and HTTP/2 transport specs against the mock server.

class MemoryConnection implements PooledConnection {
  readonly taken: Delivery[] = [];
  inFlightList: Delivery[] = [];
  closed = false;
  draining = false;
  delivered = 0;
  answered = 0;
  lastActivity = 0;
  constructor(
    readonly id: number,
    private readonly listener: ConnectionListener,
    public capacity: number,
  ) {}
  get available(): number {
    return this.closed || this.draining ? 0 : Math.max(0, this.capacity - this.inFlightList.length);
  }
  get inFlight(): number {
    return this.inFlightList.length;
  }
  write(d: Delivery): void {
    this.taken.push(d);
    this.inFlightList.push(d);
  }
  flush(): void {}
  /** Settles the oldest n in-flight deliveries as accepted. */
  settle(n = Infinity): void {
    const done = this.inFlightList.splice(0, n);
    this.delivered += done.length;
    for (const d of done) d.sink.accepted(d, {});
    this.listener.onAvailable(this);
  }
  retryOldest(delayMs: number): void {
    const d = this.inFlightList.shift()!;
    this.listener.onRetry(d, delayMs);
  }
  /** As an HTTP/2 session does on GOAWAY: no new work, what it holds still settles. */
  startDraining(): void {
    this.draining = true;
    this.listener.onAvailable(this);
  }
  close(): void {
    this.closed = true;
    this.listener.onClosed(this, this.inFlightList.splice(0));
  }
  destroy(cause?: Error): void {
    this.closed = true;
    this.listener.onClosed(this, this.inFlightList.splice(0), cause);
  }
}

/** A loop that is always busy: past minCapacity the pool never grows. */
const BUSY_LOOP: LoopLoad = { sample: () => 1, restart: () => undefined };
/** A loop with time to spare in every window. */
const SPARE_LOOP: LoopLoad = { sample: () => 0.1, restart: () => undefined };

/**
 * `answeredAtOpen`: whether a new connection counts as answered already (most
 * tests); 0 leaves it waiting for its first answer, as a new HTTP/2 session is.
 */
function setup(overrides: Partial<ConnectionPoolOptions> = {}, capacity = 2, answeredAtOpen = 1) {
  const accepted: string[] = [];
  const failed: Array<[string, PoolFailureReason]> = [];
  const conns: MemoryConnection[] = [];
  const opens: Array<(c: MemoryConnection | Error) => void> = [];
  const sink = {
    accepted: (d: Delivery) => accepted.push(d.token),
    failed: () => undefined,
  };
  const pool = new ConnectionPool(
    (_id, listener) =>
      new Promise<PooledConnection>((resolve, reject) => {
        opens.push((c) => (c instanceof Error ? reject(c) : resolve(c)));
        void listener;
      }),
    {
      name: 'test',
      endpoint: '127.0.0.1:1',
      maxConnections: 3,
      queueSize: 100,
      idleTimeoutMs: 0,
      reconnect: { baseDelayMs: 10, maxDelayMs: 20, giveUpAfterMs: 10_000 },
      logger: { log: () => undefined, warn: () => undefined, error: () => undefined },
      random: () => 0.5,
      now: () => Date.now(),
      fail: (d, reason) => failed.push([d.token, reason]),
      // Most tests are about other things: below minCapacity, so a full pool grows at once.
      minCapacity: Number.MAX_SAFE_INTEGER,
      load: BUSY_LOOP,
      ...overrides,
    },
  );
  let listenerOf: ConnectionListener | undefined;
  const openNext = async (): Promise<MemoryConnection> => {
    await flush();
    const resolve = opens.shift();
    if (!resolve) throw new Error('no connection was being opened');
    const c = new MemoryConnection(conns.length + 1, (pool as unknown as { listener: ConnectionListener }).listener, capacity);
    c.answered = answeredAtOpen;
    listenerOf = listenerOf ?? (pool as unknown as { listener: ConnectionListener }).listener;
    conns.push(c);
    resolve(c);
    await flush();
    return c;
  };
  const delivery = (token: string): Delivery => ({ token, tokenHex: token, message: {} as never, sink, attempts: 0 });
  /** Settles everything every connection takes (opening more if the pool asks) until nothing is queued, then closes. */
  const settleAllAndClose = async (): Promise<void> => {
    for (let round = 0; round < 100 && (pool.stats.queued > 0 || pool.stats.inFlight > 0 || opens.length > 0); round++) {
      for (const c of conns) c.settle();
      await flush();
      if (opens.length > 0) await openNext();
    }
    await pool.close(1000);
  };
  return { pool, accepted, failed, conns, opens, openNext, delivery, settleAllAndClose };
}

const refused = () => new ApnsConnectionError('127.0.0.1:1', 'ECONNREFUSED', 'refused');

/** Fake clock and timers; setImmediate stays real so `flush()` still lets promises and microtasks run. */
function useFakeClock(): void {
  jest.useFakeTimers({ doNotFake: ['setImmediate', 'queueMicrotask', 'nextTick'], now: 1_000_000 });
}

/** Advances the fake clock by `ms` in one step, then lets what it released run. */
async function advance(ms: number): Promise<void> {
  jest.advanceTimersByTime(ms);
  await flush();
}

const flush = () => new Promise((r) => setImmediate(r));

/**
 * Ends the connection `rounds` times with `end` and measures, on the fake
 * clock in 10 ms steps, how long the pool waits each time before the next open.
 */
async function waitsBetweenOpens(
  t: ReturnType<typeof setup>,
  first: MemoryConnection,
  rounds: number,
  end: (c: MemoryConnection) => void,
): Promise<{ waits: number[]; last: MemoryConnection }> {
  const waits: number[] = [];
  let c = first;
  for (let round = 0; round < rounds; round++) {
    end(c);
    await flush();
    let waited = 0;
    while (t.opens.length === 0) {
      await advance(10);
      waited += 10;
    }
    waits.push(waited);
    c = await t.openNext();
  }
  return { waits, last: c };
}

describe('ConnectionPool', () => {
  it('opens nothing until there is work, then one connection, and another only when the first is full', async () => {
    const t = setup();
    await flush();
    expect(t.opens).toHaveLength(0);
    t.pool.offer(t.delivery('a'));
    await flush();
    expect(t.opens).toHaveLength(1);
    const c1 = await t.openNext();
    expect(c1.taken.map((d) => d.token)).toEqual(['a']);
    t.pool.offer(t.delivery('b'));
    await flush();
    expect(t.opens).toHaveLength(0); // c1 still has room for one more
    t.pool.offer(t.delivery('c'));
    await flush();
    expect(t.opens).toHaveLength(1);
    const c2 = await t.openNext();
    expect(c2.taken.map((d) => d.token)).toEqual(['c']);
    c1.settle();
    c2.settle();
    await t.pool.close(1000);
    expect(t.accepted.sort()).toEqual(['a', 'b', 'c']);
  });

  describe('whether another connection is worth opening', () => {
    /** A loop load a test sets: each sample reads `value` (undefined: the window has not passed yet). */
    function scriptedLoad(initial: number | undefined) {
      const load = { value: initial, samples: 0, restarts: 0 };
      const probe: LoopLoad = {
        sample: () => {
          load.samples++;
          return load.value;
        },
        restart: () => {
          load.restarts++;
        },
      };
      return { load, probe };
    }

    it('opens the first connection alone, even for a burst that would fill several', async () => {
      const t = setup({ maxConnections: 3 }, 1);
      for (const x of ['a', 'b', 'c']) {
        t.pool.offer(t.delivery(x));
        await flush(); // a pump per offer, each while the first open is still under way
      }
      expect(t.opens).toHaveLength(1);
      await t.openNext();
      expect(t.opens).toHaveLength(1);
      await t.openNext();
      await t.openNext();
      expect(t.conns.map((c) => c.taken.length)).toEqual([1, 1, 1]);
      await t.settleAllAndClose();
    });

    it('opens several at once while the open ones, all answered, can carry less than minCapacity; past it one at a time', async () => {
      const t = setup({ maxConnections: 4, minCapacity: 6, load: SPARE_LOOP }, 2);
      t.pool.offer(t.delivery('d0'));
      const c1 = await t.openNext();
      const pending: number[] = [];
      for (let i = 1; i < 12; i++) {
        t.pool.offer(t.delivery(`d${i}`));
        await flush(); // a pump each time
        pending.push(t.opens.length);
      }
      // c1 full (2 of 6): one opens; counted as 2 more it still leaves 4 < 6: a second opens beside it;
      // 2 + 2 x 2 = 6 reaches minCapacity: no third while those two are opening.
      expect(Math.max(...pending)).toBe(2);
      await t.openNext();
      await t.openNext();
      await flush();
      // 6 streams open, all full, past minCapacity: another only after spare windows, and alone.
      expect(t.opens.length).toBeLessThanOrEqual(1);
      await t.settleAllAndClose();
      expect(t.accepted).toHaveLength(12);
      expect(c1.taken.length).toBeGreaterThan(0);
    });

    it('adds none while the event loop is busy, once the open ones can carry minCapacity, and one after three windows with time to spare', async () => {
      const { load, probe } = scriptedLoad(0.97);
      const t = setup({ maxConnections: 3, minCapacity: 2, load: probe }, 2);
      for (let i = 0; i < 10; i++) t.pool.offer(t.delivery(`d${i}`));
      const c1 = await t.openNext();
      await flush();
      expect(load.samples).toBeGreaterThan(0);
      expect(t.opens).toHaveLength(0); // full, able to carry minCapacity, and the loop is busy
      load.value = undefined; // a new window has not passed yet
      c1.settle(1);
      await flush();
      expect(t.opens).toHaveLength(0);
      // Each settle frees a slot the queue fills at once: the pool is full again and asks the load.
      const spareWindowsSeen: number[] = [];
      load.value = 0.6;
      for (let window = 1; window <= 3; window++) {
        c1.settle(1);
        await flush();
        spareWindowsSeen.push(t.opens.length);
      }
      expect(spareWindowsSeen).toEqual([0, 0, 1]);
      const c2 = await t.openNext();
      expect(c2.taken).toHaveLength(2);
      await t.settleAllAndClose();
      expect(t.accepted).toHaveLength(10);
    });

    it('starts the count of spare windows again after a busy one', async () => {
      const { load, probe } = scriptedLoad(0.5);
      const t = setup({ maxConnections: 2, minCapacity: 1, load: probe }, 1);
      for (let i = 0; i < 8; i++) t.pool.offer(t.delivery(`d${i}`));
      const c1 = await t.openNext();
      // The first sample was spare; two more spare ones would open a second connection, but a busy one comes between.
      const opensAfter: number[] = [];
      for (const value of [0.5, 0.95, 0.5, 0.5]) {
        load.value = value;
        c1.settle(1);
        await flush();
        opensAfter.push(t.opens.length);
      }
      expect(opensAfter).toEqual([0, 0, 0, 0]);
      load.value = 0.5;
      c1.settle(1);
      await flush();
      expect(t.opens).toHaveLength(1);
      await t.openNext();
      await t.settleAllAndClose();
      expect(t.accepted).toHaveLength(8);
    });

    it('adds connections whatever the load while the open ones carry less than minCapacity, each once it has had an answer', async () => {
      const { probe } = scriptedLoad(1);
      const t = setup({ maxConnections: 3, minCapacity: 10, load: probe }, 2, 0);
      for (let i = 0; i < 8; i++) t.pool.offer(t.delivery(`d${i}`));
      const c1 = await t.openNext();
      await flush();
      // Apple raises a session's limit once a valid token went through: no second before the first answer.
      expect(t.opens).toHaveLength(0);
      c1.answered = 1;
      t.pool.offer(t.delivery('d8'));
      await flush();
      expect(t.opens).toHaveLength(1);
      const c2 = await t.openNext();
      expect(c2.taken).toHaveLength(2);
      c2.answered = 1;
      t.pool.offer(t.delivery('d9'));
      await flush();
      expect(t.opens).toHaveLength(1); // 4 < 10: the busy loop is not asked
      await t.openNext();
      await t.settleAllAndClose();
      expect(t.accepted).toHaveLength(10);
    });

    it('measures the load afresh once a connection had room or the queue ran dry', async () => {
      const { load, probe } = scriptedLoad(0.97);
      const t = setup({ maxConnections: 2, minCapacity: 1, load: probe }, 1);
      t.pool.offer(t.delivery('a'));
      const c1 = await t.openNext();
      t.pool.offer(t.delivery('b'));
      await flush();
      const before = load.restarts;
      c1.settle(); // room again, and the queued one goes out: a busy spell just before must not count later
      await flush();
      expect(load.restarts).toBeGreaterThan(before);
      c1.settle();
      await t.pool.close(1000);
    });
  });

  it('never opens more than maxConnections and keeps the rest queued in order', async () => {
    const t = setup({ maxConnections: 2 }, 1);
    for (const x of ['a', 'b', 'c', 'd']) t.pool.offer(t.delivery(x));
    const c1 = await t.openNext();
    const c2 = await t.openNext();
    await flush();
    expect(t.opens).toHaveLength(0);
    expect(t.pool.stats.queued).toBe(2);
    c1.settle();
    c2.settle();
    await flush();
    expect([...c1.taken, ...c2.taken].map((d) => d.token).sort()).toEqual(['a', 'b', 'c', 'd']);
    c1.settle();
    c2.settle();
    await t.pool.close(1000);
    expect(t.accepted.sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('sends what a closed connection left unfinished again, first and in order, on a replacement opened at once', async () => {
    const t = setup({ maxConnections: 1, reconnect: { baseDelayMs: 60_000, maxDelayMs: 60_000, giveUpAfterMs: 60_000 } }, 3);
    for (const x of ['a', 'b', 'c', 'd', 'e']) t.pool.offer(t.delivery(x));
    const c1 = await t.openNext();
    c1.settle(1); // it delivered something: its end is a normal event, not a failure
    await flush();
    expect(c1.taken.map((d) => d.token)).toEqual(['a', 'b', 'c', 'd']);
    c1.destroy(new Error('reset'));
    const c2 = await t.openNext();
    expect(c2.taken.map((d) => d.token)).toEqual(['b', 'c', 'd']);
    c2.settle();
    await flush();
    c2.settle();
    await t.pool.close(1000);
    expect(t.accepted).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(t.pool.stats.unproductiveCloses).toBe(0);
  });

  it('retries a delivery after the delay the connection asked for', async () => {
    const t = setup({}, 5);
    t.pool.offer(t.delivery('a'));
    const c1 = await t.openNext();
    c1.retryOldest(30);
    expect(t.pool.stats.retriesPending).toBe(1);
    await new Promise((r) => setTimeout(r, 60));
    expect(c1.taken.map((d) => d.token)).toEqual(['a', 'a']);
    c1.settle();
    await t.pool.close(1000);
    expect(t.accepted).toEqual(['a']);
  });

  it('fails queued deliveries at once with ConnectionError when the failure is permanent', async () => {
    const t = setup();
    t.pool.offer(t.delivery('a'));
    t.pool.offer(t.delivery('b'));
    await flush();
    t.opens.shift()!(new ApnsConnectionError('127.0.0.1:1', 'CERT_HAS_EXPIRED', 'certificate has expired', { permanent: true }));
    await flush();
    expect(t.failed).toEqual([
      ['a', 'ConnectionError'],
      ['b', 'ConnectionError'],
    ]);
    await t.pool.close(100);
  });

  it('backs off between failed opens and recovers when the server comes back', async () => {
    const t = setup({ reconnect: { baseDelayMs: 40, maxDelayMs: 40, giveUpAfterMs: 10_000 } });
    t.pool.offer(t.delivery('a'));
    await flush();
    t.opens.shift()!(new ApnsConnectionError('127.0.0.1:1', 'ECONNREFUSED', 'refused'));
    await flush();
    expect(t.opens).toHaveLength(0); // waiting out the backoff, not hammering
    await new Promise((r) => setTimeout(r, 60));
    const c = await t.openNext();
    expect(c.taken.map((d) => d.token)).toEqual(['a']);
    c.settle();
    await t.pool.close(1000);
    expect(t.failed).toEqual([]);
  });

  it('gives up on queued deliveries after giveUpAfterMs without a connection', async () => {
    const t = setup({ reconnect: { baseDelayMs: 1000, maxDelayMs: 1000, giveUpAfterMs: 50 } });
    t.pool.offer(t.delivery('a'));
    await flush();
    t.opens.shift()!(new ApnsConnectionError('127.0.0.1:1', 'ECONNREFUSED', 'refused'));
    await new Promise((r) => setTimeout(r, 90));
    expect(t.failed).toEqual([['a', 'ConnectionError']]);
    await t.pool.close(100);
  });

  it('drains on close, then fails what is left with Shutdown; a second close is the same promise', async () => {
    const t = setup({ maxConnections: 1 }, 1);
    t.pool.offer(t.delivery('a'));
    t.pool.offer(t.delivery('b'));
    const c1 = await t.openNext();
    const closing = t.pool.close(80);
    expect(t.pool.close(80)).toBe(closing);
    await closing;
    expect(t.failed.map(([token, reason]) => `${token}:${reason}`).sort()).toEqual(['a:Shutdown', 'b:Shutdown']);
    expect(c1.closed).toBe(true);
    t.pool.offer(t.delivery('late'));
    expect(t.failed.at(-1)).toEqual(['late', 'Shutdown']);
  });

  it('sends again, before close resolves, what a connection hands back while closing gracefully', async () => {
    const t = setup({ maxConnections: 1 }, 5);
    t.pool.offer(t.delivery('a'));
    const c1 = await t.openNext();
    c1.settle();
    // As a binary connection does when an error response arrives after our FIN.
    c1.close = () => {
      c1.closed = true;
      (t.pool as unknown as { listener: ConnectionListener }).listener.onClosed(c1, [t.delivery('late')]);
    };
    const closing = t.pool.close(2000);
    const c2 = await t.openNext();
    expect(c2.taken.map((d) => d.token)).toEqual(['late']);
    c2.settle();
    await closing;
    expect(t.accepted).toEqual(['a', 'late']);
    expect(t.failed).toEqual([]);
  });

  it('closes a connection that has been idle for idleTimeoutMs', async () => {
    const t = setup({ idleTimeoutMs: 40 });
    t.pool.offer(t.delivery('a'));
    const c1 = await t.openNext();
    c1.settle();
    await new Promise((r) => setTimeout(r, 100));
    expect(c1.closed).toBe(true);
    expect(t.pool.stats.connections).toBe(0);
    await t.pool.close(100);
  });

  it('on close, waits for a connection still opening when the queue ran dry, then closes it too', async () => {
    const warnings: string[] = [];
    const t = setup({ maxConnections: 2, logger: { log: () => undefined, warn: (m) => warnings.push(m), error: () => undefined } }, 1);
    t.pool.offer(t.delivery('a'));
    const c1 = await t.openNext();
    t.pool.offer(t.delivery('b'));
    await flush(); // c1 is full: a second connection starts opening
    expect(t.opens).toHaveLength(1);
    c1.settle(); // b goes to c1 after all; the second open is still under way
    await flush();
    c1.settle();
    const closing = t.pool.close(10_000);
    await flush();
    expect(c1.closed).toBe(true);
    const c2 = await t.openNext();
    await closing;
    expect(c2.closed).toBe(true);
    expect(warnings).toEqual([]);
    expect(t.accepted.sort()).toEqual(['a', 'b']);
  });

  describe('pacing the opens', () => {
    afterEach(() => {
      jest.useRealTimers();
    });

    it('waits longer after each failed open: between half and all of base × 2^n, capped at maxDelayMs', async () => {
      useFakeClock();
      // random() = 0 draws the shortest wait: exactly half the ceiling.
      const t = setup({ maxConnections: 1, random: () => 0, reconnect: { baseDelayMs: 100, maxDelayMs: 800, giveUpAfterMs: 60_000 } });
      t.pool.offer(t.delivery('a'));
      await flush();
      const waits: number[] = [];
      for (let attempt = 0; attempt < 6; attempt++) {
        t.opens.shift()!(refused());
        await flush();
        let waited = 0;
        while (t.opens.length === 0) {
          await advance(10);
          waited += 10;
        }
        waits.push(waited);
      }
      expect(waits).toEqual([50, 100, 200, 400, 400, 400]);
      const c = await t.openNext();
      expect(c.taken.map((d) => d.token)).toEqual(['a']);
      c.settle();
      await t.pool.close(100);
    });

    it('keeps each wait below the full ceiling when random() is close to 1', async () => {
      useFakeClock();
      const t = setup({ maxConnections: 1, random: () => 0.999, reconnect: { baseDelayMs: 100, maxDelayMs: 800, giveUpAfterMs: 60_000 } });
      t.pool.offer(t.delivery('a'));
      await flush();
      // Ceilings 100 and 200: the waits are 99 and 199 ms.
      t.opens.shift()!(refused());
      await flush();
      await advance(98);
      expect(t.opens).toHaveLength(0);
      await advance(1);
      expect(t.opens).toHaveLength(1);
      t.opens.shift()!(refused());
      await flush();
      await advance(198);
      expect(t.opens).toHaveLength(0);
      await advance(1);
      expect(t.opens).toHaveLength(1);
      (await t.openNext()).settle();
      await t.pool.close(100);
    });

    it('spaces the opens after connections that end without delivering anything, longer each time, and opens at once again after one that delivered', async () => {
      useFakeClock();
      const warnings: string[] = [];
      const t = setup(
        {
          maxConnections: 1,
          random: () => 0,
          reconnect: { baseDelayMs: 100, maxDelayMs: 800, giveUpAfterMs: 60_000 },
          logger: { log: () => undefined, warn: (m) => warnings.push(m), error: () => undefined },
        },
        5,
        0, // no answer at all: reset after the handshake
      );
      for (const x of ['a', 'b', 'c']) t.pool.offer(t.delivery(x));
      const first = await t.openNext();
      // A rejection at the first notification, a reset right after the handshake: nothing delivered.
      const { waits, last: c } = await waitsBetweenOpens(t, first, 4, (conn) => conn.destroy(new Error('closed at once')));
      expect(waits).toEqual([50, 100, 200, 400]);
      expect(t.pool.stats.unproductiveCloses).toBe(4);
      expect(warnings.filter((w) => w.includes('ended without delivering anything'))).toHaveLength(4);
      // This one delivered: its end is a normal protocol event, and its replacement opens at once.
      c.settle(1);
      await flush();
      c.destroy(new Error('error response'));
      await flush();
      expect(t.opens).toHaveLength(1);
      expect(t.pool.stats.unproductiveCloses).toBe(0);
      const last = await t.openNext();
      expect(last.taken.map((d) => d.token)).toEqual(['b', 'c']);
      last.settle();
      await t.pool.close(100);
      expect(t.accepted).toEqual(['a', 'b', 'c']);
      expect(t.failed).toEqual([]);
    });

    it('stops growing the spacing after three steps when the server answered those connections (a storm of rejections)', async () => {
      useFakeClock();
      const t = setup({ maxConnections: 1, random: () => 0, reconnect: { baseDelayMs: 100, maxDelayMs: 60_000, giveUpAfterMs: 60_000 } }, 5);
      t.pool.offer(t.delivery('a'));
      const first = await t.openNext();
      // Rejected at its first notification: answered, nothing delivered.
      const { waits, last: c } = await waitsBetweenOpens(t, first, 5, (conn) => {
        conn.answered = 1;
        conn.destroy(new Error('error response'));
      });
      expect(waits).toEqual([50, 100, 200, 200, 200]);
      c.settle();
      await t.pool.close(100);
    });
  });

  it('leaves no timer and logs no retry when an open fails after close() has resolved', async () => {
    const lines: string[] = [];
    let rejectOpen: (e: Error) => void = () => undefined;
    const pool = new ConnectionPool(() => new Promise<PooledConnection>((_resolve, reject) => (rejectOpen = reject)), {
      name: 'test',
      endpoint: '127.0.0.1:1',
      maxConnections: 1,
      queueSize: 10,
      idleTimeoutMs: 0,
      reconnect: { baseDelayMs: 250, maxDelayMs: 30_000, giveUpAfterMs: 30_000 },
      logger: { log: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) },
      random: () => 0.5,
      now: () => Date.now(),
      fail: (d, reason) => lines.push(`fail ${d.token} ${reason}`),
      minCapacity: 0,
    });
    pool.offer({ token: 'a', tokenHex: 'a', message: {} as never, sink: {} as never, attempts: 0 });
    await flush();
    await pool.close(20);
    expect(lines).toContain('fail a Shutdown');
    const timersAtClose = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    rejectOpen(refused());
    await flush();
    await flush();
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBeLessThanOrEqual(timersAtClose);
    expect(lines.filter((l) => l.includes('retrying') || l.includes('cannot connect'))).toEqual([]);
  });

  describe('retries waiting out a delay', () => {
    afterEach(() => {
      jest.useRealTimers();
    });

    it('count against queueSize: offer says wait while they are pending, whenWritable wakes once they are back and drained', async () => {
      useFakeClock();
      const t = setup({ maxConnections: 1, queueSize: 4 }, 10);
      for (const x of ['a', 'b', 'c', 'd']) t.pool.offer(t.delivery(x));
      const c = await t.openNext();
      expect(t.pool.stats.queued).toBe(0);
      for (let i = 0; i < 4; i++) c.retryOldest(1_000);
      expect(t.pool.stats.retriesPending).toBe(4);
      // The queue is empty, but the four waiting retries are still the producer's work.
      expect(t.pool.offer(t.delivery('e'))).toBe(false);
      let woke = false;
      const writable = t.pool.whenWritable().then(() => (woke = true));
      await flush();
      expect(woke).toBe(false);
      await advance(1_000);
      await writable;
      expect(t.pool.stats.retriesPending).toBe(0);
      expect(c.taken.map((d) => d.token)).toEqual(['a', 'b', 'c', 'd', 'e', 'a', 'b', 'c', 'd']);
      c.settle();
      await t.pool.close(100);
    });

    it('wait behind one timer however many there are, and come back in the order they are due', async () => {
      useFakeClock();
      const t = setup({ maxConnections: 1, queueSize: 1_000 }, 200);
      for (let i = 0; i < 100; i++) t.pool.offer(t.delivery(`d${i}`));
      const c = await t.openNext();
      const timersBefore = jest.getTimerCount();
      // Later ones first: d0 waits 1,000 ms, d99 waits 10 ms.
      for (let i = 0; i < 100; i++) c.retryOldest(1_000 - 10 * i);
      expect(jest.getTimerCount() - timersBefore).toBe(1);
      for (let step = 0; step < 100; step++) await advance(10);
      expect(c.taken.slice(100).map((d) => d.token)).toEqual(Array.from({ length: 100 }, (_, i) => `d${99 - i}`));
      c.settle();
      await t.pool.close(100);
    });
  });

  it('opens a replacement while a draining connection finishes, even at maxConnections, and closes both on close()', async () => {
    const t = setup({ maxConnections: 1 }, 2);
    for (const x of ['a', 'b', 'c', 'd']) t.pool.offer(t.delivery(x));
    const c1 = await t.openNext();
    expect(c1.taken.map((d) => d.token)).toEqual(['a', 'b']);
    c1.startDraining();
    const c2 = await t.openNext();
    expect(c2.taken.map((d) => d.token)).toEqual(['c', 'd']);
    expect(t.pool.stats).toMatchObject({ connections: 2, draining: 1 });
    c1.settle();
    c2.settle();
    await t.pool.close(100);
    expect(c1.closed && c2.closed).toBe(true);
    expect(t.accepted.sort()).toEqual(['a', 'b', 'c', 'd']);
  });
});

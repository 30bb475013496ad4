import { ApnsConnectionError } from '../errors/apns-connection.error.js';
import { ConnectionPool, type ConnectionPoolOptions, type PoolFailureReason } from './connection-pool.js';
import type { Delivery } from './delivery.js';
import type { ConnectionListener, PooledConnection } from './pooled-connection.js';

// The pool is transport-agnostic; these specs drive it with an in-memory
// connection to pin down its scheduling rules. Real sockets are exercised by
// the binary and HTTP/2 transport specs against the mock server.

class MemoryConnection implements PooledConnection {
  readonly taken: Delivery[] = [];
  inFlightList: Delivery[] = [];
  closed = false;
  lastActivity = 0;
  constructor(
    readonly id: number,
    private readonly listener: ConnectionListener,
    private capacity: number,
  ) {}
  get available(): number {
    return this.closed ? 0 : Math.max(0, this.capacity - this.inFlightList.length);
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
    for (const d of done) d.sink.accepted(d, {});
    this.listener.onAvailable(this);
  }
  retryOldest(delayMs: number): void {
    const d = this.inFlightList.shift()!;
    this.listener.onRetry(d, delayMs);
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

function setup(overrides: Partial<ConnectionPoolOptions> = {}, capacity = 2) {
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
      ...overrides,
    },
  );
  let listenerOf: ConnectionListener | undefined;
  const openNext = async (): Promise<MemoryConnection> => {
    await flush();
    const resolve = opens.shift();
    if (!resolve) throw new Error('no connection was being opened');
    const c = new MemoryConnection(conns.length + 1, (pool as unknown as { listener: ConnectionListener }).listener, capacity);
    listenerOf = listenerOf ?? (pool as unknown as { listener: ConnectionListener }).listener;
    conns.push(c);
    resolve(c);
    await flush();
    return c;
  };
  const delivery = (token: string): Delivery => ({ token, tokenHex: token, message: {} as never, sink, attempts: 0 });
  return { pool, accepted, failed, conns, opens, openNext, delivery };
}

const flush = () => new Promise((r) => setImmediate(r));

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

  it('sends what a closed connection left unfinished again, first and in order', async () => {
    const t = setup({ maxConnections: 1 }, 3);
    for (const x of ['a', 'b', 'c', 'd']) t.pool.offer(t.delivery(x));
    const c1 = await t.openNext();
    c1.destroy(new Error('reset'));
    const c2 = await t.openNext();
    expect(c2.taken.map((d) => d.token)).toEqual(['a', 'b', 'c']);
    c2.settle();
    await flush();
    c2.settle();
    await t.pool.close(1000);
    expect(t.accepted).toEqual(['a', 'b', 'c', 'd']);
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
});

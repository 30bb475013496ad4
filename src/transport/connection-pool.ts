import { ApnsConnectionError } from '../errors/apns-connection.error.js';
import type { ApnsLogger } from './apns-logger.js';
import { reconnectDelay } from './backoff.js';
import type { Delivery } from './delivery.js';
import type { ReconnectConfig, TransportConfig } from './transport-config.js';
import { DeliveryQueue } from './delivery-queue.js';
import { EventLoopLoad, type LoopLoad } from './event-loop-load.js';
import type { ConnectionListener, ConnectionOpener, PooledConnection } from './pooled-connection.js';
import { RetrySchedule } from './retry-schedule.js';

/** Why the pool gave up on a delivery. */
export type PoolFailureReason = 'Shutdown' | 'ConnectionError';

export interface ConnectionPoolOptions {
  /** For log lines: `binary` or `http2`. */
  name: string;
  /** `host:port` being dialled, for log lines. */
  endpoint: string;
  /** Most connections taking work; draining ones (GOAWAY, closing) are not counted. */
  maxConnections: number;
  /** Queued deliveries plus those waiting out a retry delay before `offer` returns false. */
  queueSize: number;
  /** Close connections idle this long, ms; 0 = never. */
  idleTimeoutMs: number;
  /** Backoff between failed connection attempts, and after connections that end without delivering anything. */
  reconnect: ReconnectConfig;
  logger: ApnsLogger;
  random: () => number;
  now: () => number;
  /** Ends a delivery the pool cannot send; the transport builds the error. */
  fail(delivery: Delivery, reason: PoolFailureReason, cause?: Error): void;
  /**
   * What the open connections must be able to carry at once (the sum of their
   * `capacity`) before another one has to earn its place: below it the pool
   * opens one whenever all are full; from it on, only when the event loop had
   * time to spare. HTTP/2: a thousand streams; binary: 0 (a second socket only
   * helps when the gateway, not this process, is what is slow).
   */
  minCapacity: number;
  /** The event loop's load; the default measures this process's. */
  load?: LoopLoad;
}

/**
 * Event loop utilization from which the process counts as busy: another
 * connection then cannot raise the rate, only memory (more requests in
 * flight, more to collect) and CPU per notification.
 */
export const LOOP_BUSY = 0.85;

/**
 * Windows in a row the loop must have had time to spare before the pool adds a
 * connection: the first ones of a burst are spent filling the pipe (waiting
 * for the first answers) and would always say so.
 */
export const SPARE_WINDOWS = 3;

/** The pool settings of a transport's config: one place, whichever transport builds the pool. */
export function poolOptionsFor(
  name: string,
  config: TransportConfig,
  fail: ConnectionPoolOptions['fail'],
  minCapacity: number,
): ConnectionPoolOptions {
  return {
    name,
    minCapacity,
    endpoint: `${config.endpoint.host}:${config.endpoint.port}`,
    maxConnections: config.maxConnections,
    queueSize: config.queueSize,
    idleTimeoutMs: config.idleTimeoutMs,
    reconnect: config.reconnect,
    logger: config.logger,
    random: config.random,
    now: config.now,
    load: config.loopLoad,
    fail,
  };
}

export interface ConnectionPoolStats {
  /** Connections the pool holds, draining ones included. */
  connections: number;
  /** Of those, the ones draining (no new work, not counted against maxConnections). */
  draining: number;
  opening: number;
  queued: number;
  /** Taken by a connection and not yet settled (see `PooledConnection.inFlight`). */
  inFlight: number;
  /** Waiting out a retry delay; counted against the queue's size. */
  retriesPending: number;
  /** Consecutive failed opens. */
  connectFailures: number;
  /** Consecutive connections that ended without delivering anything. */
  unproductiveCloses: number;
  opened: number;
}

/**
 * Most reconnect steps (the wait doubling each time) after connections the
 * server answered but that delivered nothing: with the default 250 ms base,
 * at most one such open per 0.5–1 s however long the storm lasts.
 */
const ANSWERED_SPACING_STEPS = 3;

/**
 * N connections behind one queue: opens them lazily (another one only when
 * every open one is saturated), reuses them, replaces dead ones, closes idle
 * ones, and on close drains then fails what is left with `Shutdown`.
 *
 * Replacing: after a normal protocol close (a binary error response, an HTTP/2
 * GOAWAY) of a connection that delivered something, the replacement opens at
 * once. A failed open, or a connection that ends having delivered nothing
 * (rejected at its first notification, reset right after the handshake, a
 * session that dies before answering), counts as a failure: the next open
 * waits `reconnectDelay` (growing, never near zero), one at a time, so a
 * gateway rejecting everything is not hit with a connection per notification.
 * Only failed opens lead to giving up on the queue (`giveUpAfterMs`).
 *
 * Backpressure: deliveries waiting out a retry delay count against
 * `queueSize`, so `offer` and `whenWritable` hold the producer back during a
 * retry storm too. They wait in one `RetrySchedule` behind a single timer.
 *
 * Transport-agnostic: the binary and HTTP/2 transports plug their connection
 * class in through a `ConnectionOpener`.
 */
export class ConnectionPool {
  private readonly queue: DeliveryQueue<Delivery>;
  private readonly load: LoopLoad;
  /** Load windows in a row with time to spare, while every connection was full. */
  private spareWindows = 0;
  private readonly connections: PooledConnection[] = [];
  private readonly retries = new RetrySchedule<Delivery>();
  private retryTimer: NodeJS.Timeout | undefined;
  /** When the retry timer is due (the pool's clock). */
  private retryTimerDue = 0;
  private readonly listener: ConnectionListener;
  private nextId = 1;
  private opening = 0;
  private openedTotal = 0;
  private cursor = 0;
  private pumpScheduled = false;
  private pumping = false;
  private pumpAgain = false;
  /** Consecutive failed opens, and when the first of them happened. */
  private failures = 0;
  private firstFailureAt = 0;
  private lastFailure: Error | undefined;
  /** Consecutive connections that ended without delivering anything. */
  private unproductive = 0;
  /** Connections the pool itself asked to close (idle, shutdown): their end says nothing about the gateway. */
  private readonly closingByPool = new Set<PooledConnection>();
  private nextOpenAt = 0;
  private openTimer: NodeJS.Timeout | undefined;
  private giveUpTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Past the drain deadline nothing new is written: whatever arrives fails with `Shutdown`. */
  private drainDeadlinePassed = false;
  private closePromise: Promise<void> | undefined;
  private idleWaiters: Array<() => void> = [];
  /** Each returns true (and is dropped) once what it waits for has closed. */
  private closedWaiters: Array<() => boolean> = [];
  private openWaiters: Array<() => void> = [];

  constructor(
    private readonly open: ConnectionOpener,
    private readonly options: ConnectionPoolOptions,
  ) {
    this.queue = new DeliveryQueue<Delivery>(options.queueSize);
    this.load = options.load ?? new EventLoopLoad();
    this.listener = {
      onAvailable: () => this.schedulePump(),
      onClosed: (connection, unfinished, cause) => this.handleClosed(connection, unfinished, cause),
      onRetry: (delivery, delayMs) => this.scheduleRetry(delivery, delayMs),
    };
    if (options.idleTimeoutMs > 0) {
      this.idleTimer = setInterval(() => this.closeIdle(), Math.max(50, Math.floor(options.idleTimeoutMs / 2)));
      this.idleTimer.unref();
    }
  }

  /** Queues a delivery; false means "wait for `whenWritable()`" (it was queued all the same). */
  offer(delivery: Delivery): boolean {
    if (this.drainDeadlinePassed) {
      this.options.fail(delivery, 'Shutdown');
      return true;
    }
    const writable = this.queue.push(delivery);
    this.schedulePump();
    return writable;
  }

  whenWritable(): Promise<void> {
    return this.queue.whenWritable();
  }

  get stats(): ConnectionPoolStats {
    let inFlight = 0;
    let draining = 0;
    for (const c of this.connections) {
      inFlight += c.inFlight;
      if (c.draining) draining++;
    }
    return {
      connections: this.connections.length,
      draining,
      opening: this.opening,
      queued: this.queue.length,
      inFlight,
      retriesPending: this.retries.size,
      connectFailures: this.failures,
      unproductiveCloses: this.unproductive,
      opened: this.openedTotal,
    };
  }

  /**
   * Stops taking new work once the queue is drained: writes what is queued,
   * waits for answers up to `drainTimeoutMs`, fails what is left with
   * `Shutdown`, closes every connection. Idempotent.
   */
  close(drainTimeoutMs: number): Promise<void> {
    this.closePromise ??= this.runClose(drainTimeoutMs);
    return this.closePromise;
  }

  private async runClose(drainTimeoutMs: number): Promise<void> {
    if (this.idleTimer) clearInterval(this.idleTimer);
    this.idleTimer = undefined;
    let deadline: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      deadline = setTimeout(() => resolve('timeout'), drainTimeoutMs);
    });
    // Drain, then close the connections gracefully. A graceful close can hand work
    // back (a binary error response arriving late): that work goes out again on a
    // new connection, so loop until nothing comes back or the deadline passes.
    let drained = false;
    this.schedulePump();
    while (!drained) {
      if ((await Promise.race([this.whenIdle().then(() => 'idle' as const), timedOut])) === 'timeout') break;
      const open = this.connections.slice();
      if (open.length > 0) {
        // Wait for these ones only: a connection that finishes opening meanwhile is closed on the next round.
        const closed = this.whenClosed(open);
        for (const c of open) this.closeConnection(c);
        if ((await Promise.race([closed.then(() => 'closed' as const), timedOut])) === 'timeout') break;
      } else if (this.opening > 0) {
        // An open still under way when the queue ran dry: wait for it rather than spin.
        if ((await Promise.race([this.whenOpenSettled().then(() => 'opened' as const), timedOut])) === 'timeout') break;
      }
      drained = this.isIdle() && this.connections.length === 0 && this.opening === 0;
    }
    clearTimeout(deadline);
    this.drainDeadlinePassed = true;
    this.clearTimers();
    if (!drained) {
      this.options.logger.warn(
        `${this.options.name}: drain timed out after ${drainTimeoutMs} ms; failing what is left with reason Shutdown`,
      );
    }
    this.failAll('Shutdown');
    // What is still open is cut; whatever it held fails with Shutdown (handleClosed).
    for (const c of this.connections.slice()) c.destroy();
    this.queue.releaseWaiters();
  }

  /** Resolves once none of `connections` is open any more. */
  private whenClosed(connections: PooledConnection[]): Promise<void> {
    return new Promise((resolve) => {
      const check = (): boolean => {
        if (connections.some((c) => this.connections.includes(c))) return false;
        resolve();
        return true;
      };
      if (!check()) this.closedWaiters.push(check);
    });
  }

  private whenOpenSettled(): Promise<void> {
    if (this.opening === 0) return Promise.resolve();
    return new Promise((resolve) => this.openWaiters.push(resolve));
  }

  private openSettled(): void {
    const waiters = this.openWaiters;
    this.openWaiters = [];
    for (const w of waiters) w();
  }

  private whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    if (this.queue.length > 0 || this.retries.size > 0) return false;
    for (const c of this.connections) if (c.inFlight > 0) return false;
    return true;
  }

  private checkIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Moves queued deliveries into connections with room, opening more when all are full. */
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        this.fillConnections();
      } while (this.pumpAgain);
      if (this.queue.length > 0) this.maybeOpen();
      else this.restartLoad();
    } finally {
      this.pumping = false;
    }
    this.checkIdle();
  }

  private fillConnections(): void {
    const conns = this.connections;
    let idleRounds = 0;
    while (this.queue.length > 0 && conns.length > 0 && idleRounds < conns.length) {
      this.cursor = (this.cursor + 1) % conns.length;
      const c = conns[this.cursor]!;
      let room = c.available;
      if (room <= 0) {
        idleRounds++;
        continue;
      }
      idleRounds = 0;
      // A write can end the connection (socket error): stop as soon as it has no room.
      while (room-- > 0 && c.available > 0) {
        const d = this.queue.shift();
        if (d === undefined) break;
        c.write(d);
      }
      c.flush();
    }
  }

  private maybeOpen(): void {
    if (this.drainDeadlinePassed) return;
    let taking = 0;
    let capacity = 0;
    let largest = 0;
    let unanswered = false;
    for (const c of this.connections) {
      if (c.available > 0) {
        // Not every connection is full: the load of the moments before says nothing about the next ones.
        this.restartLoad();
        return;
      }
      // A draining connection takes no new work: it must not hold the slot of its replacement.
      if (!c.draining) {
        taking++;
        capacity += c.capacity;
        largest = Math.max(largest, c.capacity);
        if (c.answered === 0) unanswered = true;
      }
    }
    if (taking + this.opening >= this.options.maxConnections) return;
    // While opens fail or connections die unproductive, one at a time, spaced by the backoff.
    if (this.opening > 0 && (this.failures > 0 || this.unproductive > 0)) return;
    if (taking === 0) {
      // The first one alone: what it can carry decides whether a second is worth it.
      if (this.opening > 0) return;
    } else if (capacity + this.opening * largest < this.options.minCapacity) {
      // Short of capacity (each opening one counted as the largest open one): several may open at
      // once, but only once every open one has had an answer (Apple raises a session's limit from
      // 1 after the first valid token: before that, a session's capacity says nothing).
      if (unanswered) return;
    } else if (this.opening > 0 || !this.loopHasSpareTime()) {
      return;
    }
    const wait = this.nextOpenAt - this.options.now();
    if (wait > 0) {
      if (!this.openTimer) {
        this.openTimer = setTimeout(() => {
          this.openTimer = undefined;
          this.schedulePump();
        }, wait);
      }
      return;
    }
    this.openOne();
  }

  /**
   * Past `minCapacity`, another connection raises the rate only when the server
   * or the network is what is slow: the event loop spent less than `LOOP_BUSY`
   * of each of the last `SPARE_WINDOWS` windows working. When it is busy all
   * the time, another connection would add only memory and CPU.
   */
  private loopHasSpareTime(): boolean {
    const load = this.load.sample();
    if (load === undefined) return false;
    this.spareWindows = load < LOOP_BUSY ? this.spareWindows + 1 : 0;
    if (this.spareWindows < SPARE_WINDOWS) return false;
    // The next one has to earn its place in windows of its own.
    this.spareWindows = 0;
    return true;
  }

  private restartLoad(): void {
    this.spareWindows = 0;
    this.load.restart();
  }

  private openOne(): void {
    const id = this.nextId++;
    this.opening++;
    this.open(id, this.listener).then(
      (connection) => {
        this.opening--;
        this.openedTotal++;
        this.openSettled();
        if (this.failures > 0) {
          this.options.logger.log(`${this.options.name}: connected to ${this.options.endpoint} after ${this.failures} failed attempt(s)`);
        }
        this.failures = 0;
        this.lastFailure = undefined;
        // The gateway answers again; but while connections die unproductive, opening says nothing.
        if (this.unproductive === 0) this.nextOpenAt = 0;
        if (this.giveUpTimer) {
          clearTimeout(this.giveUpTimer);
          this.giveUpTimer = undefined;
        }
        if (this.drainDeadlinePassed) {
          connection.destroy();
          return;
        }
        this.connections.push(connection);
        this.schedulePump();
      },
      (error: unknown) => {
        this.opening--;
        this.openSettled();
        this.onOpenFailed(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }

  private onOpenFailed(error: Error): void {
    if (this.drainDeadlinePassed) {
      // close() has finished with everything: no retry, no give-up timer to keep the process alive.
      this.options.logger.debug?.(`${this.options.name}: an open still under way at close failed: ${error.message}`);
      return;
    }
    const now = this.options.now();
    if (this.failures === 0) this.firstFailureAt = now;
    this.failures++;
    this.lastFailure = error;
    this.spaceNextOpen(now, Math.max(this.failures, this.unproductive));
    this.options.logger.warn(
      `${this.options.name}: cannot connect to ${this.options.endpoint} (attempt ${this.failures}): ${error.message}; retrying in ${this.nextOpenAt - now} ms`,
    );
    const permanent = error instanceof ApnsConnectionError && error.permanent;
    if (this.connections.length === 0 && (permanent || now - this.firstFailureAt >= this.options.reconnect.giveUpAfterMs)) {
      this.giveUp(error);
    } else if (this.connections.length === 0 && !this.giveUpTimer) {
      const left = this.firstFailureAt + this.options.reconnect.giveUpAfterMs - now;
      this.giveUpTimer = setTimeout(() => {
        this.giveUpTimer = undefined;
        if (this.connections.length === 0 && this.failures > 0 && this.lastFailure) this.giveUp(this.lastFailure);
      }, left);
    }
    this.schedulePump();
  }

  /** No connection can be had: what waits in the queue fails rather than waiting forever. */
  private giveUp(cause: Error): void {
    const waiting = this.queue.drainAll();
    if (waiting.length > 0) {
      this.options.logger.error(
        `${this.options.name}: giving up on ${waiting.length} queued notification(s): ${cause.message}`,
      );
    }
    for (const d of waiting) this.options.fail(d, 'ConnectionError', cause);
    this.checkIdle();
  }

  /** The next open waits for the `attempt`-th reconnect delay (1-based), counted from `now`. */
  private spaceNextOpen(now: number, attempt: number): number {
    const { baseDelayMs, maxDelayMs } = this.options.reconnect;
    const delay = reconnectDelay(attempt - 1, baseDelayMs, maxDelayMs, this.options.random);
    this.nextOpenAt = Math.max(this.nextOpenAt, now + delay);
    return this.nextOpenAt - now;
  }

  private closeConnection(connection: PooledConnection): void {
    this.closingByPool.add(connection);
    connection.close();
  }

  private handleClosed(connection: PooledConnection, unfinished: Delivery[], cause?: Error): void {
    const i = this.connections.indexOf(connection);
    if (i >= 0) {
      this.connections.splice(i, 1);
      if (this.cursor >= this.connections.length) this.cursor = 0;
    }
    const byPool = this.closingByPool.delete(connection);
    if (cause) this.options.logger.debug?.(`${this.options.name}: connection ${connection.id} closed: ${cause.message}`);
    if (i >= 0 && !byPool && !this.drainDeadlinePassed) this.countUseful(connection, cause);
    if (unfinished.length > 0) {
      if (this.drainDeadlinePassed) {
        for (const d of unfinished) this.options.fail(d, 'Shutdown', cause);
      } else {
        this.queue.unshift(...unfinished);
      }
    }
    if (this.closedWaiters.length > 0) this.closedWaiters = this.closedWaiters.filter((done) => !done());
    this.schedulePump();
  }

  /**
   * A connection ended by itself. One that delivered something is a normal
   * protocol event: the replacement may open at once. One that delivered
   * nothing counts like a failed open for the spacing of the next one; when
   * the server did answer it (a rejection of its first notification: a storm
   * of invalid tokens costs one connection each) the spacing stops growing at
   * {@link ANSWERED_SPACING_STEPS} steps, since the server is well and the
   * wait only keeps us from flooding it with connections.
   */
  private countUseful(connection: PooledConnection, cause: Error | undefined): void {
    if (connection.delivered > 0) {
      this.unproductive = 0;
      return;
    }
    this.unproductive++;
    const answered = connection.answered > 0;
    const attempt = Math.max(this.unproductive, this.failures);
    const wait = this.spaceNextOpen(this.options.now(), answered ? Math.min(attempt, ANSWERED_SPACING_STEPS) : attempt);
    const line =
      `${this.options.name}: connection ${connection.id} to ${this.options.endpoint} ended without delivering anything` +
      `${answered ? ' (the server answered it)' : cause ? ` (${cause.message})` : ''}; ${this.unproductive} in a row: ` +
      `the next one opens in ${wait} ms at the earliest`;
    // A rejection is on errors$ already; a connection that died without a word is news.
    if (answered) this.options.logger.debug?.(line);
    else this.options.logger.warn(line);
  }

  private scheduleRetry(delivery: Delivery, delayMs: number): void {
    if (this.drainDeadlinePassed) {
      this.options.fail(delivery, 'Shutdown');
      return;
    }
    // Still the producer's work: it counts against the queue's size until it is back in the queue.
    this.queue.hold();
    this.retries.add(delivery, this.options.now() + Math.max(0, delayMs));
    this.armRetryTimer();
  }

  /** One timer for every retry: armed for the earliest one due. */
  private armRetryTimer(): void {
    const due = this.retries.nextDue;
    if (due === undefined) {
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      return;
    }
    if (this.retryTimer && this.retryTimerDue <= due) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimerDue = due;
    this.retryTimer = setTimeout(() => this.onRetriesDue(), Math.max(0, due - this.options.now()));
  }

  private onRetriesDue(): void {
    this.retryTimer = undefined;
    // The timer ran its course: what it was armed for is due even on a clock that did not move (a fake one).
    const due = this.retries.takeDue(Math.max(this.options.now(), this.retryTimerDue));
    if (due.length > 0) {
      this.queue.unshift(...due);
      this.queue.release(due.length);
      this.schedulePump();
    }
    this.armRetryTimer();
  }

  private closeIdle(): void {
    const now = this.options.now();
    for (const c of this.connections.slice()) {
      if (!c.draining && c.inFlight === 0 && now - c.lastActivity >= this.options.idleTimeoutMs) {
        this.options.logger.debug?.(`${this.options.name}: closing connection ${c.id}, idle for ${now - c.lastActivity} ms`);
        this.closeConnection(c);
      }
    }
  }

  private failAll(reason: PoolFailureReason): void {
    const waiting = this.retries.drainAll();
    this.queue.release(waiting.length);
    for (const d of waiting) this.options.fail(d, reason);
    for (const d of this.queue.drainAll()) this.options.fail(d, reason);
  }

  private clearTimers(): void {
    if (this.openTimer) clearTimeout(this.openTimer);
    if (this.giveUpTimer) clearTimeout(this.giveUpTimer);
    if (this.idleTimer) clearInterval(this.idleTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.openTimer = this.giveUpTimer = this.idleTimer = this.retryTimer = undefined;
  }
}

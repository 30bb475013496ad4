import type { Server, TLSSocket } from 'node:tls';
import { encodeFeedbackTuple } from '../codec/binary-frame.js';
import type { MockServerContext } from './mock-server-context.js';
import { createMockTlsServer, listenOn, type MockTlsOptions } from './mock-tls-server.js';

export interface MockFeedbackServiceOptions extends MockTlsOptions {
  /** Write the list in chunks of this many bytes; undefined = one write. */
  chunkSize: number | undefined;
  /** Pause between two chunks, ms; 0 = the next turn of the event loop. */
  chunkDelayMs: number;
}

/**
 * The feedback service of the mock: on each connection it writes the queued
 * (timestamp, token) tuples, forgets them (Apple clears the list once read)
 * and closes, unless the `feedbackHoldOpen` fault keeps the socket open.
 */
export class MockFeedbackService {
  private readonly server: Server;
  private readonly sockets = new Set<TLSSocket>();
  private readonly immediates = new Set<NodeJS.Immediate>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly ctx: MockServerContext,
    private readonly options: MockFeedbackServiceOptions,
  ) {
    this.server = createMockTlsServer(ctx, options, (socket) => this.onConnection(socket));
  }

  listen(host: string, port: number): Promise<number> {
    return listenOn(this.server, host, port);
  }

  async close(): Promise<void> {
    for (const immediate of this.immediates) clearImmediate(immediate);
    this.immediates.clear();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }

  /** Drops every connection at once. */
  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  private onConnection(socket: TLSSocket): void {
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => this.sockets.delete(socket));
    // The client is not supposed to send anything; whatever it sends is read and ignored.
    socket.on('data', () => undefined);
    const entries = this.ctx.devices.takeFeedback();
    const counters = this.ctx.records.counters;
    counters.feedbackConnections++;
    counters.feedbackTuples += entries.length;
    this.ctx.log(`feedback connection: serving ${entries.length} tuple(s)`);
    const bytes = Buffer.concat(entries.map((entry) => encodeFeedbackTuple(entry.seconds, entry.token)));
    const holdOpen = this.ctx.faults.feedbackHoldOpenSetting;
    const chunkSize = this.options.chunkSize;
    if (chunkSize === undefined || bytes.length <= chunkSize) {
      if (bytes.length > 0) socket.write(bytes);
      if (!holdOpen) socket.end();
    } else {
      this.writeChunks(socket, bytes, chunkSize, 0, holdOpen);
    }
    this.ctx.records.changed();
  }

  /**
   * One chunk per turn of the event loop (or per `chunkDelayMs`), so each
   * reaches the client as its own TLS record.
   */
  private writeChunks(socket: TLSSocket, bytes: Buffer, size: number, offset: number, holdOpen: boolean): void {
    if (socket.destroyed) return;
    socket.write(bytes.subarray(offset, offset + size));
    const next = offset + size;
    if (next >= bytes.length) {
      if (!holdOpen) socket.end();
      return;
    }
    const delay = this.options.chunkDelayMs;
    if (delay > 0) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.writeChunks(socket, bytes, size, next, holdOpen);
      }, delay);
      this.timers.add(timer);
      return;
    }
    const immediate = setImmediate(() => {
      this.immediates.delete(immediate);
      this.writeChunks(socket, bytes, size, next, holdOpen);
    });
    this.immediates.add(immediate);
  }
}

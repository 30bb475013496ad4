import type { AddressInfo, Socket } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { encodeFeedbackTuple } from '../codec/binary-frame.js';
import type { MockServerContext } from './mock-server-context.js';

export interface MockFeedbackServiceOptions {
  key: string;
  cert: string;
  ca: string;
  requireClientCert: boolean;
  maxTlsVersion: 'TLSv1.2' | 'TLSv1.3';
  /** Write the list in chunks of this many bytes; undefined = one write. */
  chunkSize: number | undefined;
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

  constructor(
    private readonly ctx: MockServerContext,
    private readonly options: MockFeedbackServiceOptions,
  ) {
    this.server = createServer({
      key: options.key,
      cert: options.cert,
      ca: options.ca,
      requestCert: options.requireClientCert,
      rejectUnauthorized: options.requireClientCert,
      maxVersion: options.maxTlsVersion,
    });
    this.server.on('connection', (socket: Socket) => {
      if (this.ctx.faults.refusing()) {
        this.ctx.records.counters.refusedConnections++;
        socket.destroy();
        this.ctx.records.changed();
      }
    });
    this.server.on('secureConnection', (socket) => this.onConnection(socket));
    this.server.on('tlsClientError', (_error, socket) => {
      socket.destroy();
      this.ctx.records.counters.tlsErrors++;
      this.ctx.records.changed();
    });
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        this.server.on('error', () => undefined);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  async close(): Promise<void> {
    for (const immediate of this.immediates) clearImmediate(immediate);
    this.immediates.clear();
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

  /** One chunk per turn of the event loop, so each reaches the client as its own TLS record. */
  private writeChunks(socket: TLSSocket, bytes: Buffer, size: number, offset: number, holdOpen: boolean): void {
    if (socket.destroyed) return;
    socket.write(bytes.subarray(offset, offset + size));
    const next = offset + size;
    if (next >= bytes.length) {
      if (!holdOpen) socket.end();
      return;
    }
    const immediate = setImmediate(() => {
      this.immediates.delete(immediate);
      this.writeChunks(socket, bytes, size, next, holdOpen);
    });
    this.immediates.add(immediate);
  }
}

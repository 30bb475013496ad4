import type { Server, TLSSocket } from 'node:tls';
import { encodeErrorResponse } from '../codec/binary-frame.js';
import { NotificationFrameDecoder } from '../codec/notification-frame-decoder.js';
import { BinaryStatus, describeBinaryStatus } from '../codec/reasons.js';
import { redactToken } from '../errors/redact.js';
import { AcceptedBinaryNotification } from './accepted-binary-notification.js';
import type { MockServerContext } from './mock-server-context.js';
import { createMockTlsServer, listenOn, type MockTlsOptions } from './mock-tls-server.js';

export interface MockBinaryGatewayOptions extends MockTlsOptions {
  maxPayloadBytes: number;
  recordAccepted: boolean;
}

interface Connection {
  readonly id: number;
  readonly socket: TLSSocket;
  readonly decoder: NotificationFrameDecoder;
  readonly closeFault: { afterNotifications: number; status: number | undefined } | undefined;
  processed: number;
  lastIdentifier: number;
  /** Set once the server gave up on this connection: what still arrives is read and dropped. */
  done: boolean;
  /** Status of the error response written at the end, if any. */
  errorStatus: number | undefined;
  bytesSincePause: number;
}

/** How long a client may keep its side open after the gateway ended the connection. */
const LINGER_MS = 2000;

/**
 * The legacy binary gateway of the mock: reads command 0, 1 and 2 frames and,
 * like Apple, stays silent while all is well; on a bad frame or an invalid
 * token it writes the 6-byte error response, closes, and drops whatever the
 * client wrote after the failed notification.
 */
export class MockBinaryGateway {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly ctx: MockServerContext,
    private readonly options: MockBinaryGatewayOptions,
  ) {
    this.server = createMockTlsServer(ctx, options, (socket) => this.onConnection(socket));
  }

  listen(host: string, port: number): Promise<number> {
    return listenOn(this.server, host, port);
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of this.connections) connection.socket.destroy();
    this.connections.clear();
    await closed;
  }

  /** Drops every connection at once, without an error response. */
  dropConnections(): void {
    for (const connection of this.connections) {
      connection.done = true;
      connection.socket.destroy();
    }
  }

  private onConnection(socket: TLSSocket): void {
    const connection: Connection = {
      id: this.ctx.nextConnectionId(),
      socket,
      decoder: new NotificationFrameDecoder({ maxPayloadBytes: this.options.maxPayloadBytes }),
      closeFault: this.ctx.faults.takeBinaryClose(),
      processed: 0,
      lastIdentifier: 0,
      done: false,
      errorStatus: undefined,
      bytesSincePause: 0,
    };
    this.connections.add(connection);
    this.ctx.records.counters.binaryConnections++;
    this.ctx.log(`binary connection ${connection.id} opened`);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.connections.delete(connection);
      this.ctx.log(`binary connection ${connection.id} closed`);
      this.ctx.records.binaryEnded({
        connectionId: connection.id,
        processed: connection.processed,
        errorStatus: connection.errorStatus,
        endedBy: connection.done ? 'server' : 'client',
      });
    });
    socket.on('data', (chunk: Buffer) => this.onData(connection, chunk));
    this.ctx.records.changed();
    const fault = connection.closeFault;
    if (fault !== undefined && fault.afterNotifications === 0 && (fault.status === undefined || fault.status === BinaryStatus.Shutdown)) {
      this.faultClose(connection);
    }
  }

  private onData(connection: Connection, chunk: Buffer): void {
    if (connection.done) return;
    const slow = this.ctx.faults.slowReadsSetting;
    if (slow !== undefined) this.maybePause(connection, chunk.length, slow);
    const events = connection.decoder.push(chunk);
    const fault = connection.closeFault;
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      if (event.kind === 'malformed') {
        this.ctx.log(`binary connection ${connection.id}: malformed frame (${event.detail})`);
        // Command 0 has no error response (apns-protocol.md §1.2): a bad simple frame only drops the connection.
        this.fail(connection, event.status, event.identifier, '', event.command !== 0);
        return;
      }
      if (fault !== undefined && fault.status !== undefined && fault.status !== BinaryStatus.Shutdown && connection.processed === fault.afterNotifications) {
        this.fail(connection, fault.status, event.identifier, event.tokenHex, true);
        this.ctx.records.counters.binaryFaultCloses++;
        return;
      }
      const script = this.ctx.devices.get(event.tokenHex);
      if (script !== undefined && script.kind !== 'unregistered') {
        // Apple answers nothing to a bad command-0 frame: it just drops the connection.
        const status = script.kind === 'invalid' ? BinaryStatus.InvalidToken : script.binaryStatus;
        this.fail(connection, status, event.identifier, event.tokenHex, event.command !== 0);
        return;
      }
      // The gateway takes a notification for a gone device; the feedback service lists the device later.
      if (script !== undefined) this.ctx.devices.queueFeedbackOnce(event.tokenHex, new Date(script.timestamp));
      connection.processed++;
      connection.lastIdentifier = event.identifier;
      this.ctx.records.accept(
        new AcceptedBinaryNotification(
          event.tokenHex,
          this.options.recordAccepted ? event.payload : EMPTY,
          connection.id,
          event.command,
          event.command === 0 ? undefined : event.identifier,
          event.expiration,
          event.priority,
        ),
      );
      if (fault !== undefined && connection.processed === fault.afterNotifications && (fault.status === undefined || fault.status === BinaryStatus.Shutdown)) {
        this.faultClose(connection);
        return;
      }
    }
  }

  /** Stops reading for a while so the client's writes back up. */
  private maybePause(connection: Connection, bytes: number, slow: { pauseMs: number; everyBytes: number }): void {
    connection.bytesSincePause += bytes;
    if (connection.bytesSincePause < slow.everyBytes) return;
    connection.bytesSincePause = 0;
    connection.socket.pause();
    this.ctx.records.counters.readPauses++;
    this.ctx.records.changed();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!connection.socket.destroyed) connection.socket.resume();
    }, slow.pauseMs);
    this.timers.add(timer);
  }

  /** The scripted close after N notifications: silent, or status 10 naming the last one processed. */
  private faultClose(connection: Connection): void {
    const status = connection.closeFault?.status;
    this.ctx.records.counters.binaryFaultCloses++;
    if (status === undefined) {
      this.ctx.log(`binary connection ${connection.id}: closed by fault without an error response`);
      this.end(connection, undefined);
    } else {
      this.ctx.records.counters.errorResponses++;
      this.ctx.log(`binary connection ${connection.id}: shutdown after identifier ${connection.lastIdentifier}`);
      this.end(connection, encodeErrorResponse(status, connection.lastIdentifier), status);
    }
    this.ctx.records.changed();
  }

  private fail(connection: Connection, status: number, identifier: number, tokenHex: string, respond: boolean): void {
    const reason = describeBinaryStatus(status).name;
    this.ctx.log(`binary connection ${connection.id}: ${reason} (${status}) for ${redactToken(tokenHex)}, identifier ${identifier}`);
    if (respond) this.ctx.records.counters.errorResponses++;
    this.end(connection, respond ? encodeErrorResponse(status, identifier) : undefined, respond ? status : undefined);
    this.ctx.records.reject({ protocol: 'binary', token: tokenHex, status, reason, identifier, connectionId: connection.id });
  }

  /**
   * Half-closes after the optional error response, and keeps reading (and
   * dropping) what the client still sends: closing a socket with unread data
   * makes the kernel send RST, and the client could lose the error response.
   */
  private end(connection: Connection, response: Buffer | undefined, status?: number): void {
    connection.done = true;
    connection.errorStatus = status;
    const socket = connection.socket;
    socket.resume();
    if (response === undefined) socket.end();
    else socket.end(response);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      socket.destroy();
    }, LINGER_MS);
    this.timers.add(timer);
    socket.once('close', () => {
      clearTimeout(timer);
      this.timers.delete(timer);
    });
  }
}

const EMPTY = Buffer.alloc(0);

// Test-only: a minimal binary gateway over real TLS on 127.0.0.1 for behaviours
// the mock never shows on purpose (it always confirms a client's close): a
// gateway that never closes its side, stops reading, drops connections right
// after the handshake, or cuts an error response short. It decodes the frames
// it reads and records them; it never answers unless scripted to.
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { NotificationFrameDecoder } from '../src/codec/notification-frame-decoder.js';
import type { MockApnsServer } from '../src/testing/index.js';
import { testCredentials } from '../src/testing/index.js';

export interface ReceivedFrame {
  readonly token: string;
  readonly identifier: number | undefined;
  /** 1, 2, ... in the order connections were accepted. */
  readonly connection: number;
}

export interface GatewayScript {
  /** Destroy the first `first` connections as soon as their TLS handshake is done (before the session ticket: a TLS 1.3 client sees a close right after its handshake). */
  dropAfterHandshake?: { first: number };
  /** Keep our side open when the client ends its side (never confirm its close). */
  holdOpen?: boolean;
  /** After reading this many frames on a connection (on the first `connections` ones; default all): stop reading, or write `reply` and end. */
  afterFrames?: { count: number; pause?: boolean; reply?: Buffer; connections?: number };
}

export class ScriptedBinaryGateway {
  readonly frames: ReceivedFrame[] = [];
  connections = 0;
  private readonly sockets = new Set<TLSSocket>();
  private readonly paused = new Set<TLSSocket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(script: GatewayScript = {}): Promise<ScriptedBinaryGateway> {
    const server = createServer({
      key: testCredentials.serverKey,
      cert: testCredentials.serverCert,
      ca: testCredentials.ca,
      requestCert: true,
      rejectUnauthorized: true,
      allowHalfOpen: script.holdOpen === true,
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const gateway = new ScriptedBinaryGateway(server, (server.address() as { port: number }).port);
    server.on('secureConnection', (socket) => gateway.onConnection(socket, script));
    server.on('tlsClientError', (_error, socket) => socket.destroy());
    return gateway;
  }

  /** What `binaryConfig()` reads from a mock: this gateway as gateway and feedback endpoint. */
  get asMock(): MockApnsServer {
    return { gateway: `127.0.0.1:${this.port}`, feedbackGateway: `127.0.0.1:${this.port}` } as MockApnsServer;
  }

  /** Frames received per token. */
  counts(): Map<string, number> {
    const seen = new Map<string, number>();
    for (const f of this.frames) seen.set(f.token, (seen.get(f.token) ?? 0) + 1);
    return seen;
  }

  /** Reads again on every connection paused by the script. */
  resumeReading(): void {
    for (const socket of this.paused) socket.resume();
    this.paused.clear();
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private onConnection(socket: TLSSocket, script: GatewayScript): void {
    const n = ++this.connections;
    socket.on('error', () => undefined);
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    const drop = script.dropAfterHandshake;
    if (drop !== undefined && n <= drop.first) {
      socket.destroy();
      return;
    }
    const after = script.afterFrames !== undefined && n <= (script.afterFrames.connections ?? Infinity) ? script.afterFrames : undefined;
    const decoder = new NotificationFrameDecoder({ maxPayloadBytes: 4096 });
    let read = 0;
    socket.on('data', (chunk: Buffer) => {
      for (const event of decoder.push(chunk)) {
        if (event.kind === 'malformed') continue;
        this.frames.push({ token: event.tokenHex, identifier: event.identifier, connection: n });
        read++;
        if (after !== undefined && read === after.count) {
          // Pausing keeps what this chunk holds (it was read); a reply drops what follows, as a gateway does after an error.
          if (after.pause) {
            socket.pause();
            this.paused.add(socket);
          }
          if (after.reply !== undefined) {
            socket.end(after.reply);
            return;
          }
        }
      }
    });
  }
}

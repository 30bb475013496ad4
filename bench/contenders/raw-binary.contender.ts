import { readFileSync } from 'node:fs';
import { connect, type TLSSocket } from 'node:tls';
import { benchTokens } from '../harness/bench-tokens.js';
import { BENCH_PAYLOAD_JSON } from './bench-notification.js';
import type { Contender, ContenderJob, RunOutcome } from './contender.js';

/** Bytes handed to one `write()`: large enough to amortize the call, small enough to interleave with reads. */
const WRITE_SLICE = 256 * 1024;

/**
 * Command-2 frames with all five items, written here rather than taken from
 * the codec so that the baseline owes nothing to the code it measures.
 */
export function encodeFrames(tokens: readonly string[], payload: Buffer, firstId = 0): Buffer {
  const frameLength = 3 + 32 + 3 + payload.length + 3 + 4 + 3 + 4 + 3 + 1;
  const out = Buffer.allocUnsafe(tokens.length * (5 + frameLength));
  let at = 0;
  for (let i = 0; i < tokens.length; i++) {
    out[at] = 2;
    out.writeUInt32BE(frameLength, at + 1);
    at += 5;
    out[at] = 1;
    out.writeUInt16BE(32, at + 1);
    out.write(tokens[i]!, at + 3, 32, 'hex');
    at += 35;
    out[at] = 2;
    out.writeUInt16BE(payload.length, at + 1);
    payload.copy(out, at + 3);
    at += 3 + payload.length;
    out[at] = 3;
    out.writeUInt16BE(4, at + 1);
    out.writeUInt32BE((firstId + i) >>> 0, at + 3);
    at += 7;
    out[at] = 4;
    out.writeUInt16BE(4, at + 1);
    out.writeUInt32BE(0, at + 3);
    at += 7;
    out[at] = 5;
    out.writeUInt16BE(1, at + 1);
    out[at + 3] = 10;
    at += 4;
  }
  return out;
}

/**
 * The binary baseline: frames encoded before the measured window, written on
 * one TLS socket as fast as backpressure allows. Done when the server has read
 * everything: the socket is ended and the server's close arrives.
 */
export class RawBinaryContender implements Contender {
  private socket: TLSSocket | undefined;
  private frames: Buffer = Buffer.alloc(0);
  private errorResponse: Buffer | undefined;

  constructor(private readonly job: ContenderJob) {}

  private open(): Promise<TLSSocket> {
    const { mock, credentials } = this.job;
    return new Promise((resolve, reject) => {
      const socket = connect({
        host: mock.host,
        port: mock.binaryPort,
        ca: readFileSync(credentials.ca),
        cert: readFileSync(credentials.clientCert),
        key: readFileSync(credentials.clientKey),
        servername: 'localhost',
      });
      socket.once('secureConnect', () => resolve(socket));
      socket.once('error', reject);
      socket.on('data', (chunk: Buffer) => {
        this.errorResponse ??= chunk;
      });
    });
  }

  async setup(): Promise<void> {
    const payload = Buffer.from(BENCH_PAYLOAD_JSON);
    if (this.job.warmup > 0) {
      // Warm-up on a connection of its own, closed the same way as the measured one.
      const warm = await this.open();
      await this.writeAndClose(warm, encodeFrames(benchTokens(this.job.warmup, 800_000_000), payload));
    }
    this.frames = encodeFrames(benchTokens(this.job.count), payload);
    this.socket = await this.open();
  }

  private async writeAndClose(socket: TLSSocket, bytes: Buffer): Promise<void> {
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    for (let at = 0; at < bytes.length; at += WRITE_SLICE) {
      if (!socket.write(bytes.subarray(at, Math.min(bytes.length, at + WRITE_SLICE)))) {
        await new Promise<void>((resolve) => socket.once('drain', () => resolve()));
      }
      if (socket.destroyed) break;
    }
    socket.end();
    await closed;
  }

  async run(): Promise<RunOutcome> {
    await this.writeAndClose(this.socket!, this.frames);
    if (this.errorResponse) {
      return { ok: 0, failed: this.job.count, firstError: `error response ${this.errorResponse.subarray(0, 6).toString('hex')}` };
    }
    return { ok: this.job.count, failed: 0 };
  }

  async close(): Promise<void> {
    this.socket?.destroy();
    this.socket = undefined;
  }
}

import { BinaryCommand, ERROR_RESPONSE_BYTES } from './binary-frame.js';
import { describeBinaryStatus } from './reasons.js';

export type ErrorResponseEvent =
  | { kind: 'error-response'; status: number; statusName: string; identifier: number }
  | { kind: 'malformed'; detail: string };

/**
 * Reads the 6-byte error responses (command 8, status, u32 identifier) a binary
 * gateway sends before it closes the connection. Chunks may be split anywhere.
 *
 * A byte that cannot start an error response yields one `malformed` event and
 * ends decoding: nothing after it can be trusted, and the gateway is about to
 * close the connection anyway.
 */
export class ErrorResponseDecoder {
  private readonly packet = Buffer.alloc(ERROR_RESPONSE_BYTES);
  private have = 0;
  private finished = false;

  push(chunk: Uint8Array): ErrorResponseEvent[] {
    const events: ErrorResponseEvent[] = [];
    let i = 0;
    while (i < chunk.length && !this.finished) {
      if (this.have === 0 && chunk[i] !== BinaryCommand.ErrorResponse) {
        this.finished = true;
        events.push({ kind: 'malformed', detail: `expected command 8, got ${chunk[i]}` });
        break;
      }
      const n = Math.min(ERROR_RESPONSE_BYTES - this.have, chunk.length - i);
      this.packet.set(chunk.subarray(i, i + n), this.have);
      this.have += n;
      i += n;
      if (this.have === ERROR_RESPONSE_BYTES) {
        this.have = 0;
        const status = this.packet[1]!;
        events.push({
          kind: 'error-response',
          status,
          statusName: describeBinaryStatus(status).name,
          identifier: this.packet.readUInt32BE(2),
        });
      }
    }
    return events;
  }

  /** Bytes of an incomplete error response held back (the connection closed mid-packet when > 0). */
  get pendingBytes(): number {
    return this.have;
  }
}

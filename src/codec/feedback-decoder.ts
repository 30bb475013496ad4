import { FEEDBACK_TUPLE_HEADER_BYTES } from './binary-frame.js';

export type FeedbackEvent =
  | { kind: 'tuple'; token: string; timestamp: Date }
  | { kind: 'malformed'; detail: string };

/**
 * Reads the feedback service's stream of (u32 time, u16 token length, token)
 * tuples. Chunks may be split anywhere; at most one tuple is held in memory
 * (6 + 65535 bytes at worst).
 *
 * A tuple with a zero-length token is reported as `malformed` and skipped:
 * its length field still says where the next tuple starts.
 */
export class FeedbackDecoder {
  private readonly header = Buffer.alloc(FEEDBACK_TUPLE_HEADER_BYTES);
  private headerHave = 0;
  /** The token being read, once the header is complete. */
  private token: Buffer | undefined;
  private tokenHave = 0;

  push(chunk: Uint8Array): FeedbackEvent[] {
    const events: FeedbackEvent[] = [];
    let i = 0;
    while (i < chunk.length) {
      if (this.token === undefined) {
        const n = Math.min(FEEDBACK_TUPLE_HEADER_BYTES - this.headerHave, chunk.length - i);
        this.header.set(chunk.subarray(i, i + n), this.headerHave);
        this.headerHave += n;
        i += n;
        if (this.headerHave < FEEDBACK_TUPLE_HEADER_BYTES) break;
        const length = this.header.readUInt16BE(4);
        if (length === 0) {
          this.headerHave = 0;
          events.push({ kind: 'malformed', detail: `tuple at time ${this.header.readUInt32BE(0)} has an empty token` });
          continue;
        }
        this.token = Buffer.allocUnsafe(length);
        this.tokenHave = 0;
      }
      const token = this.token;
      const n = Math.min(token.length - this.tokenHave, chunk.length - i);
      token.set(chunk.subarray(i, i + n), this.tokenHave);
      this.tokenHave += n;
      i += n;
      if (this.tokenHave === token.length) {
        events.push({ kind: 'tuple', token: token.toString('hex'), timestamp: new Date(this.header.readUInt32BE(0) * 1000) });
        this.token = undefined;
        this.tokenHave = 0;
        this.headerHave = 0;
      }
    }
    return events;
  }

  /**
   * Call when the stream ends. Reports how many bytes of an incomplete tuple
   * were left (0 for a clean end) and resets the decoder for another read.
   */
  finish(): { danglingBytes: number } {
    const danglingBytes = this.headerHave + this.tokenHave;
    this.headerHave = 0;
    this.token = undefined;
    this.tokenHave = 0;
    return { danglingBytes };
  }
}

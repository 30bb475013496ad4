import { ApnsValidationError } from '../errors/apns-validation.error.js';
import type { PreparedNotification } from '../transport/delivery.js';
import { notificationFrameLength, writeNotificationFrame } from './binary-frame.js';

/** Default size of one preallocated chunk: many frames per socket write, little waste. */
export const DEFAULT_BATCH_CHUNK_BYTES = 64 * 1024;

/**
 * Writes many notifications into one preallocated buffer, so a connection makes
 * one socket write per batch instead of one per notification (Apple asks for
 * batched writes, and one write per frame costs far more than the encoding).
 *
 * `take()` hands the bytes written since the last `take()` to the caller as a
 * view of the chunk; later appends only write past them, and a new chunk is
 * allocated when the current one is full, so taken bytes are never overwritten.
 */
export class FrameBatchEncoder {
  private readonly command: 1 | 2;
  private chunk: Buffer;
  /** Start of the bytes not yet taken. */
  private start = 0;
  /** End of the bytes written. */
  private end = 0;

  /**
   * @param format `frame` (command 2) or `enhanced` (command 1).
   * @param chunkBytes size of each preallocated chunk. Default 64 KiB.
   */
  constructor(format: 'frame' | 'enhanced', private readonly chunkBytes = DEFAULT_BATCH_CHUNK_BYTES) {
    if (format !== 'frame' && format !== 'enhanced') throw new RangeError(`unknown binary format ${String(format)}`);
    if (!Number.isInteger(chunkBytes) || chunkBytes < 64) throw new RangeError('chunkBytes must be an integer of at least 64');
    this.command = format === 'frame' ? 2 : 1;
    this.chunk = Buffer.allocUnsafe(chunkBytes);
  }

  /** Bytes appended and not yet taken. */
  get byteLength(): number {
    return this.end - this.start;
  }

  /**
   * Appends one notification. Throws `ApnsValidationError` (and appends
   * nothing) when the identifier, token or payload cannot be framed.
   */
  append(identifier: number, tokenHex: string, message: PreparedNotification): void {
    const tokenBytes = tokenHex.length >>> 1;
    if (tokenBytes === 0 || (tokenHex.length & 1) === 1 || tokenBytes > 0xffff) {
      throw new ApnsValidationError('token', `a ${tokenHex.length}-digit token cannot be framed`, 'Validate the token with parseDeviceToken first.');
    }
    if (identifier >>> 0 !== identifier) {
      throw new ApnsValidationError('identifier', `${identifier} is not a 32-bit unsigned integer`, 'Wrap identifiers at 2^32.');
    }
    const payload = message.payload;
    if (payload.byteLength > 0xffff) {
      throw new ApnsValidationError('payload', `${payload.byteLength} bytes do not fit a binary frame`, 'Keep payloads within the transport limit.');
    }
    const expiration = message.expiration;
    const priority = this.command === 2 ? message.priority : undefined;
    const size = notificationFrameLength(this.command, tokenBytes, payload.byteLength, expiration !== undefined, priority !== undefined);
    if (this.end + size > this.chunk.length) this.rotate(size);
    // writeNotificationFrame throws before `end` moves, so a bad token leaves no partial frame.
    this.end = writeNotificationFrame(this.chunk, this.end, this.command, identifier, expiration, priority, tokenHex, payload);
  }

  /** The bytes appended since the last take; the caller owns them from now on. */
  take(): Buffer {
    const out = this.chunk.subarray(this.start, this.end);
    this.start = this.end;
    return out;
  }

  /**
   * Starts a new chunk and carries the pending bytes over. It doubles past the
   * pending size so a caller that rarely takes does not copy on every append.
   */
  private rotate(needed: number): void {
    const pending = this.end - this.start;
    const next = Buffer.allocUnsafe(pending === 0 ? Math.max(this.chunkBytes, needed) : Math.max(this.chunkBytes, 2 * (pending + needed)));
    if (pending > 0) this.chunk.copy(next, 0, this.start, this.end);
    this.chunk = next;
    this.start = 0;
    this.end = pending;
  }
}

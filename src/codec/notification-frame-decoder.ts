import { BinaryCommand, FRAME_HEADER_BYTES, FrameItem, ITEM_HEADER_BYTES } from './binary-frame.js';
import { BINARY_MAX_TOKEN_BYTES } from './device-token.js';
import { BinaryStatus } from './reasons.js';

/** Payload limit of the binary interface since iOS 8. */
export const BINARY_MAX_PAYLOAD_BYTES = 2048;

/**
 * Longest command-2 frame that could be five distinct items at their u16
 * maximum; anything longer is refused before a byte of it is read.
 */
export const MAX_FRAME_DATA_BYTES = 2 * (ITEM_HEADER_BYTES + 0xffff) + (ITEM_HEADER_BYTES + 4) * 2 + ITEM_HEADER_BYTES + 1;

export type FrameEvent =
  | {
      kind: 'notification';
      command: 0 | 1 | 2;
      /** 0 for command 0, and for a command-2 frame without item 3. */
      identifier: number;
      /** Command 1 always; command 2 when item 4 was sent. */
      expiration?: number;
      /** Command 2 when item 5 was sent. */
      priority?: number;
      tokenHex: string;
      payload: Buffer;
    }
  | {
      kind: 'malformed';
      /** The command of the bad frame; undefined when the command byte itself is unknown. */
      command: 0 | 1 | 2 | undefined;
      /** The status a gateway would answer with (2, 4, 5, 7, 128, ...). */
      status: number;
      /** The frame's identifier, 0 when it is not known. */
      identifier: number;
      detail: string;
    };

export interface NotificationFrameDecoderOptions {
  /** Largest payload accepted, bytes. Default 2048 ({@link BINARY_MAX_PAYLOAD_BYTES}). */
  maxPayloadBytes?: number;
  /** Largest device token accepted, bytes. Default 100 ({@link BINARY_MAX_TOKEN_BYTES}). */
  maxTokenBytes?: number;
}

const enum Step {
  Command,
  SimpleHeader,
  EnhancedHeader,
  Token,
  PayloadLength,
  Payload,
  FrameLength,
  ItemHeader,
  ItemData,
}

/**
 * Reads the notifications a client writes to a binary gateway (commands 0, 1
 * and 2), for the mock server. Chunks may be split anywhere.
 *
 * A bad frame yields one `malformed` event carrying the status a gateway would
 * send; the decoder is then finished (the gateway closes the connection) and
 * further pushes return nothing. Memory stays bounded: only a token and a
 * payload within the limits are ever buffered; oversized items are skipped
 * (so a command-2 frame can still report its identifier) and impossible frame
 * lengths are refused at once.
 */
export class NotificationFrameDecoder {
  private readonly maxPayloadBytes: number;
  private readonly maxTokenBytes: number;
  private readonly scratch = Buffer.alloc(10);
  private step = Step.Command;
  /** Where the current field goes; null = skip it. */
  private target: Buffer | null = this.scratch;
  private need = 1;
  private have = 0;
  private done = false;

  private command: 0 | 1 | 2 = 0;
  /** False once a frame started with a command byte that is none of 0, 1, 2. */
  private knownCommand = true;
  private identifier = 0;
  private expiration: number | undefined;
  private priority: number | undefined;
  private token: Buffer | undefined;
  private payload: Buffer | undefined;
  // Command 2 only.
  private frameLeft = 0;
  private itemId = 0;
  private seenItems = 0;
  private problem: { status: number; detail: string } | undefined;

  constructor(options?: NotificationFrameDecoderOptions) {
    this.maxPayloadBytes = options?.maxPayloadBytes ?? BINARY_MAX_PAYLOAD_BYTES;
    this.maxTokenBytes = options?.maxTokenBytes ?? BINARY_MAX_TOKEN_BYTES;
  }

  /** True once a malformed frame was reported; the decoder reads nothing more. */
  get finished(): boolean {
    return this.done;
  }

  push(chunk: Uint8Array): FrameEvent[] {
    const events: FrameEvent[] = [];
    let i = 0;
    while (i < chunk.length && !this.done) {
      if (this.step === Step.Command) {
        // Whole, well-formed frames are read straight from the chunk; anything
        // else (a frame cut by the chunk's end, any rule broken) takes the
        // field-by-field path below, which reports exactly what is wrong.
        const end = this.wholeFrame(chunk, i, events);
        if (end > i) {
          i = end;
          continue;
        }
      }
      const n = Math.min(this.need - this.have, chunk.length - i);
      if (this.target !== null) this.target.set(chunk.subarray(i, i + n), this.have);
      this.have += n;
      i += n;
      if (this.have === this.need) this.fieldDone(events);
    }
    return events;
  }

  /**
   * Decodes one frame that lies whole in `chunk` at `at` and breaks no rule,
   * emitting its notification; returns the offset after it, or `at` when the
   * frame is cut short or has any problem (then nothing is emitted).
   */
  private wholeFrame(chunk: Uint8Array, at: number, events: FrameEvent[]): number {
    const length = chunk.length;
    const command = chunk[at]!;
    if (command === BinaryCommand.Frame) {
      if (at + FRAME_HEADER_BYTES > length) return at;
      const frameLength = u32(chunk, at + 1);
      const frameEnd = at + FRAME_HEADER_BYTES + frameLength;
      if (frameLength > MAX_FRAME_DATA_BYTES || frameEnd > length) return at;
      let o = at + FRAME_HEADER_BYTES;
      let seen = 0;
      let tokenAt = -1;
      let tokenLength = 0;
      let payloadAt = -1;
      let payloadLength = 0;
      let identifier = 0;
      let expiration: number | undefined;
      let priority: number | undefined;
      while (o < frameEnd) {
        if (o + ITEM_HEADER_BYTES > frameEnd) return at;
        const id = chunk[o]!;
        const itemLength = (chunk[o + 1]! << 8) | chunk[o + 2]!;
        o += ITEM_HEADER_BYTES;
        if (o + itemLength > frameEnd || id < FrameItem.DeviceToken || id > FrameItem.Priority) return at;
        const bit = 1 << id;
        if ((seen & bit) !== 0) return at;
        seen |= bit;
        switch (id) {
          case FrameItem.DeviceToken:
            if (itemLength === 0 || itemLength > this.maxTokenBytes) return at;
            tokenAt = o;
            tokenLength = itemLength;
            break;
          case FrameItem.Payload:
            if (itemLength === 0 || itemLength > this.maxPayloadBytes) return at;
            payloadAt = o;
            payloadLength = itemLength;
            break;
          case FrameItem.Identifier:
            if (itemLength !== 4) return at;
            identifier = u32(chunk, o);
            break;
          case FrameItem.Expiration:
            if (itemLength !== 4) return at;
            expiration = u32(chunk, o);
            break;
          default: {
            if (itemLength !== 1) return at;
            const p = chunk[o]!;
            if (!isFramePriority(p)) return at;
            priority = p;
          }
        }
        o += itemLength;
      }
      if (tokenAt < 0 || payloadAt < 0) return at;
      this.emitWhole(events, 2, identifier, expiration, priority, chunk, tokenAt, tokenLength, payloadAt, payloadLength);
      return frameEnd;
    }
    if (command !== BinaryCommand.Enhanced && command !== BinaryCommand.Simple) return at;
    // Command 1: id(4) expiry(4) before the token; command 0: neither.
    const header = command === BinaryCommand.Enhanced ? 9 : 1;
    if (at + header + 2 > length) return at;
    const tokenLength = (chunk[at + header]! << 8) | chunk[at + header + 1]!;
    const tokenAt = at + header + 2;
    if (tokenLength === 0 || tokenLength > this.maxTokenBytes || tokenAt + tokenLength + 2 > length) return at;
    const payloadLength = (chunk[tokenAt + tokenLength]! << 8) | chunk[tokenAt + tokenLength + 1]!;
    const payloadAt = tokenAt + tokenLength + 2;
    if (payloadLength === 0 || payloadLength > this.maxPayloadBytes || payloadAt + payloadLength > length) return at;
    if (command === BinaryCommand.Enhanced) {
      this.emitWhole(events, 1, u32(chunk, at + 1), u32(chunk, at + 5), undefined, chunk, tokenAt, tokenLength, payloadAt, payloadLength);
    } else {
      this.emitWhole(events, 0, 0, undefined, undefined, chunk, tokenAt, tokenLength, payloadAt, payloadLength);
    }
    return payloadAt + payloadLength;
  }

  private emitWhole(
    events: FrameEvent[],
    command: 0 | 1 | 2,
    identifier: number,
    expiration: number | undefined,
    priority: number | undefined,
    chunk: Uint8Array,
    tokenAt: number,
    tokenLength: number,
    payloadAt: number,
    payloadLength: number,
  ): void {
    // The payload is copied: the caller may keep it, and the chunk is not ours.
    const payload = Buffer.allocUnsafe(payloadLength);
    payload.set(chunk.subarray(payloadAt, payloadAt + payloadLength));
    const event: FrameEvent = {
      kind: 'notification',
      command,
      identifier,
      tokenHex: Buffer.from(chunk.buffer, chunk.byteOffset + tokenAt, tokenLength).toString('hex'),
      payload,
    };
    if (expiration !== undefined) event.expiration = expiration;
    if (priority !== undefined) event.priority = priority;
    events.push(event);
  }

  private expect(step: Step, need: number, target: Buffer | null = this.scratch): void {
    this.step = step;
    this.need = need;
    this.have = 0;
    this.target = target;
  }

  private fieldDone(events: FrameEvent[]): void {
    const s = this.scratch;
    switch (this.step) {
      case Step.Command:
        return this.startFrame(s[0]!, events);
      case Step.SimpleHeader:
        return this.tokenLength(s.readUInt16BE(0), events);
      case Step.EnhancedHeader:
        this.identifier = s.readUInt32BE(0);
        this.expiration = s.readUInt32BE(4);
        return this.tokenLength(s.readUInt16BE(8), events);
      case Step.Token:
        return this.expect(Step.PayloadLength, 2);
      case Step.PayloadLength: {
        const length = s.readUInt16BE(0);
        if (length === 0) return this.malformed(events, BinaryStatus.MissingPayload, 'the payload is empty');
        if (length > this.maxPayloadBytes) {
          return this.malformed(events, BinaryStatus.InvalidPayloadSize, `the payload is ${length} bytes, the limit is ${this.maxPayloadBytes}`);
        }
        this.payload = Buffer.allocUnsafe(length);
        return this.expect(Step.Payload, length, this.payload);
      }
      case Step.Payload:
        return this.emit(events);
      case Step.FrameLength: {
        const length = s.readUInt32BE(0);
        if (length > MAX_FRAME_DATA_BYTES) {
          return this.malformed(events, BinaryStatus.ProtocolError, `frame length ${length} exceeds what five items can hold`);
        }
        this.frameLeft = length;
        return this.nextItem(events);
      }
      case Step.ItemHeader:
        return this.itemHeader(s[0]!, s.readUInt16BE(1), events);
      case Step.ItemData:
        return this.itemData(events);
    }
  }

  private startFrame(command: number, events: FrameEvent[]): void {
    this.identifier = 0;
    this.expiration = undefined;
    this.priority = undefined;
    this.token = undefined;
    this.payload = undefined;
    this.seenItems = 0;
    this.problem = undefined;
    if (command === BinaryCommand.Simple) {
      this.command = 0;
      return this.expect(Step.SimpleHeader, 2);
    }
    if (command === BinaryCommand.Enhanced) {
      this.command = 1;
      return this.expect(Step.EnhancedHeader, 10);
    }
    if (command === BinaryCommand.Frame) {
      this.command = 2;
      return this.expect(Step.FrameLength, FRAME_HEADER_BYTES - 1);
    }
    this.knownCommand = false;
    this.malformed(events, BinaryStatus.ProtocolError, `unknown command ${command}`);
  }

  private tokenLength(length: number, events: FrameEvent[]): void {
    if (length === 0) return this.malformed(events, BinaryStatus.MissingDeviceToken, 'the device token is empty');
    if (length > this.maxTokenBytes) {
      return this.malformed(events, BinaryStatus.InvalidTokenSize, `the device token is ${length} bytes, the limit is ${this.maxTokenBytes}`);
    }
    this.token = Buffer.allocUnsafe(length);
    this.expect(Step.Token, length, this.token);
  }

  private nextItem(events: FrameEvent[]): void {
    if (this.frameLeft === 0) return this.endFrame(events);
    if (this.frameLeft < ITEM_HEADER_BYTES) {
      return this.malformed(events, BinaryStatus.ProtocolError, `${this.frameLeft} stray bytes at the end of the frame`);
    }
    this.frameLeft -= ITEM_HEADER_BYTES;
    this.expect(Step.ItemHeader, ITEM_HEADER_BYTES);
  }

  private itemHeader(id: number, length: number, events: FrameEvent[]): void {
    if (length > this.frameLeft) {
      return this.malformed(events, BinaryStatus.ProtocolError, `item ${id} of ${length} bytes runs past the end of the frame`);
    }
    this.frameLeft -= length;
    this.itemId = id;
    if (id >= FrameItem.DeviceToken && id <= FrameItem.Priority) {
      const bit = 1 << id;
      if ((this.seenItems & bit) !== 0) {
        this.note(BinaryStatus.ProtocolError, `item ${id} appears twice`);
        return this.skipOrNext(length, events);
      }
      this.seenItems |= bit;
    }
    switch (id) {
      case FrameItem.DeviceToken:
        if (length === 0) this.note(BinaryStatus.MissingDeviceToken, 'the device token is empty');
        else if (length > this.maxTokenBytes) this.note(BinaryStatus.InvalidTokenSize, `the device token is ${length} bytes, the limit is ${this.maxTokenBytes}`);
        else return this.expect(Step.ItemData, length, (this.token = Buffer.allocUnsafe(length)));
        break;
      case FrameItem.Payload:
        if (length === 0) this.note(BinaryStatus.MissingPayload, 'the payload is empty');
        else if (length > this.maxPayloadBytes) this.note(BinaryStatus.InvalidPayloadSize, `the payload is ${length} bytes, the limit is ${this.maxPayloadBytes}`);
        else return this.expect(Step.ItemData, length, (this.payload = Buffer.allocUnsafe(length)));
        break;
      case FrameItem.Identifier:
      case FrameItem.Expiration:
        if (length === 4) return this.expect(Step.ItemData, 4);
        this.note(BinaryStatus.ProtocolError, `item ${id} is ${length} bytes, expected 4`);
        break;
      case FrameItem.Priority:
        if (length === 1) return this.expect(Step.ItemData, 1);
        this.note(BinaryStatus.ProtocolError, `item 5 is ${length} bytes, expected 1`);
        break;
      default:
        this.note(BinaryStatus.ProtocolError, `unknown item ${id}`);
    }
    this.skipOrNext(length, events);
  }

  private skipOrNext(length: number, events: FrameEvent[]): void {
    if (length === 0) return this.nextItem(events);
    this.expect(Step.ItemData, length, null);
  }

  private itemData(events: FrameEvent[]): void {
    if (this.target === this.scratch) {
      if (this.itemId === FrameItem.Identifier) this.identifier = this.scratch.readUInt32BE(0);
      else if (this.itemId === FrameItem.Expiration) this.expiration = this.scratch.readUInt32BE(0);
      else {
        const priority = this.scratch[0]!;
        if (isFramePriority(priority)) this.priority = priority;
        else this.note(BinaryStatus.ProtocolError, `priority ${priority} is not 10, 5 or 1`);
      }
    }
    this.nextItem(events);
  }

  /** Remembers the first problem of a command-2 frame; it is reported when the frame ends, with the identifier. */
  private note(status: number, detail: string): void {
    this.problem ??= { status, detail };
  }

  private endFrame(events: FrameEvent[]): void {
    if (this.problem !== undefined) return this.malformed(events, this.problem.status, this.problem.detail);
    if (this.token === undefined) return this.malformed(events, BinaryStatus.MissingDeviceToken, 'the frame has no device token item');
    if (this.payload === undefined) return this.malformed(events, BinaryStatus.MissingPayload, 'the frame has no payload item');
    this.emit(events);
  }

  private emit(events: FrameEvent[]): void {
    const event: FrameEvent = {
      kind: 'notification',
      command: this.command,
      identifier: this.identifier,
      tokenHex: this.token!.toString('hex'),
      payload: this.payload!,
    };
    if (this.expiration !== undefined) event.expiration = this.expiration;
    if (this.priority !== undefined) event.priority = this.priority;
    events.push(event);
    this.token = undefined;
    this.payload = undefined;
    this.expect(Step.Command, 1);
  }

  private malformed(events: FrameEvent[], status: number, detail: string): void {
    this.done = true;
    this.token = undefined;
    this.payload = undefined;
    events.push({ kind: 'malformed', command: this.knownCommand ? this.command : undefined, status, identifier: this.identifier, detail });
  }
}

function u32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

/** Priorities a command-2 frame's item 5 may carry; any other byte is a protocol error. */
function isFramePriority(priority: number): boolean {
  return priority === 10 || priority === 5 || priority === 1;
}

import { ApnsValidationError } from '../errors/apns-validation.error.js';

/**
 * Encoders of the legacy binary interface (apns-protocol.md part 1): the three
 * notification commands, the error response and the feedback tuple. All
 * integers are big-endian. Meaning-level checks (payload size per push type,
 * token length per transport) belong to `prepareNotification` and
 * `parseDeviceToken`; these only refuse what the wire cannot carry.
 */

export const BinaryCommand = Object.freeze({
  Simple: 0,
  Enhanced: 1,
  Frame: 2,
  ErrorResponse: 8,
} as const);

/** Item ids of a command-2 frame. */
export const FrameItem = Object.freeze({
  DeviceToken: 1,
  Payload: 2,
  Identifier: 3,
  Expiration: 4,
  Priority: 5,
} as const);

/** Size of an error response packet. */
export const ERROR_RESPONSE_BYTES = 6;
/** Size of a feedback tuple without its token. */
export const FEEDBACK_TUPLE_HEADER_BYTES = 6;
/** Size of a command-2 header (command + frame length). */
export const FRAME_HEADER_BYTES = 5;
/** Size of a command-2 item header (id + length). */
export const ITEM_HEADER_BYTES = 3;

const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;

export interface NotificationFrameFields {
  /** Echoed in error responses (commands 1 and 2; ignored by command 0). */
  identifier: number;
  /** UNIX seconds; command 1 writes 0 when absent, command 2 leaves item 4 out. */
  expiration?: number;
  /** Command 2 only; item 5 is left out when absent (the gateway assumes 10). */
  priority?: number;
  tokenHex: string;
  payload: Uint8Array;
}

/** Bytes a notification takes on the wire. */
export function notificationFrameLength(
  command: 0 | 1 | 2,
  tokenBytes: number,
  payloadBytes: number,
  hasExpiration: boolean,
  hasPriority: boolean,
): number {
  if (command === 0) return 5 + tokenBytes + payloadBytes;
  if (command === 1) return 13 + tokenBytes + payloadBytes;
  return (
    FRAME_HEADER_BYTES +
    ITEM_HEADER_BYTES * 3 +
    tokenBytes +
    payloadBytes +
    4 +
    (hasExpiration ? ITEM_HEADER_BYTES + 4 : 0) +
    (hasPriority ? ITEM_HEADER_BYTES + 1 : 0)
  );
}

/** What to do about a number the wire cannot carry, per field. */
const UINT_FIXES: Readonly<Record<string, string>> = Object.freeze({
  identifier: 'Pass a whole number from 0 to 4294967295 (identifiers wrap at 2^32).',
  expiration: 'Pass whole UNIX seconds (not milliseconds) up to 4294967295, 0 for "do not store", or leave it out.',
  priority: 'Pass 10 (now) or 5 (when it saves power).',
  status: 'Pass a status byte from 0 to 255 (apns-protocol.md 1.5).',
  timestamp: 'Pass whole UNIX seconds (not milliseconds) up to 4294967295.',
});

function checkUint(field: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new ApnsValidationError(field, `${String(value)} is not a whole number from 0 to ${max}`, UINT_FIXES[field] ?? `Pass a whole number from 0 to ${max}.`);
  }
}

const TOKEN_FIX = 'Pass the device token as hex; parseDeviceToken checks and normalizes it.';

function checkToken(tokenHex: string): number {
  const bytes = tokenHex.length >>> 1;
  if (tokenHex.length === 0) throw new ApnsValidationError('token', 'the token is empty', TOKEN_FIX);
  if ((tokenHex.length & 1) === 1) throw new ApnsValidationError('token', `the token has an odd number of hex digits (${tokenHex.length})`, TOKEN_FIX);
  if (bytes > U16_MAX) throw new ApnsValidationError('token', `the token is ${bytes} bytes, more than a 2-byte length field holds (${U16_MAX})`, TOKEN_FIX);
  return bytes;
}

function checkPayload(payload: Uint8Array): void {
  if (payload.byteLength > U16_MAX) {
    throw new ApnsValidationError(
      'payload',
      `the payload is ${payload.byteLength} bytes, more than a 2-byte length field holds (${U16_MAX})`,
      'Keep it within the binary limit of 2048 bytes; prepareNotification checks it.',
    );
  }
}

/**
 * Writes one notification at `offset` and returns the offset after it. The
 * caller has checked every field and made room; the hex token is written
 * straight into the buffer. Throws (before moving on) if the token is not hex.
 */
export function writeNotificationFrame(
  buf: Buffer,
  offset: number,
  command: 0 | 1 | 2,
  identifier: number,
  expiration: number | undefined,
  priority: number | undefined,
  tokenHex: string,
  payload: Uint8Array,
): number {
  const tokenBytes = tokenHex.length >>> 1;
  const payloadBytes = payload.byteLength;
  let o = offset;
  buf[o++] = command;
  if (command === 2) {
    const frameLength = notificationFrameLength(2, tokenBytes, payloadBytes, expiration !== undefined, priority !== undefined) - FRAME_HEADER_BYTES;
    o = u32(buf, o, frameLength);
    buf[o++] = FrameItem.DeviceToken;
    o = u16(buf, o, tokenBytes);
    o = writeHex(buf, o, tokenHex, tokenBytes);
    buf[o++] = FrameItem.Payload;
    o = u16(buf, o, payloadBytes);
    buf.set(payload, o);
    o += payloadBytes;
    buf[o++] = FrameItem.Identifier;
    buf[o++] = 0;
    buf[o++] = 4;
    o = u32(buf, o, identifier);
    if (expiration !== undefined) {
      buf[o++] = FrameItem.Expiration;
      buf[o++] = 0;
      buf[o++] = 4;
      o = u32(buf, o, expiration);
    }
    if (priority !== undefined) {
      buf[o++] = FrameItem.Priority;
      buf[o++] = 0;
      buf[o++] = 1;
      buf[o++] = priority;
    }
    return o;
  }
  if (command === 1) {
    o = u32(buf, o, identifier);
    o = u32(buf, o, expiration ?? 0);
  }
  o = u16(buf, o, tokenBytes);
  o = writeHex(buf, o, tokenHex, tokenBytes);
  o = u16(buf, o, payloadBytes);
  buf.set(payload, o);
  return o + payloadBytes;
}

// Plain byte stores: Buffer#writeUInt32BE re-checks its arguments on every call,
// which is a measurable share of a 121-byte frame. Callers have checked the ranges.
function u32(buf: Buffer, o: number, v: number): number {
  buf[o] = v >>> 24;
  buf[o + 1] = v >>> 16;
  buf[o + 2] = v >>> 8;
  buf[o + 3] = v;
  return o + 4;
}

function u16(buf: Buffer, o: number, v: number): number {
  buf[o] = v >>> 8;
  buf[o + 1] = v;
  return o + 2;
}

/** Value of each hex digit by char code ('f' is 102); -1 for anything else. Never written after load. */
const HEX_VALUES: Int8Array = (() => {
  const table = new Int8Array(103).fill(-1);
  for (let i = 0; i < 10; i++) table[48 + i] = i;
  for (let i = 0; i < 6; i++) table[65 + i] = table[97 + i] = 10 + i;
  return table;
})();

/**
 * Decodes hex straight into the buffer. A JS loop beats `buf.write(hex, 'hex')`
 * for token-sized strings, whose native call costs more than the decoding.
 */
function writeHex(buf: Buffer, offset: number, hex: string, bytes: number): number {
  // One check after the loop instead of a branch per byte; on bad input the
  // caller has not moved its end offset yet, so the garbage written is never used.
  let bad = 0;
  for (let i = 0, j = 0; i < bytes; i++, j += 2) {
    const a = hex.charCodeAt(j);
    const b = hex.charCodeAt(j + 1);
    const hi = a < 103 ? HEX_VALUES[a]! : -1;
    const lo = b < 103 ? HEX_VALUES[b]! : -1;
    bad |= hi | lo;
    buf[offset + i] = (hi << 4) | lo;
  }
  if (bad < 0) throw new ApnsValidationError('token', 'the token has a character that is not a hex digit', TOKEN_FIX);
  return offset + bytes;
}

/**
 * One notification as command 0 (simple), 1 (enhanced) or 2 (frame format).
 * Command 2 writes items 1, 2, 3, then 4 and 5 when given.
 */
export function encodeNotificationFrame(command: 0 | 1 | 2, fields: NotificationFrameFields): Buffer {
  if (command !== 0 && command !== 1 && command !== 2) {
    throw new ApnsValidationError('command', `${String(command)} is not a notification command`, 'Use 0 (simple), 1 (enhanced) or 2 (frame format).');
  }
  const { identifier, expiration, tokenHex, payload } = fields;
  const priority = command === 2 ? fields.priority : undefined;
  checkUint('identifier', identifier, U32_MAX);
  if (expiration !== undefined) checkUint('expiration', expiration, U32_MAX);
  if (priority !== undefined) checkUint('priority', priority, 0xff);
  const tokenBytes = checkToken(tokenHex);
  checkPayload(payload);
  const buf = Buffer.allocUnsafe(notificationFrameLength(command, tokenBytes, payload.byteLength, expiration !== undefined, priority !== undefined));
  writeNotificationFrame(buf, 0, command, identifier, command === 0 ? undefined : expiration, priority, tokenHex, payload);
  return buf;
}

/** The 6-byte error response: command 8, status, identifier. */
export function encodeErrorResponse(status: number, identifier: number): Buffer {
  checkUint('status', status, 0xff);
  checkUint('identifier', identifier, U32_MAX);
  const buf = Buffer.allocUnsafe(ERROR_RESPONSE_BYTES);
  buf[0] = BinaryCommand.ErrorResponse;
  buf[1] = status;
  buf.writeUInt32BE(identifier, 2);
  return buf;
}

/** One feedback tuple: u32 time (UNIX seconds), u16 token length, token. */
export function encodeFeedbackTuple(timestampSeconds: number, tokenHex: string): Buffer {
  checkUint('timestamp', timestampSeconds, U32_MAX);
  const tokenBytes = checkToken(tokenHex);
  const buf = Buffer.allocUnsafe(FEEDBACK_TUPLE_HEADER_BYTES + tokenBytes);
  buf.writeUInt32BE(timestampSeconds, 0);
  buf.writeUInt16BE(tokenBytes, 4);
  writeHex(buf, FEEDBACK_TUPLE_HEADER_BYTES, tokenHex, tokenBytes);
  return buf;
}

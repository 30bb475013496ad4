import { ApnsValidationError } from '../errors/apns-validation.error.js';
import { redactToken } from '../errors/redact.js';

/**
 * Longest token the binary interface takes: the 2018 frame-format table allows
 * item 1 "up to 100 bytes" (it was exactly 32 before). Commands 0 and 1 carry a
 * u16 length but share the limit, since the gateway behind them is the same.
 */
export const BINARY_MAX_TOKEN_BYTES = 100;

/**
 * Longest token sent over HTTP/2. Apple says tokens are variable length without
 * a maximum; 80-byte tokens have been seen, so this leaves room while still
 * refusing garbage long before it reaches a request path.
 */
export const HTTP2_MAX_TOKEN_BYTES = 256;

/** Longest token per transport, in bytes. */
export const MAX_TOKEN_BYTES = Object.freeze({ binary: BINARY_MAX_TOKEN_BYTES, http2: HTTP2_MAX_TOKEN_BYTES });

const LOWER_HEX = /^[0-9a-f]+$/;
const FIX = 'Pass the device token as the app received it, as hex (e.g. from deviceToken.map { String(format: "%02x", $0) }).';

function fail(problem: string): never {
  throw new ApnsValidationError('token', problem, FIX);
}

/**
 * Validates a device token and returns it as lowercase hex.
 *
 * Accepts upper and lower case and the old `<85ab4a0c f2...>` description form
 * (angle brackets, spaces). Throws `ApnsValidationError` (field `token`) for a
 * non-string, an empty token, odd length, any other character, or more than
 * `maxBytes` bytes (default {@link HTTP2_MAX_TOKEN_BYTES}).
 */
export function parseDeviceToken(token: unknown, options?: { maxBytes?: number }): string {
  if (typeof token !== 'string') fail(`expected a hex string, got ${token === null ? 'null' : typeof token}`);
  const maxBytes = options?.maxBytes ?? HTTP2_MAX_TOKEN_BYTES;
  // The common case (already lowercase hex) skips every rewrite.
  let hex = token;
  if (!LOWER_HEX.test(hex)) {
    hex = hex.trim();
    if (hex.startsWith('<') && hex.endsWith('>')) hex = hex.slice(1, -1);
    hex = hex.replace(/ /g, '').toLowerCase();
    if (hex.length > 0 && !LOWER_HEX.test(hex)) {
      const at = hex.search(/[^0-9a-f]/);
      fail(`${redactToken(token)} has a character that is not a hex digit at position ${at}`);
    }
  }
  if (hex.length === 0) fail('the token is empty');
  if (hex.length % 2 !== 0) fail(`${redactToken(token)} has an odd number of hex digits (${hex.length})`);
  if (hex.length / 2 > maxBytes) fail(`${redactToken(token)} is ${hex.length / 2} bytes long, the limit is ${maxBytes} bytes`);
  return hex;
}

/** Hex (already validated by `parseDeviceToken`) to bytes. */
export function deviceTokenToBytes(hex: string): Buffer {
  return Buffer.from(hex, 'hex');
}

/** Bytes to lowercase hex. */
export function bytesToDeviceToken(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

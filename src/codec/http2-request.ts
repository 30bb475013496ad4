/**
 * The request side of the HTTP/2 provider API that does not depend on a
 * notification: the device path and the apns-id format.
 */

/** Path prefix of a push request; the hex device token follows it. */
export const DEVICE_PATH_PREFIX = '/3/device/';

const APNS_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HEX = /^[0-9a-fA-F]+$/;

/** `/3/device/<token>` for a token already validated as lowercase hex. */
export function devicePath(tokenHex: string): string {
  return DEVICE_PATH_PREFIX + tokenHex;
}

/** An apns-id as Apple wants it: a canonical UUID in lowercase (8-4-4-4-12 hex digits). */
export function isValidApnsId(id: string): boolean {
  return typeof id === 'string' && APNS_ID.test(id);
}

/**
 * The server side of `devicePath`, for the mock server: the token of a request
 * path, or the reason Apple answers a bad path with.
 */
export function parseDevicePath(
  path: string,
): { ok: true; tokenHex: string } | { ok: false; reason: 'BadPath' | 'MissingDeviceToken' | 'BadDeviceToken' } {
  if (typeof path !== 'string' || !path.startsWith(DEVICE_PATH_PREFIX)) return { ok: false, reason: 'BadPath' };
  const token = path.slice(DEVICE_PATH_PREFIX.length);
  if (token === '') return { ok: false, reason: 'MissingDeviceToken' };
  if (token.includes('/') || token.includes('?')) return { ok: false, reason: 'BadPath' };
  if (!HEX.test(token) || token.length % 2 !== 0) return { ok: false, reason: 'BadDeviceToken' };
  return { ok: true, tokenHex: token.toLowerCase() };
}

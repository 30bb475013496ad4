import { retryAfterMs } from './retry-after.js';
import { describeReason, isRetryableStatus, reasonForStatus } from './reasons.js';

export type Http2ResponseResult =
  | { ok: true; apnsId?: string; apnsUniqueId?: string }
  | {
      ok: false;
      status: number;
      /** Apple's reason, or a name for the status when the body gave none. */
      reason: string;
      retryable: boolean;
      /** 410 only: when Apple last confirmed the token was invalid. */
      timestamp?: Date;
      /** From `retry-after`: how long the server asks us to wait. */
      retryAfterMs?: number;
      apnsId?: string;
    };

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseBody(body: Uint8Array | string | undefined): Record<string, unknown> | undefined {
  if (body === undefined || body.length === 0) return undefined;
  try {
    const text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** 410 timestamps are milliseconds since the epoch (a number; tolerate a numeric string). */
function parseTimestamp(value: unknown): Date | undefined {
  const ms = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(ms)) return undefined;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * Turns an APNs response into a typed result. Never throws: an empty, non-JSON
 * or reason-less error body still yields a failure with a reason named after
 * the status. `now` (ms) resolves an HTTP-date `retry-after`.
 */
export function parseHttp2Response(status: number, headers: Headers, body: Uint8Array | string | undefined, now: number): Http2ResponseResult {
  const apnsId = header(headers, 'apns-id');
  if (status === 200) {
    const result: Http2ResponseResult = { ok: true };
    if (apnsId !== undefined) result.apnsId = apnsId;
    const uniqueId = header(headers, 'apns-unique-id');
    if (uniqueId !== undefined) result.apnsUniqueId = uniqueId;
    return result;
  }
  const json = parseBody(body);
  const reason = typeof json?.reason === 'string' && json.reason !== '' ? json.reason : reasonForStatus(status);
  const result: Http2ResponseResult = {
    ok: false,
    status,
    reason,
    retryable: describeReason(reason)?.retryable ?? isRetryableStatus(status),
  };
  if (status === 410) {
    const timestamp = parseTimestamp(json?.timestamp);
    if (timestamp !== undefined) result.timestamp = timestamp;
  }
  const retryAfter = retryAfterMs(header(headers, 'retry-after'), now);
  if (retryAfter !== undefined) result.retryAfterMs = retryAfter;
  if (apnsId !== undefined) result.apnsId = apnsId;
  return result;
}

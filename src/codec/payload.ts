import type { ApnsAlert, ApnsCriticalSound, ApnsNotification, ApnsPushType } from './apns-notification.js';
import { ApnsValidationError } from '../errors/apns-validation.error.js';

/** Largest payload in bytes: binary interface, HTTP/2, HTTP/2 VoIP pushes. */
export const PAYLOAD_LIMITS = Object.freeze({ binary: 2048, http2: 4096, voip: 5120 });

/** The payload limit that applies to a push type on a transport. */
export function payloadLimit(transport: 'http2' | 'binary', pushType: ApnsPushType): number {
  if (transport === 'binary') return PAYLOAD_LIMITS.binary;
  return pushType === 'voip' ? PAYLOAD_LIMITS.voip : PAYLOAD_LIMITS.http2;
}

const INTERRUPTION_LEVELS = new Set(['passive', 'active', 'time-sensitive', 'critical']);
const EVENTS = new Set(['start', 'update', 'end']);

/** The payload as it goes on the wire, and the `aps` dictionary it carries (for push-type defaults). */
export interface BuiltPayload {
  readonly bytes: Buffer;
  readonly aps: Readonly<Record<string, unknown>> | undefined;
}

function invalid(field: string, problem: string, fix: string): never {
  throw new ApnsValidationError(field, problem, fix);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function flag(value: boolean | 1 | undefined): 1 | undefined {
  return value === true || value === 1 ? 1 : undefined;
}

function put(target: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== undefined) target[key] = value;
}

function soundValue(sound: string | ApnsCriticalSound | undefined, field: string): unknown {
  if (sound === undefined || typeof sound === 'string') return sound;
  if (!isPlainObject(sound) || typeof sound.name !== 'string') {
    invalid(field, 'a sound dictionary needs a string name', 'Pass a file name, "default", or { critical: 1, name, volume }.');
  }
  if (sound.volume !== undefined && !(typeof sound.volume === 'number' && sound.volume >= 0 && sound.volume <= 1)) {
    invalid(`${field}.volume`, `${String(sound.volume)} is not between 0 and 1`, 'Use 0 (silent) to 1 (full volume).');
  }
  const out: Record<string, unknown> = {};
  if (sound.critical !== undefined) out.critical = sound.critical === true || sound.critical === 1 ? 1 : 0;
  out.name = sound.name;
  put(out, 'volume', sound.volume);
  return out;
}

function alertValue(alert: string | ApnsAlert | undefined): unknown {
  if (alert === undefined || typeof alert === 'string') return alert;
  if (!isPlainObject(alert as unknown)) invalid('alert', 'expected a string or an alert dictionary', 'Pass the body text or { title, body, ... }.');
  const out: Record<string, unknown> = {};
  put(out, 'title', alert.title);
  put(out, 'subtitle', alert.subtitle);
  put(out, 'body', alert.body);
  put(out, 'launch-image', alert.launchImage);
  put(out, 'title-loc-key', alert.titleLocKey);
  put(out, 'title-loc-args', alert.titleLocArgs);
  put(out, 'subtitle-loc-key', alert.subtitleLocKey);
  put(out, 'subtitle-loc-args', alert.subtitleLocArgs);
  put(out, 'loc-key', alert.locKey);
  put(out, 'loc-args', alert.locArgs);
  put(out, 'action-loc-key', alert.actionLocKey);
  put(out, 'action', alert.action);
  put(out, 'summary-arg', alert.summaryArg);
  put(out, 'summary-arg-count', alert.summaryArgCount);
  put(out, 'sound', soundValue(alert.sound, 'alert.sound'));
  return out;
}

/** The `aps` dictionary of a notification, keys in Apple's spelling. */
export function buildAps(n: ApnsNotification): Record<string, unknown> {
  if (n.badge !== undefined && !(Number.isInteger(n.badge) && n.badge >= 0)) {
    invalid('badge', `${String(n.badge)} is not a whole number of 0 or more`, 'Pass the count to show, or 0 to remove the badge.');
  }
  if (n.interruptionLevel !== undefined && !INTERRUPTION_LEVELS.has(n.interruptionLevel)) {
    invalid('interruptionLevel', `${JSON.stringify(n.interruptionLevel) ?? String(n.interruptionLevel)} is not an interruption level`, 'Use passive, active, time-sensitive or critical.');
  }
  if (n.relevanceScore !== undefined && !(typeof n.relevanceScore === 'number' && Number.isFinite(n.relevanceScore))) {
    invalid('relevanceScore', `${String(n.relevanceScore)} is not a finite number`, 'Use a number from 0 to 1.');
  }
  if (n.event !== undefined && !EVENTS.has(n.event)) {
    invalid('event', `${JSON.stringify(n.event) ?? String(n.event)} is not a Live Activity event`, 'Use start, update or end.');
  }
  const aps: Record<string, unknown> = {};
  put(aps, 'alert', alertValue(n.alert));
  put(aps, 'badge', n.badge);
  put(aps, 'sound', soundValue(n.sound, 'sound'));
  put(aps, 'thread-id', n.threadId);
  put(aps, 'category', n.category);
  put(aps, 'content-available', flag(n.contentAvailable));
  put(aps, 'mutable-content', flag(n.mutableContent));
  put(aps, 'target-content-id', n.targetContentId);
  put(aps, 'interruption-level', n.interruptionLevel);
  put(aps, 'relevance-score', n.relevanceScore);
  put(aps, 'filter-criteria', n.filterCriteria);
  put(aps, 'url-args', n.urlArgs);
  put(aps, 'event', n.event);
  put(aps, 'timestamp', n.timestamp);
  put(aps, 'content-state', n.contentState);
  put(aps, 'stale-date', n.staleDate);
  put(aps, 'dismissal-date', n.dismissalDate);
  put(aps, 'attributes-type', n.attributesType);
  put(aps, 'attributes', n.attributes);
  put(aps, 'input-push-token', flag(n.inputPushToken));
  put(aps, 'input-push-channel', n.inputPushChannel);
  return aps;
}

function stringify(value: unknown, field: string): string {
  try {
    const json = JSON.stringify(value);
    if (typeof json === 'string') return json;
  } catch (e) {
    invalid(field, `it cannot be written as JSON (${(e as Error).message})`, 'Use plain JSON values: no cycles, BigInt or functions.');
  }
  return invalid(field, 'it cannot be written as JSON', 'Use plain JSON values.');
}

function rawPayload(raw: NonNullable<ApnsNotification['payload']>): BuiltPayload {
  let text: string;
  let bytes: Buffer | undefined;
  if (typeof raw === 'string') text = raw;
  else if (raw instanceof Uint8Array) {
    bytes = Buffer.from(raw);
    text = bytes.toString('utf8');
  } else if (isPlainObject(raw)) {
    text = stringify(raw, 'payload');
    return { bytes: Buffer.from(text, 'utf8'), aps: isPlainObject(raw.aps) ? raw.aps : undefined };
  } else return invalid('payload', 'expected an object, a JSON string or bytes', 'Pass the payload as a JSON object.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    invalid('payload', 'it is not valid JSON', 'Pass a JSON object such as {"aps":{"alert":"Hi"}}.');
  }
  if (!isPlainObject(parsed)) invalid('payload', 'the JSON is not an object', 'Pass a JSON object such as {"aps":{"alert":"Hi"}}.');
  return { bytes: bytes ?? Buffer.from(text, 'utf8'), aps: isPlainObject(parsed.aps) ? parsed.aps : undefined };
}

/** Bytes a string takes inside a JSON string literal, as JSON.stringify escapes it. */
function escapedBytes(ch: string): number {
  const c = ch.codePointAt(0)!;
  if (c === 0x22 || c === 0x5c) return 2;
  if (c < 0x20) return c === 8 || c === 9 || c === 10 || c === 12 || c === 13 ? 2 : 6;
  if (c < 0x80) return 1;
  if (c < 0x800) return 2;
  if (c >= 0xd800 && c <= 0xdfff) return 6; // a lone surrogate, escaped as \udxxx
  return c < 0x10000 ? 3 : 4;
}

/** The longest prefix of `text`, cut between code points, whose escaped size is at most `budget` bytes. */
function truncateToBytes(text: string, budget: number): string {
  let used = 0;
  let end = 0;
  for (const ch of text) {
    used += escapedBytes(ch);
    if (used > budget) break;
    end += ch.length;
  }
  return text.slice(0, end);
}

function tooLarge(size: number, limit: number, extra = ''): never {
  return invalid(
    'payload',
    `the payload is ${size} bytes, the limit is ${limit} bytes${extra}`,
    'Shorten the alert or the custom data, or set truncateAlert to shorten the alert body.',
  );
}

/**
 * Builds the JSON payload of a notification and checks it against `limit`
 * bytes (UTF-8, as on the wire). Serializes once; with `truncateAlert` an
 * oversized payload is serialized a second time with a shorter alert body,
 * cut between code points so no UTF-8 sequence or surrogate pair is split.
 * A raw `payload` is passed through unchanged (it must be a JSON object).
 */
export function buildPayload(n: ApnsNotification, limit: number): BuiltPayload {
  if (n.payload !== undefined) {
    const built = rawPayload(n.payload);
    if (built.bytes.length > limit) tooLarge(built.bytes.length, limit);
    return built;
  }
  if (n.data !== undefined) {
    if (!isPlainObject(n.data)) invalid('data', 'expected an object of custom keys', 'Pass custom keys as an object; they go next to aps.');
    if (Object.prototype.hasOwnProperty.call(n.data, 'aps')) {
      invalid('data', 'it has an aps key, which would replace the aps dictionary', 'Rename the key, or use the notification fields for aps keys.');
    }
  }
  const aps = buildAps(n);
  const root: Record<string, unknown> = { aps, ...n.data };
  const json = stringify(root, n.data === undefined ? 'payload' : 'data');
  const size = Buffer.byteLength(json, 'utf8');
  if (size <= limit) return { bytes: Buffer.from(json, 'utf8'), aps };
  if (!n.truncateAlert) tooLarge(size, limit);

  const alert = aps.alert;
  const body = typeof alert === 'string' ? alert : isPlainObject(alert) && typeof alert.body === 'string' ? alert.body : undefined;
  if (body === undefined) tooLarge(size, limit, ' and there is no alert body text to shorten');
  let bodyBytes = 0;
  for (const ch of body) bodyBytes += escapedBytes(ch);
  const budget = bodyBytes - (size - limit);
  if (budget < 0) tooLarge(size, limit, `, still ${size - bodyBytes} bytes with an empty alert body`);
  const shorter = truncateToBytes(body, budget);
  aps.alert = typeof alert === 'string' ? shorter : { ...(alert as Record<string, unknown>), body: shorter };
  const truncated = JSON.stringify(root);
  return { bytes: Buffer.from(truncated, 'utf8'), aps };
}

import type { ApnsNotification, ApnsPriority, ApnsPushType } from './apns-notification.js';
import type { PreparedNotification } from '../transport/delivery.js';
import { ApnsValidationError } from '../errors/apns-validation.error.js';
import { isValidApnsId } from './http2-request.js';
import { buildPayload, payloadLimit } from './payload.js';

/** Longest apns-collapse-id, in UTF-8 bytes. */
export const MAX_COLLAPSE_ID_BYTES = 64;

/**
 * What `apns-topic` must end with per push type (Apple's "Sending notification
 * requests"). `alert`, `background` and `mdm` take the topic as given.
 */
export const TOPIC_SUFFIXES: Readonly<Partial<Record<ApnsPushType, string>>> = Object.freeze({
  complication: '.complication',
  controls: '.push-type.controls',
  fileprovider: '.pushkit.fileprovider',
  liveactivity: '.push-type.liveactivity',
  location: '.location-query',
  pushtotalk: '.voip-ptt',
  voip: '.voip',
  widgets: '.push-type.widgets',
});

const PUSH_TYPES: ReadonlySet<string> = new Set<ApnsPushType>([
  'alert',
  'background',
  'complication',
  'controls',
  'fileprovider',
  'liveactivity',
  'location',
  'mdm',
  'pushtotalk',
  'voip',
  'widgets',
]);

const U32_MAX = 0xffffffff;
/** Printable ASCII: anything else in a topic is a mistake and breaks the header. */
const TOPIC_CHARS = /^[\x21-\x7e]+$/;
const CONTROL_CHARS = /[\x00-\x1f\x7f]/;

export interface PrepareOptions {
  /** Which protocol the notification will go out on: sets the size limit and whether headers are built. */
  transport: 'http2' | 'binary';
  /** Topic used when the notification has none (usually the bundle id). */
  defaultTopic?: string;
  /** Current time in ms, for the expiration check. Default `Date.now()`. */
  now?: number;
}

function invalid(field: string, problem: string, fix: string): never {
  throw new ApnsValidationError(field, problem, fix);
}

/** A push that only wakes the app: content-available and nothing the user would see or hear. */
function isBackgroundOnly(aps: Readonly<Record<string, unknown>> | undefined): boolean {
  return aps !== undefined && aps['content-available'] === 1 && aps.alert === undefined && aps.badge === undefined && aps.sound === undefined;
}

/**
 * The priority, by the rules of apns-protocol.md: any push 10, 5 or 1 (§2.2);
 * `background` always 5 (§2.3); `liveactivity` 5 or 10 (§2.3, §2.9); the
 * binary interface knows 10 and 5 only, and there 10 needs something the user
 * sees or hears, so a push with only content-available takes 5 (§1.4). Push
 * types whose row only advises (alert, location, pushtotalk: "10 if …,
 * otherwise 5") take any priority.
 */
function resolvePriority(
  n: ApnsNotification,
  pushType: ApnsPushType,
  transport: 'http2' | 'binary',
  aps: Readonly<Record<string, unknown>> | undefined,
): ApnsPriority {
  const silentOnBinary = transport === 'binary' && isBackgroundOnly(aps);
  const priority = n.priority ?? (pushType === 'background' || silentOnBinary ? 5 : 10);
  if (priority !== 10 && priority !== 5 && priority !== 1) {
    invalid('priority', `${String(priority)} is not a priority`, 'Use 10 (now), 5 (when it saves power) or 1 (power first).');
  }
  if (pushType === 'background' && priority !== 5) {
    invalid('priority', `background pushes must have priority 5, not ${priority}`, 'Leave priority unset or use 5.');
  }
  if (pushType === 'liveactivity' && priority === 1) {
    invalid(
      'priority',
      'liveactivity pushes take priority 5 or 10, not 1',
      'Use 10 for an update the user must see at once (it counts against the hourly Live Activity budget), otherwise 5.',
    );
  }
  if (transport === 'binary' && priority === 1) {
    invalid('priority', 'the binary interface knows priorities 10 and 5 only', 'Use 10 or 5.');
  }
  if (silentOnBinary && priority === 10) {
    invalid(
      'priority',
      'on the binary interface priority 10 needs an alert, a sound or a badge, and this push has only content-available',
      'Leave priority unset or use 5 for a background push.',
    );
  }
  return priority;
}

function resolveExpiration(expiration: Date | number | undefined, now: number): number | undefined {
  if (expiration === undefined) return undefined;
  let seconds: number;
  if (expiration instanceof Date) {
    const ms = expiration.getTime();
    if (Number.isNaN(ms)) invalid('expiration', 'the date is invalid', 'Pass a valid Date or UNIX seconds.');
    seconds = Math.floor(ms / 1000);
  } else if (typeof expiration === 'number' && Number.isInteger(expiration)) {
    seconds = expiration;
  } else {
    return invalid('expiration', `${String(expiration)} is not a Date or whole UNIX seconds`, 'Pass a Date, UNIX seconds, or 0 for "deliver once, do not store".');
  }
  if (seconds === 0) return 0;
  if (seconds < 0 || seconds > U32_MAX) {
    invalid('expiration', `${seconds} is outside UNIX seconds from 1970 to 2106`, 'Pass UNIX seconds (not milliseconds), or 0.');
  }
  if (seconds < Math.floor(now / 1000)) {
    invalid('expiration', `${new Date(seconds * 1000).toISOString()} is in the past`, 'Pass a future time, or 0 to deliver once without storing.');
  }
  return seconds;
}

function resolveTopic(n: ApnsNotification, pushType: ApnsPushType, defaultTopic: string | undefined): string {
  const topic = n.topic ?? defaultTopic;
  if (topic === undefined || topic === '') {
    invalid('topic', 'no topic was given and the client has no default topic', "Set the notification's topic or the client's topic option to the app's bundle id.");
  }
  if (typeof topic !== 'string' || !TOPIC_CHARS.test(topic)) {
    invalid('topic', `${JSON.stringify(topic)} is not a bundle id`, 'Use the bundle id, e.g. com.example.app (printable ASCII, no spaces).');
  }
  const suffix = TOPIC_SUFFIXES[pushType];
  return suffix === undefined || topic.endsWith(suffix) ? topic : topic + suffix;
}

/**
 * A collapse id as an HTTP/2 header value. Node writes header strings as
 * latin1, so the UTF-8 bytes are carried one per latin1 character: the wire
 * then holds exactly the caller's UTF-8.
 */
function resolveCollapseId(collapseId: string | undefined): string | undefined {
  if (collapseId === undefined) return undefined;
  if (typeof collapseId !== 'string' || collapseId === '') invalid('collapseId', 'it is empty or not a string', 'Pass a short non-empty string, or leave it unset.');
  const bytes = Buffer.from(collapseId, 'utf8');
  if (bytes.length > MAX_COLLAPSE_ID_BYTES) {
    invalid('collapseId', `it is ${bytes.length} bytes, the limit is ${MAX_COLLAPSE_ID_BYTES} bytes`, 'Use a shorter collapse id (UTF-8 bytes count, not characters).');
  }
  if (CONTROL_CHARS.test(collapseId)) {
    invalid('collapseId', 'it contains a control character', 'Remove line breaks, tabs and other control characters: a header value cannot carry them.');
  }
  return bytes.toString('latin1');
}

/**
 * Validates a notification and serializes it once for every device it goes
 * to: the payload bytes, the resolved push type, priority and expiration and,
 * for HTTP/2, the request headers (apns-id excepted: it is per delivery).
 * Throws `ApnsValidationError` naming the field and the fix.
 */
export function prepareNotification(notification: ApnsNotification, options: PrepareOptions): PreparedNotification {
  if (typeof notification !== 'object' || notification === null) {
    invalid('notification', 'expected an object', 'Pass a notification such as { alert: "Hello" }.');
  }
  const transport = options.transport;
  if (notification.pushType !== undefined && !PUSH_TYPES.has(notification.pushType)) {
    invalid('pushType', `${String(notification.pushType)} is not an apns-push-type`, `Use one of ${[...PUSH_TYPES].join(', ')}.`);
  }
  if (notification.id !== undefined && !isValidApnsId(notification.id)) {
    invalid('id', 'it is not a lowercase canonical UUID', 'Use crypto.randomUUID(), or leave it unset.');
  }
  const expiration = resolveExpiration(notification.expiration, options.now ?? Date.now());
  const collapseId = resolveCollapseId(notification.collapseId);

  // The default push type (alert or background) depends on the aps dictionary; both share one size limit.
  const built = buildPayload(notification, payloadLimit(transport, notification.pushType ?? 'alert'));
  const pushType: ApnsPushType = notification.pushType ?? (isBackgroundOnly(built.aps) ? 'background' : 'alert');
  const priority = resolvePriority(notification, pushType, transport, built.aps);

  let headers: Record<string, string> = {};
  if (transport === 'http2') {
    headers = {
      'apns-push-type': pushType,
      'apns-topic': resolveTopic(notification, pushType, options.defaultTopic),
      'apns-priority': String(priority),
    };
    if (expiration !== undefined) headers['apns-expiration'] = String(expiration);
    if (collapseId !== undefined) headers['apns-collapse-id'] = collapseId;
  }
  return Object.freeze({
    notification,
    payload: built.bytes,
    pushType,
    priority,
    expiration,
    headers: Object.freeze(headers),
  });
}

/**
 * What Apple's answers mean and what to do about them: every HTTP/2 `reason`
 * string of the provider API, and every status code of the binary error
 * response. One table each, so transports, errors and docs agree.
 */

/** One HTTP/2 reason string. */
export interface ApnsReasonInfo {
  /** Apple's reason string, e.g. `BadDeviceToken`. */
  readonly reason: string;
  /** The HTTP status Apple sends it with. */
  readonly status: number;
  /** Whether sending the same request again may succeed without the caller changing anything. */
  readonly retryable: boolean;
  /** What the user should do, in one sentence. */
  readonly advice: string;
}

function r(status: number, reason: string, retryable: boolean, advice: string): ApnsReasonInfo {
  return Object.freeze({ reason, status, retryable, advice });
}

/** Every reason of the provider API (Apple's "Handling notification responses"), by name. */
export const APNS_REASONS: Readonly<Record<string, ApnsReasonInfo>> = Object.freeze(
  Object.fromEntries(
    [
      r(400, 'BadCollapseId', false, 'Keep apns-collapse-id at most 64 bytes.'),
      r(400, 'BadDeviceToken', false, 'Check the token and that it belongs to this environment (sandbox or production); do not resend.'),
      r(400, 'BadExpirationDate', false, 'Send apns-expiration as UNIX seconds, or 0.'),
      r(400, 'BadMessageId', false, 'Send apns-id as a lowercase canonical UUID.'),
      r(400, 'BadPriority', false, 'Use apns-priority 10, 5 or 1 (5 for background pushes).'),
      r(400, 'BadTopic', false, 'Set the topic to the bundle id, with the suffix the push type needs.'),
      r(400, 'DeviceTokenNotForTopic', false, 'The token belongs to another app: check the topic; do not resend.'),
      r(400, 'DuplicateHeaders', false, 'Send each apns-* header once.'),
      r(400, 'IdleTimeout', true, 'The connection sat idle too long; send again on a fresh connection.'),
      r(400, 'InvalidPushType', false, 'Use one of the documented apns-push-type values.'),
      r(400, 'MissingDeviceToken', false, 'Send the device token in the request path.'),
      r(400, 'MissingTopic', false, 'Set the topic (the bundle id); it is required with token auth and multi-topic certificates.'),
      r(400, 'PayloadEmpty', false, 'Send a non-empty JSON payload.'),
      r(400, 'TopicDisallowed', false, 'Pushing to this topic is not allowed for these credentials.'),
      r(403, 'BadCertificate', false, 'The client certificate is invalid: renew or replace it.'),
      r(403, 'BadCertificateEnvironment', false, 'The certificate is for the other environment: switch certificate or endpoint.'),
      r(403, 'ExpiredProviderToken', true, 'The provider token is over an hour old: sign a new one and resend.'),
      r(403, 'Forbidden', false, 'The action is not allowed for these credentials; do not resend.'),
      r(403, 'InvalidProviderToken', false, 'Check the key id, team id and .p8 key: the provider token does not verify.'),
      r(403, 'MissingProviderToken', false, 'Configure a provider token (.p8 key) or a client certificate.'),
      r(403, 'UnrelatedKeyIdInToken', false, 'The key id does not match the key first used on this connection: use one key per connection.'),
      r(403, 'BadEnvironmentKeyIdInToken', false, 'The key is scoped to the other environment: use a key for this one.'),
      r(404, 'BadPath', false, 'The request path must be /3/device/<hex token>.'),
      r(405, 'MethodNotAllowed', false, 'Send notifications with POST.'),
      r(410, 'ExpiredToken', false, 'The device token has expired: stop sending to it.'),
      r(410, 'Unregistered', false, 'The app is gone from the device: stop sending unless it registers again after the timestamp.'),
      r(413, 'PayloadTooLarge', false, 'Shrink the payload below the limit (4096 bytes, 5120 for VoIP).'),
      r(429, 'TooManyProviderTokenUpdates', true, 'Renew the provider token at most once every 20 minutes.'),
      r(429, 'TooManyRequests', true, 'Too many pushes to this device in a row: send again later.'),
      r(500, 'InternalServerError', true, 'APNs failed internally: send again later.'),
      r(503, 'ServiceUnavailable', true, 'APNs is unavailable: send again later.'),
      r(503, 'Shutdown', true, 'The APNs server is shutting down: send again on a new connection.'),
    ].map((info) => [info.reason, info]),
  ),
);

/** The table entry for a reason string; undefined for reasons Apple does not document. */
export function describeReason(reason: string): ApnsReasonInfo | undefined {
  return Object.prototype.hasOwnProperty.call(APNS_REASONS, reason) ? APNS_REASONS[reason] : undefined;
}

const STATUS_FALLBACK: Readonly<Record<number, string>> = Object.freeze({
  400: 'BadRequest',
  403: 'Forbidden',
  404: 'BadPath',
  405: 'MethodNotAllowed',
  410: 'Unregistered',
  413: 'PayloadTooLarge',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  503: 'ServiceUnavailable',
});

/**
 * A reason name for a status whose body gave none (empty or garbage body), so
 * every failure still carries a readable reason.
 */
export function reasonForStatus(status: number): string {
  return STATUS_FALLBACK[status] ?? `HTTP${status}`;
}

/** Whether a failure with this status may be retried when its reason is unknown. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/** Status codes of the binary error response (command 8). */
export const BinaryStatus = Object.freeze({
  NoErrorsEncountered: 0,
  ProcessingError: 1,
  MissingDeviceToken: 2,
  MissingTopic: 3,
  MissingPayload: 4,
  InvalidTokenSize: 5,
  InvalidTopicSize: 6,
  InvalidPayloadSize: 7,
  InvalidToken: 8,
  Shutdown: 10,
  ProtocolError: 128,
  Unknown: 255,
} as const);

export interface BinaryStatusInfo {
  readonly code: number;
  /** `InvalidToken`, `Shutdown`, ...; `Unknown(<code>)` for codes Apple never defined. */
  readonly name: string;
  readonly retryable: boolean;
  readonly advice: string;
}

function s(code: number, name: string, retryable: boolean, advice: string): BinaryStatusInfo {
  return Object.freeze({ code, name, retryable, advice });
}

const BINARY_STATUSES: ReadonlyMap<number, BinaryStatusInfo> = new Map(
  [
    s(0, 'NoErrorsEncountered', false, 'Apple reported no error.'),
    s(1, 'ProcessingError', true, 'APNs failed to process it: send again on a new connection.'),
    s(2, 'MissingDeviceToken', false, 'Send a device token.'),
    s(3, 'MissingTopic', false, 'Send a topic.'),
    s(4, 'MissingPayload', false, 'Send a non-empty payload.'),
    s(5, 'InvalidTokenSize', false, 'Check the device token length.'),
    s(6, 'InvalidTopicSize', false, 'Check the topic length.'),
    s(7, 'InvalidPayloadSize', false, 'Shrink the payload below 2048 bytes.'),
    s(8, 'InvalidToken', false, 'Check the token and that it belongs to this environment (sandbox or production); do not resend.'),
    s(10, 'Shutdown', true, 'The gateway is shutting down: send again on a new connection.'),
    s(128, 'ProtocolError', false, 'APNs could not parse the frame: this is a bug in the sender.'),
    s(255, 'Unknown', true, 'APNs gave no reason: send again on a new connection.'),
  ].map((info) => [info.code, info]),
);

/** Name, retryability and advice for a binary status byte. Never throws. */
export function describeBinaryStatus(code: number): BinaryStatusInfo {
  return BINARY_STATUSES.get(code) ?? s(code, `Unknown(${code})`, false, 'APNs sent a status code it never documented.');
}

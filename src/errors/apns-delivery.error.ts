import type { ApnsNotification } from '../codec/apns-notification.js';
import { redactToken } from './redact.js';

/** Where a failure was decided. */
export type ApnsFailureSource = 'http2' | 'binary' | 'local';

export interface ApnsDeliveryErrorInit {
  /** The device token exactly as the caller passed it (even when malformed). */
  token: string;
  notification: ApnsNotification;
  /**
   * Apple's reason string (`BadDeviceToken`, `Unregistered`, ...), the name of a
   * binary status code (`InvalidToken` for 8), or a local reason
   * (`MalformedDeviceToken`, `Shutdown`, `ConnectionError`, `RequestTimeout`).
   */
  reason: string;
  /** HTTP status (HTTP/2) or the status byte of a binary error response; absent for local failures. */
  status?: number;
  source: ApnsFailureSource;
  /** Whether Apple says this kind of failure may be retried. */
  retryable: boolean;
  /** How many times the notification was sent to this device (0 when refused before writing). */
  attempts: number;
  /** For 410: when Apple last confirmed the token was no longer valid. */
  timestamp?: Date;
  /** The apns-id of the request, when the protocol has one. */
  apnsId?: string;
  /** What the caller can do about it (from the reason table). */
  advice?: string;
  /** The underlying error (connection failures). Never carries credentials. */
  cause?: unknown;
}

/**
 * A notification that will not be delivered to one device. Emitted exactly once
 * per (notification, token) on `errors$`, and listed in the send report.
 */
export class ApnsDeliveryError extends Error {
  override readonly name = 'ApnsDeliveryError';
  readonly token: string;
  readonly notification: ApnsNotification;
  readonly reason: string;
  readonly status?: number;
  readonly source: ApnsFailureSource;
  readonly retryable: boolean;
  readonly attempts: number;
  readonly timestamp?: Date;
  readonly apnsId?: string;

  constructor(init: ApnsDeliveryErrorInit) {
    const status = init.status === undefined ? '' : ` (${init.source === 'binary' ? 'status ' : ''}${init.status})`;
    const tries = init.attempts > 1 ? ` after ${init.attempts} attempts` : '';
    const advice = init.advice ? ` ${init.advice}` : '';
    super(
      `Notification to device ${redactToken(init.token)} failed${tries}: ${init.reason}${status}.${advice}`,
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.token = init.token;
    this.notification = init.notification;
    this.reason = init.reason;
    this.status = init.status;
    this.source = init.source;
    this.retryable = init.retryable;
    this.attempts = init.attempts;
    this.timestamp = init.timestamp;
    this.apnsId = init.apnsId;
  }
}

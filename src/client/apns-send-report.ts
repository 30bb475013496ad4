import type { ApnsNotification } from '../codec/apns-notification.js';
import type { ApnsDeliveryError } from '../errors/apns-delivery.error.js';

/** One personalised message of `sendMany`. */
export interface ApnsMessage {
  /** Device token, hex, as the app received it. */
  token: string;
  notification: ApnsNotification;
}

/** Per-call options of `send` and `sendMany`. */
export interface ApnsSendOptions {
  /**
   * Which outcomes the report lists one by one: `'all'`, or `'failed'` to
   * leave accepted deliveries out of `results` (counted, not listed) so that a
   * send to millions of devices keeps its memory flat. Failures are always
   * listed. Default `'all'`.
   */
  results?: 'all' | 'failed';
}

/** A delivery Apple accepted (HTTP/2: answered 200; binary: written, since Apple only reports failures). */
export interface ApnsAcceptedResult {
  readonly status: 'accepted';
  /** The token exactly as passed in. */
  readonly token: string;
  /** Position of the token (or message) in the input, from 0. */
  readonly index: number;
  /** HTTP/2 only: the request's apns-id. */
  readonly apnsId?: string;
  /** HTTP/2 sandbox only: Apple's apns-unique-id, for the Push Notifications Console. */
  readonly apnsUniqueId?: string;
}

/** A delivery that will not happen; the same error is emitted on `errors$`. */
export interface ApnsFailedResult {
  readonly status: 'failed';
  readonly token: string;
  readonly index: number;
  readonly error: ApnsDeliveryError;
}

export type ApnsDeliveryResult = ApnsAcceptedResult | ApnsFailedResult;

/**
 * What became of one `send` or `sendMany`. `accepted + failed === sent`.
 */
export interface ApnsSendReport {
  /** Deliveries taken from the input: one per token (`send`) or message (`sendMany`). */
  readonly sent: number;
  readonly accepted: number;
  readonly failed: number;
  /**
   * Outcome per delivery, in the order the outcomes arrived (use `index` for
   * input order). Accepted ones are left out when `results: 'failed'`.
   */
  readonly results: ApnsDeliveryResult[];
  /**
   * True when `close()` stopped the send before the input was read to its end.
   * The library pulls its input lazily and does not read the rest at shutdown,
   * so the tokens (or messages) not read yet were not sent, are not counted,
   * and appear neither in `results` nor on `errors$`: `resumeFrom` says where
   * they start. Everything read is accounted for (a delivery cut off by the
   * drain timeout fails with reason `Shutdown`).
   */
  readonly interrupted: boolean;
  /**
   * Set when `interrupted`: the input position (from 0) of the first token or
   * message that was not sent, equal to `sent`. To finish the job after a
   * restart, send the input from this position on, plus the deliveries of
   * `results` that failed with reason `Shutdown`. Undefined when the input was
   * read to its end.
   */
  readonly resumeFrom?: number;
  /** Time from the call to the last outcome, ms. */
  readonly durationMs: number;
}

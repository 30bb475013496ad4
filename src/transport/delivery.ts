import type { ApnsNotification, ApnsPriority, ApnsPushType } from '../codec/apns-notification.js';
import type { ApnsDeliveryError } from '../errors/apns-delivery.error.js';

/**
 * A notification validated and serialized once (codec `prepareNotification`),
 * shared by every device it goes to.
 */
export interface PreparedNotification {
  readonly notification: ApnsNotification;
  /** The UTF-8 JSON payload, exactly the bytes that go on the wire. */
  readonly payload: Buffer;
  readonly pushType: ApnsPushType;
  readonly priority: ApnsPriority;
  /** UNIX seconds; 0 = do not store; undefined = not set (Apple's default storage). */
  readonly expiration: number | undefined;
  /**
   * HTTP/2 request headers other than the pseudo-headers and `authorization`
   * (apns-push-type, apns-topic, apns-priority, apns-expiration, apns-collapse-id).
   * apns-id is per delivery and not in here.
   */
  readonly headers: Readonly<Record<string, string>>;
}

/** Outcome details of an accepted delivery. */
export interface AcceptedInfo {
  apnsId?: string;
  apnsUniqueId?: string;
}

/**
 * Where a delivery's end is reported. The client implements it; transports call
 * it. `failed` is final and called at most once per delivery; on the binary
 * transport `accepted` means "written" and a later `failed` may still follow.
 */
export interface DeliverySink {
  accepted(delivery: Delivery, info: AcceptedInfo): void;
  failed(delivery: Delivery, error: ApnsDeliveryError): void;
}

/** One notification to one device, as it moves through the pool. */
export interface Delivery {
  /** The token exactly as the caller passed it. */
  readonly token: string;
  /** The token as lowercase hex, validated. */
  readonly tokenHex: string;
  readonly message: PreparedNotification;
  readonly sink: DeliverySink;
  /** How many times it has been written to a connection. */
  attempts: number;
  /** HTTP/2: the apns-id, fixed on the first attempt and reused on retries. */
  apnsId?: string;
  /** Free for the transport that carries it (identifier, timers, ...). */
  transportState?: unknown;
}

/** `{ token, timestamp }`: a device Apple says the app should stop sending to. */
export interface ApnsFeedback {
  /** Lowercase hex device token. */
  readonly token: string;
  /** When Apple found the app gone (feedback service) or last confirmed the token invalid (410). */
  readonly timestamp: Date;
}

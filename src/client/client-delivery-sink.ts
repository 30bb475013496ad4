import type { Subject } from 'rxjs';
import type { ApnsDeliveryError } from '../errors/apns-delivery.error.js';
import type { ApnsLogger } from '../transport/apns-logger.js';
import type { AcceptedInfo, Delivery, DeliverySink } from '../transport/delivery.js';
import { redactToken } from '../errors/redact.js';
import type { SendBatch } from './send-batch.js';
import { ACCEPTED, FAILED, PENDING, type ClientDelivery } from './client-delivery.js';

/**
 * The one sink every delivery of a client reports to. `errors$` is fed from
 * here and nowhere else, and a delivery's outcome is recorded on the delivery
 * itself, so "each failure exactly once" holds whatever a transport does.
 */
export class ClientDeliverySink implements DeliverySink {
  constructor(
    private readonly errors: Subject<ApnsDeliveryError>,
    private readonly logger: ApnsLogger,
  ) {}

  accepted(delivery: Delivery, info: AcceptedInfo): void {
    const d = delivery as ClientDelivery;
    if (d.outcome !== PENDING) return;
    d.outcome = ACCEPTED;
    d.batch.onAccepted(d, info);
  }

  failed(delivery: Delivery, error: ApnsDeliveryError): void {
    const d = delivery as ClientDelivery;
    if (d.outcome === FAILED) {
      this.logger.debug?.(`Second failure of one delivery to ${redactToken(d.token)} ignored (${error.reason}).`);
      return;
    }
    const wasAccepted = d.outcome === ACCEPTED;
    d.outcome = FAILED;
    d.batch.onFailed(d, error, wasAccepted);
    this.errors.next(error);
  }

  /** A delivery refused before it reached a transport (malformed token, invalid notification). */
  failedLocally(batch: SendBatch, token: string, index: number, error: ApnsDeliveryError): void {
    batch.onFailedLocally(token, index, error);
    this.errors.next(error);
  }
}

import type { Delivery, DeliverySink, PreparedNotification } from '../transport/delivery.js';
import type { SendBatch } from './send-batch.js';

/** Outcome of a delivery as the client has seen it so far. */
export type DeliveryOutcome = 0 | 1 | 2;
export const PENDING = 0;
export const ACCEPTED = 1;
export const FAILED = 2;

/**
 * One notification to one device: the only object the client allocates per
 * token. Every field is set in the constructor so that all deliveries share one
 * shape and the transports' property reads stay monomorphic.
 */
export class ClientDelivery implements Delivery {
  attempts = 0;
  transportState: unknown = undefined;
  outcome: DeliveryOutcome = PENDING;
  /** Where this delivery's entry sits in `batch.results`, -1 while it has none. */
  resultIndex = -1;

  constructor(
    readonly token: string,
    readonly tokenHex: string,
    readonly message: PreparedNotification,
    readonly sink: DeliverySink,
    readonly batch: SendBatch,
    /** Position in the caller's input. */
    readonly index: number,
    public apnsId: string | undefined,
  ) {}
}

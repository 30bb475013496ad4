import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ApnsService, type ApnsDeliveryError, type ApnsFeedback } from 'nest-apns';
import { DeviceRegistry } from '../devices/device-registry.service.js';

/** Reasons that say the token will never work again, whatever its registration time. */
const TOKEN_REFUSED = new Set(['BadDeviceToken', 'InvalidToken']);
/** Reasons that say the app is gone from the device since a timestamp. */
const TOKEN_GONE = new Set(['Unregistered', 'ExpiredToken']);

/**
 * Acts on what Apple answers: logs every failed delivery with its reason and
 * drops the tokens Apple says are gone, so the app stops sending to them
 * (Apple treats repeated pushes to dead tokens as abuse).
 *
 * The subscriptions are never ended by hand: `ApnsService` drains in
 * `onApplicationShutdown`, after every `onModuleDestroy`, and the `Shutdown`
 * failures and binary rejections of the drain must still be heard. Both
 * streams complete when the client closes, which ends the subscriptions.
 */
@Injectable()
export class ApnsEventsListener implements OnModuleInit {
  private readonly logger = new Logger('ApnsEvents');

  constructor(
    private readonly apns: ApnsService,
    private readonly registry: DeviceRegistry,
  ) {}

  onModuleInit(): void {
    this.apns.errors$.subscribe((error) => this.onError(error));
    this.apns.feedback$.subscribe((entry) => this.onFeedback(entry));
  }

  private onError(error: ApnsDeliveryError): void {
    // error.message names the device by a shortened token, the reason and the advice.
    this.logger.warn(error.message);
    if (TOKEN_REFUSED.has(error.reason)) this.registry.drop(error.token, `APNs refused it (${error.reason})`);
    else if (TOKEN_GONE.has(error.reason)) this.registry.dropUnlessRenewed(error.token, error.timestamp, `APNs says it is gone (${error.reason})`);
  }

  private onFeedback(entry: ApnsFeedback): void {
    this.registry.dropUnlessRenewed(entry.token, entry.timestamp, 'APNs feedback: the app is gone from the device');
  }
}

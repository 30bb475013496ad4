import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Subscription } from 'rxjs';
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
 */
@Injectable()
export class ApnsEventsListener implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ApnsEvents');
  private readonly subscriptions: Subscription[] = [];

  constructor(
    private readonly apns: ApnsService,
    private readonly registry: DeviceRegistry,
  ) {}

  onModuleInit(): void {
    this.subscriptions.push(
      this.apns.errors$.subscribe((error) => this.onError(error)),
      this.apns.feedback$.subscribe((entry) => this.onFeedback(entry)),
    );
  }

  onModuleDestroy(): void {
    for (const s of this.subscriptions) s.unsubscribe();
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

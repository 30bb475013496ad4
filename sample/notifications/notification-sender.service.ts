import { BadRequestException, Injectable } from '@nestjs/common';
import { ApnsService, ApnsValidationError, type ApnsDeliveryResult } from 'nest-apns';
import { DeviceRegistry } from '../devices/device-registry.service.js';
import type { NotificationRequest } from './notification-request.js';

/** One token's outcome, as the API answers it. */
export interface DeliveryOutcome {
  token: string;
  outcome: 'accepted' | 'failed';
  /** HTTP/2: the apns-id Apple (or the mock) answered with. */
  apnsId?: string;
  /** Failed: Apple's reason (`Unregistered`, `BadDeviceToken`, ...) or the binary status name. */
  reason?: string;
  /** Failed: HTTP status (HTTP/2) or status byte (binary). */
  status?: number;
  /** Failed: what happened and what to do, in words. */
  message?: string;
}

/** Answer of `POST /notifications`. */
export interface NotificationReport {
  /** On `binary`, "accepted" means written: Apple reports only failures, and they may arrive later on errors$. */
  transport: 'http2' | 'binary';
  sent: number;
  accepted: number;
  failed: number;
  /** One per token, in the order the tokens were given. */
  results: DeliveryOutcome[];
}

/** Sends one notification to the requested (or every registered) device and reports per token. */
@Injectable()
export class NotificationSender {
  constructor(
    private readonly apns: ApnsService,
    private readonly registry: DeviceRegistry,
  ) {}

  async send(request: NotificationRequest): Promise<NotificationReport> {
    const tokens = request.tokens ?? this.registry.tokens();
    if (tokens.length === 0) {
      throw new BadRequestException('No devices are registered: POST /devices {"token":"<hex>"} first, or pass "tokens".');
    }
    let report;
    try {
      report = await this.apns.send(request.notification, tokens);
    } catch (error) {
      // The notification itself is wrong (too large, ...): the caller's mistake, not a server fault.
      if (error instanceof ApnsValidationError) throw new BadRequestException(error.message);
      throw error;
    }
    const results = [...report.results].sort((a, b) => a.index - b.index).map(toOutcome);
    return { transport: this.apns.transport, sent: report.sent, accepted: report.accepted, failed: report.failed, results };
  }
}

function toOutcome(result: ApnsDeliveryResult): DeliveryOutcome {
  if (result.status === 'accepted') {
    return { token: result.token, outcome: 'accepted', ...(result.apnsId === undefined ? {} : { apnsId: result.apnsId }) };
  }
  const { reason, status, message } = result.error;
  return { token: result.token, outcome: 'failed', reason, ...(status === undefined ? {} : { status }), message };
}

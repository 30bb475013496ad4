import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { ApnsNotification } from './codec/apns-notification.js';
import type { ApnsClient, ApnsMessageSource, ApnsTokenSource } from './client/apns-client.js';
import type { ApnsSendOptions, ApnsSendReport } from './client/apns-send-report.js';
import type { ApnsDeliveryError } from './errors/apns-delivery.error.js';
import type { ApnsFeedback } from './transport/delivery.js';
import { APNS_CLIENT } from './apns.constants.js';

/**
 * What a Nest app injects to send pushes. A thin layer over `ApnsClient`
 * whose lifecycle follows the app: on shutdown it stops reading the inputs of
 * running sends, drains what they took (the `drainTimeoutMs` option), fails
 * what is left of that with `Shutdown`, closes the connections and completes
 * `errors$` and `feedback$`.
 *
 * The drain runs in `onApplicationShutdown`, after every `onModuleDestroy`:
 * keep `errors$` subscriptions until the stream completes (do not unsubscribe
 * in `onModuleDestroy`), or the `Shutdown` failures go unseen.
 */
@Injectable()
export class ApnsService implements OnApplicationShutdown {
  /** Every delivery that will not happen, exactly once, from every send. */
  readonly errors$: Observable<ApnsDeliveryError>;
  /** Tokens to stop sending to: feedback-service entries and HTTP/2 410 `Unregistered`. */
  readonly feedback$: Observable<ApnsFeedback>;

  constructor(@Inject(APNS_CLIENT) private readonly client: ApnsClient) {
    this.errors$ = client.errors$;
    this.feedback$ = client.feedback$;
  }

  /** The transport in use, from the options. */
  get transport(): 'http2' | 'binary' {
    return this.client.transportKind;
  }

  /** One notification to one or many devices. See `ApnsClient.send`. */
  send(notification: ApnsNotification, tokens: ApnsTokenSource, options?: ApnsSendOptions): Promise<ApnsSendReport> {
    return this.client.send(notification, tokens, options);
  }

  /**
   * Personalised `{ token, notification }` messages. A notification object
   * shared by consecutive messages is serialized once, when the first of them
   * is read: mutating it in between does not change what is sent. See
   * `ApnsClient.sendMany`.
   */
  sendMany(messages: ApnsMessageSource, options?: ApnsSendOptions): Promise<ApnsSendReport> {
    return this.client.sendMany(messages, options);
  }

  /** Runs the feedback task now; resolves to the entries found (also emitted on `feedback$`). */
  pollFeedback(): Promise<ApnsFeedback[]> {
    return this.client.pollFeedback();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}

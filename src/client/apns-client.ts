import { Subject, type Observable } from 'rxjs';
import type { ApnsNotification } from '../codec/apns-notification.js';
import { MAX_TOKEN_BYTES, parseDeviceToken } from '../codec/device-token.js';
import { prepareNotification } from '../codec/prepare-notification.js';
import { ApnsDeliveryError } from '../errors/apns-delivery.error.js';
import { ApnsValidationError } from '../errors/apns-validation.error.js';
import type { ApnsLogger } from '../transport/apns-logger.js';
import type { ApnsTransport } from '../transport/apns-transport.js';
import type { ApnsFeedback, PreparedNotification } from '../transport/delivery.js';
import type { ApnsClientOptions } from './apns-client-options.js';
import { ApnsClientClosedError } from './apns-client-closed.error.js';
import type { ApnsMessage, ApnsSendOptions, ApnsSendReport } from './apns-send-report.js';
import { ClientDelivery } from './client-delivery.js';
import { ClientDeliverySink } from './client-delivery-sink.js';
import { createTransport, type ApnsTransportFactory } from './create-transport.js';
import { resolveClientOptions, type ResolvedClientOptions } from './resolve-client-options.js';
import { SendBatch } from './send-batch.js';

/** Device tokens for `send`: one, an array, or any sync or async iterable (a database cursor). */
export type ApnsTokenSource = string | Iterable<string> | AsyncIterable<string>;

/** Messages for `sendMany`: an array, or any sync or async iterable. */
export type ApnsMessageSource = Iterable<ApnsMessage> | AsyncIterable<ApnsMessage>;

/** Second constructor argument: seams for tests and for the Nest module. */
export interface ApnsClientDependencies {
  /** Builds the transport. Default: the HTTP/2 or binary transport named by the options. */
  transportFactory?: ApnsTransportFactory;
  /** Options already checked by `resolveClientOptions` (the Nest module validates them with its own). */
  resolved?: ResolvedClientOptions;
}

/** Remembers the last notification of `sendMany`, so a run of messages sharing one is serialized once. */
interface PreparedCache {
  notification: ApnsNotification | undefined;
  prepared: PreparedNotification | undefined;
}

/**
 * Sends Apple Push Notifications over HTTP/2 or the legacy binary protocol,
 * without Nest. `new ApnsClient(options)` validates the options (one
 * `ApnsOptionsError` naming every wrong field); connections open lazily on the
 * first send.
 *
 * - `send` / `sendMany` resolve to a report and never reject for a device's
 *   failure; every failed delivery is also emitted once on `errors$`.
 * - `feedback$` carries the tokens Apple says are gone (feedback service, 410).
 * - `close()` stops reading the inputs of running sends, drains what they
 *   took, fails what is left of that with `Shutdown`, closes the connections
 *   and completes both observables; it is safe to call twice. Input not read
 *   yet is not sent: the report says where it starts (`resumeFrom`).
 */
export class ApnsClient {
  /** Every delivery that will not happen, exactly once, from every send, whichever transport. */
  readonly errors$: Observable<ApnsDeliveryError>;
  /** Tokens to stop sending to: feedback-service entries and HTTP/2 410 `Unregistered`. */
  readonly feedback$: Observable<ApnsFeedback>;
  /** The transport in use. */
  readonly transportKind: 'http2' | 'binary';

  private readonly errors = new Subject<ApnsDeliveryError>();
  private readonly feedback = new Subject<ApnsFeedback>();
  private readonly resolved: ResolvedClientOptions;
  private readonly transport: ApnsTransport;
  private readonly sink: ClientDeliverySink;
  private readonly logger: ApnsLogger;
  private readonly now: () => number;
  private readonly tokenLimits: { maxBytes: number };
  private readonly openBatches = new Set<SendBatch>();
  private readonly releaseBatch = (batch: SendBatch): void => {
    this.openBatches.delete(batch);
  };
  /** Set synchronously by `close()`: send loops stop reading their input at the next token. */
  private closeStarted = false;
  private closing: Promise<void> | undefined;

  constructor(options: ApnsClientOptions, dependencies: ApnsClientDependencies = {}) {
    this.resolved = dependencies.resolved ?? resolveClientOptions(options);
    this.transportKind = this.resolved.transport;
    this.logger = this.resolved.config.logger;
    this.now = this.resolved.config.now;
    this.tokenLimits = { maxBytes: MAX_TOKEN_BYTES[this.transportKind] };
    this.sink = new ClientDeliverySink(this.errors, this.logger);
    this.errors$ = this.errors.asObservable();
    this.feedback$ = this.feedback.asObservable();
    const factory = dependencies.transportFactory ?? createTransport;
    this.transport = factory(this.transportKind, this.resolved.config, {
      onFeedback: (entry) => this.feedback.next(entry),
    });
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.closeStarted;
  }

  /**
   * Sends one notification to one or many devices. The payload is validated
   * and serialized once for all of them. Tokens are read from the source only
   * as fast as the transport takes them, so none waits in memory; the report
   * lists one result per token unless `{ results: 'failed' }` leaves the
   * accepted ones out, which keeps memory flat for any number.
   *
   * Rejects only when the notification itself is invalid (`ApnsValidationError`:
   * payload too large, bad header), when `tokens` is neither a token, an array
   * nor an iterable (`ApnsValidationError` naming `tokens`), when the client is
   * closed, or when an iterable source throws (after the deliveries already
   * taken have settled). A malformed token fails that delivery alone (reason
   * `MalformedDeviceToken`). A `close()` during the send stops reading the
   * source: the tokens not read are not sent, and the report has
   * `interrupted` and `resumeFrom`.
   */
  send(notification: ApnsNotification, tokens: ApnsTokenSource, options?: ApnsSendOptions): Promise<ApnsSendReport> {
    if (this.closeStarted) return Promise.reject(new ApnsClientClosedError('send'));
    let prepared: PreparedNotification;
    try {
      prepared = this.prepare(notification);
    } catch (error) {
      return Promise.reject(error);
    }
    const batch = this.openBatch(options);
    if (typeof tokens === 'string') {
      // A single delivery is queued even when the queue reports itself full.
      this.offerToken(batch, prepared, tokens, 0, notification.id);
      batch.finishSource(false);
    } else if (Array.isArray(tokens)) {
      void this.pumpArray(batch, prepared, tokens, tokens.length === 1 ? notification.id : undefined);
    } else if (isIterable(tokens)) {
      void this.pumpIterable(batch, prepared, tokens);
    } else if (isAsyncIterable(tokens)) {
      void this.pumpAsyncIterable(batch, prepared, tokens);
    } else {
      batch.finishSource(false);
      return Promise.reject(
        new ApnsValidationError('tokens', `expected a token, an array or an iterable of tokens, got ${typeof tokens}`, 'Pass hex device tokens.'),
      );
    }
    return batch.done;
  }

  /**
   * Sends personalised messages, each `{ token, notification }`, pulled from the
   * source only as fast as the transport takes them. Consecutive messages that
   * share one notification object share one serialization, made when the first
   * of them is read: mutating the object between such messages does not change
   * what the later ones send (give each different message its own object). A
   * notification's `id`, read per message, becomes the apns-id of each message
   * that carries it.
   *
   * An invalid notification fails that message alone, on the report and on
   * `errors$`, with reason `InvalidNotification` (the validation error is its
   * `cause`); the rest of the batch goes on. Rejects only when the client is
   * closed or the source throws.
   */
  sendMany(messages: ApnsMessageSource, options?: ApnsSendOptions): Promise<ApnsSendReport> {
    if (this.closeStarted) return Promise.reject(new ApnsClientClosedError('sendMany'));
    const batch = this.openBatch(options);
    const cache: PreparedCache = { notification: undefined, prepared: undefined };
    if (Array.isArray(messages)) void this.pumpMessageArray(batch, messages, cache);
    else if (isIterable(messages)) void this.pumpMessageIterable(batch, messages, cache);
    else if (isAsyncIterable(messages)) void this.pumpMessageAsyncIterable(batch, messages, cache);
    else {
      batch.finishSource(false);
      return Promise.reject(
        new ApnsValidationError('messages', `expected an array or an iterable, got ${typeof messages}`, 'Pass { token, notification } items.'),
      );
    }
    return batch.done;
  }

  /**
   * Reads the feedback service now (binary transport) and resolves to its
   * entries, which are also emitted on `feedback$`. HTTP/2 has no feedback
   * service (410s arrive in-band on `feedback$`): resolves to [].
   */
  async pollFeedback(): Promise<ApnsFeedback[]> {
    if (this.closeStarted) throw new ApnsClientClosedError('pollFeedback');
    const entries = await this.transport.pollFeedback();
    for (const entry of entries) this.feedback.next(entry);
    return entries;
  }

  /**
   * Stops reading the inputs of running sends, lets queued and in-flight
   * deliveries finish for up to `drainTimeoutMs` (default: the option, 5 s),
   * fails what is left with reason `Shutdown` (on `errors$` and the reports),
   * closes the connections and completes `errors$` and `feedback$`.
   * Input a send had not read is not read now (a cursor is not drained at
   * shutdown): it is not sent and not reported one by one; the send's report
   * has `interrupted: true` and `resumeFrom`, where it starts. The reports of
   * sends still open resolve once the close has ended, with every failure of
   * the drain in them.
   * Idempotent: later calls return the first call's promise.
   */
  close(drainTimeoutMs: number = this.resolved.drainTimeoutMs): Promise<void> {
    if (this.closing === undefined) {
      this.closeStarted = true;
      this.closing = this.shutdown(drainTimeoutMs);
    }
    return this.closing;
  }

  private async shutdown(drainTimeoutMs: number): Promise<void> {
    for (const batch of this.openBatches) batch.holdForClose();
    try {
      await this.transport.close(drainTimeoutMs);
    } catch (error) {
      this.logger.error(`APNs transport failed to close cleanly: ${error instanceof Error ? error.message : String(error)}`);
    }
    for (const batch of [...this.openBatches]) {
      const left = batch.settleAfterClose();
      if (left > 0) this.logger.error(`APNs transport closed with ${left} deliveries unreported; their send() resolved as interrupted.`);
    }
    this.errors.complete();
    this.feedback.complete();
  }

  private prepare(notification: ApnsNotification): PreparedNotification {
    if (notification === null || typeof notification !== 'object') {
      throw new ApnsValidationError('notification', `expected an object, got ${notification === null ? 'null' : typeof notification}`, 'Pass a notification such as { alert: "Hello" }.');
    }
    return prepareNotification(notification, {
      transport: this.transportKind,
      defaultTopic: this.resolved.topic,
      now: this.now(),
    });
  }

  private openBatch(options: ApnsSendOptions | undefined): SendBatch {
    const batch = new SendBatch(options?.results !== 'failed', this.now(), this.now, this.releaseBatch);
    this.openBatches.add(batch);
    return batch;
  }

  /**
   * The per-token hot path: validate the token, make one delivery, hand it
   * over. No promise and no closure per token. Returns false when the caller
   * must await `whenWritable()`.
   */
  private offerToken(
    batch: SendBatch,
    prepared: PreparedNotification,
    token: string,
    index: number,
    apnsId: string | undefined,
  ): boolean {
    let hex: string;
    try {
      hex = parseDeviceToken(token, this.tokenLimits);
    } catch (error) {
      this.failLocally(batch, prepared.notification, token, index, 'MalformedDeviceToken', error);
      return true;
    }
    batch.add();
    return this.transport.offer(new ClientDelivery(token, hex, prepared, this.sink, batch, index, apnsId));
  }

  private offerMessage(batch: SendBatch, message: ApnsMessage, index: number, cache: PreparedCache): boolean {
    const notification = message !== null && typeof message === 'object' ? message.notification : undefined;
    const token = message !== null && typeof message === 'object' ? message.token : (message as unknown as string);
    let prepared: PreparedNotification;
    if (notification !== undefined && notification === cache.notification) {
      prepared = cache.prepared!;
    } else {
      try {
        prepared = this.prepare(notification as ApnsNotification);
      } catch (error) {
        this.failLocally(batch, notification ?? {}, token, index, 'InvalidNotification', error);
        return true;
      }
      cache.notification = notification;
      cache.prepared = prepared;
    }
    return this.offerToken(batch, prepared, token, index, notification!.id);
  }

  private failLocally(
    batch: SendBatch,
    notification: ApnsNotification,
    token: unknown,
    index: number,
    reason: 'MalformedDeviceToken' | 'InvalidNotification',
    cause: unknown,
  ): void {
    const tokenText = typeof token === 'string' ? token : String(token);
    const error = new ApnsDeliveryError({
      token: tokenText,
      notification,
      reason,
      source: 'local',
      retryable: false,
      attempts: 0,
      advice: cause instanceof Error ? cause.message : undefined,
      cause,
    });
    this.sink.failedLocally(batch, tokenText, index, error);
  }

  private async pumpArray(
    batch: SendBatch,
    prepared: PreparedNotification,
    tokens: readonly string[],
    apnsId: string | undefined,
  ): Promise<void> {
    try {
      for (let i = 0; i < tokens.length; i++) {
        if (this.closeStarted) return batch.finishSource(true);
        if (!this.offerToken(batch, prepared, tokens[i]!, i, apnsId)) await this.transport.whenWritable();
      }
      batch.finishSource(false);
    } catch (error) {
      batch.finishSource(false, { error });
    }
  }

  private async pumpIterable(batch: SendBatch, prepared: PreparedNotification, tokens: Iterable<string>): Promise<void> {
    let i = 0;
    try {
      for (const token of tokens) {
        if (this.closeStarted) return batch.finishSource(true);
        if (!this.offerToken(batch, prepared, token, i++, undefined)) await this.transport.whenWritable();
      }
      batch.finishSource(false);
    } catch (error) {
      batch.finishSource(false, { error });
    }
  }

  private async pumpAsyncIterable(batch: SendBatch, prepared: PreparedNotification, tokens: AsyncIterable<string>): Promise<void> {
    let i = 0;
    try {
      for await (const token of tokens) {
        if (this.closeStarted) return batch.finishSource(true);
        if (!this.offerToken(batch, prepared, token, i++, undefined)) await this.transport.whenWritable();
      }
      // The source ended by itself: read to its end, even if close() started while its last next() ran.
      batch.finishSource(false);
    } catch (error) {
      batch.finishSource(false, { error });
    }
  }

  private async pumpMessageArray(batch: SendBatch, messages: readonly ApnsMessage[], cache: PreparedCache): Promise<void> {
    try {
      for (let i = 0; i < messages.length; i++) {
        if (this.closeStarted) return batch.finishSource(true);
        if (!this.offerMessage(batch, messages[i]!, i, cache)) await this.transport.whenWritable();
      }
      batch.finishSource(false);
    } catch (error) {
      batch.finishSource(false, { error });
    }
  }

  private async pumpMessageIterable(batch: SendBatch, messages: Iterable<ApnsMessage>, cache: PreparedCache): Promise<void> {
    let i = 0;
    try {
      for (const message of messages) {
        if (this.closeStarted) return batch.finishSource(true);
        if (!this.offerMessage(batch, message, i++, cache)) await this.transport.whenWritable();
      }
      batch.finishSource(false);
    } catch (error) {
      batch.finishSource(false, { error });
    }
  }

  private async pumpMessageAsyncIterable(batch: SendBatch, messages: AsyncIterable<ApnsMessage>, cache: PreparedCache): Promise<void> {
    let i = 0;
    try {
      for await (const message of messages) {
        if (this.closeStarted) return batch.finishSource(true);
        if (!this.offerMessage(batch, message, i++, cache)) await this.transport.whenWritable();
      }
      batch.finishSource(false);
    } catch (error) {
      batch.finishSource(false, { error });
    }
  }
}

function isIterable(value: unknown): value is Iterable<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function';
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    value !== null && typeof value === 'object' && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
  );
}

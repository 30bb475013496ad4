// Test-only helpers for the HTTP/2 transport specs (not part of the public API).
import { createPrivateKey } from 'node:crypto';
import type { ApnsNotification } from '../../codec/apns-notification.js';
import { prepareNotification } from '../../codec/prepare-notification.js';
import type { ApnsDeliveryError } from '../../errors/apns-delivery.error.js';
import { createSeededRandom } from '../../testing/seeded-random.js';
import { testCredentials } from '../../testing/test-credentials.js';
import type { ApnsLogger } from '../apns-logger.js';
import type { ApnsTransport } from '../apns-transport.js';
import type { AcceptedInfo, ApnsFeedback, Delivery, DeliverySink, PreparedNotification } from '../delivery.js';
import type { RetryConfig, TransportConfig } from '../transport-config.js';

export type AuthMode = 'token' | 'certificate' | 'pfx';

/** Fields of the test config to replace; `retry` is merged field by field. */
export type Http2ConfigOverrides = Partial<Omit<TransportConfig, 'retry'>> & { retry?: Partial<RetryConfig> };

export interface Http2TestConfigOptions {
  auth?: AuthMode;
  overrides?: Http2ConfigOverrides;
  /** Collects warn/error lines instead of printing them. */
  logLines?: string[];
}

/** A TransportConfig aimed at the mock's HTTP/2 port on 127.0.0.1, with small timeouts and a seeded random. */
export function http2TestConfig(port: number, options: Http2TestConfigOptions = {}): TransportConfig {
  const auth = options.auth ?? 'token';
  const { retry, ...overrides } = options.overrides ?? {};
  const lines = options.logLines;
  const logger: ApnsLogger = {
    log: () => undefined,
    warn: (m) => lines?.push(`warn: ${m}`),
    error: (m) => lines?.push(`error: ${m}`),
  };
  const tls: TransportConfig['tls'] = { ca: [testCredentials.ca], rejectUnauthorized: true };
  if (auth === 'certificate') {
    tls.cert = testCredentials.clientCert;
    tls.key = testCredentials.clientKeyEncrypted;
    tls.passphrase = testCredentials.clientKeyPassphrase;
  } else if (auth === 'pfx') {
    tls.pfx = testCredentials.clientPfx;
    tls.passphrase = testCredentials.clientPfxPassphrase;
  }
  return {
    endpoint: { host: '127.0.0.1', port },
    feedbackEndpoint: { host: '127.0.0.1', port: 1 },
    tls,
    token:
      auth === 'token'
        ? { key: createPrivateKey(testCredentials.signingKey), keyId: testCredentials.keyId, teamId: testCredentials.teamId, refreshAfterMs: 50 * 60_000 }
        : undefined,
    maxConnections: 2,
    queueSize: 2000,
    connectTimeoutMs: 5000,
    idleTimeoutMs: 0,
    requestTimeoutMs: 5000,
    pingIntervalMs: 60_000,
    retry: { attempts: 4, baseDelayMs: 10, maxDelayMs: 50, maxRetryAfterMs: 60_000, unprocessedResends: 8, ...retry },
    reconnect: { baseDelayMs: 20, maxDelayMs: 100, giveUpAfterMs: 2000 },
    binary: { format: 'frame', sentBufferSize: 1000, uncertainWindow: 'resend', uncertainWindowMs: 1000, uncertainWindowBytes: 0, closeLingerMs: 1000, feedbackIdleTimeoutMs: 1000 },
    logger,
    random: createSeededRandom(7),
    now: () => Date.now(),
    ...overrides,
  };
}

/**
 * A seeded random that draws from [0.5, 1): every backoff is then at least half
 * its ceiling, so a test can assert that a resend came no sooner than that.
 */
export function upperHalfRandom(seed: number): () => number {
  const random = createSeededRandom(seed);
  return () => 0.5 + random() / 2;
}

/** Token number i as a 32-byte hex device token (deterministic, distinct). */
export function tokenFor(i: number): string {
  return i.toString(16).padStart(8, '0').repeat(8);
}

/** Records what a transport reports: accepted, failed (with doubles caught), feedback. */
export class RecordingSink implements DeliverySink {
  readonly acceptedBy = new Map<string, AcceptedInfo>();
  readonly failedBy = new Map<string, ApnsDeliveryError>();
  readonly feedback: ApnsFeedback[] = [];
  /** Tokens settled more than once (must stay empty). */
  readonly doubles: string[] = [];
  private waiters: Array<{ n: number; resolve: () => void }> = [];

  get settled(): number {
    return this.acceptedBy.size + this.failedBy.size;
  }

  accepted(d: Delivery, info: AcceptedInfo): void {
    if (this.acceptedBy.has(d.token) || this.failedBy.has(d.token)) this.doubles.push(d.token);
    this.acceptedBy.set(d.token, info);
    this.check();
  }

  failed(d: Delivery, error: ApnsDeliveryError): void {
    if (this.acceptedBy.has(d.token) || this.failedBy.has(d.token)) this.doubles.push(d.token);
    this.failedBy.set(d.token, error);
    this.check();
  }

  readonly hooks = { onFeedback: (entry: ApnsFeedback): void => void this.feedback.push(entry) };

  /** Resolves once `n` deliveries have settled (accepted or failed). */
  waitSettled(n: number, timeoutMs = 20_000): Promise<void> {
    if (this.settled >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${this.settled} of ${n} deliveries settled`)), timeoutMs);
      this.waiters.push({
        n,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  private check(): void {
    if (this.waiters.length === 0) return;
    const settled = this.settled;
    this.waiters = this.waiters.filter((w) => {
      if (settled < w.n) return true;
      w.resolve();
      return false;
    });
  }
}

/** A notification validated and serialized once, as the client does, for every device it goes to. */
export function prepared(notification: ApnsNotification = { alert: 'Hello 👋' }): PreparedNotification {
  return prepareNotification(notification, { transport: 'http2', defaultTopic: 'com.example.app' });
}

/** One delivery of `message` to `token`. */
export function makeDelivery(token: string, sink: DeliverySink, message: PreparedNotification = prepared()): Delivery {
  return { token, tokenHex: token, message, sink, attempts: 0 };
}

/** Offers every delivery, waiting whenever the transport's queue says it is full (as the client does). */
export async function offerAll(transport: ApnsTransport, deliveries: Iterable<Delivery>): Promise<void> {
  for (const d of deliveries) {
    if (!transport.offer(d)) await transport.whenWritable();
  }
}

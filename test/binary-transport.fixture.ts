// Test-only helpers for the binary transport e2e specs: a TransportConfig aimed
// at the mock, deliveries built with the codec, and a sink that records outcomes.
import { CLIENT_DEFAULTS } from '../src/client/resolve-client-options.js';
import type { ApnsNotification } from '../src/codec/apns-notification.js';
import { prepareNotification } from '../src/codec/prepare-notification.js';
import type { ApnsDeliveryError } from '../src/errors/apns-delivery.error.js';
import type { MockApnsServer } from '../src/testing/index.js';
import { testCredentials } from '../src/testing/index.js';
import { createSeededRandom } from '../src/testing/seeded-random.js';
import type { ApnsLogger } from '../src/transport/apns-logger.js';
import type { AcceptedInfo, Delivery, DeliverySink, PreparedNotification } from '../src/transport/delivery.js';
import type { TransportConfig } from '../src/transport/transport-config.js';

export type ConfigOverrides = Partial<Omit<TransportConfig, 'binary' | 'tls' | 'reconnect' | 'retry'>> & {
  binary?: Partial<TransportConfig['binary']>;
  tls?: Partial<TransportConfig['tls']>;
  reconnect?: Partial<TransportConfig['reconnect']>;
  retry?: Partial<TransportConfig['retry']>;
};

/** A logger that keeps what it was told, so tests can assert on it and stay quiet. */
export class RecordingLogger implements ApnsLogger {
  readonly lines: string[] = [];
  log(m: string): void {
    this.lines.push(`log ${m}`);
  }
  warn(m: string): void {
    this.lines.push(`warn ${m}`);
  }
  error(m: string): void {
    this.lines.push(`error ${m}`);
  }
  debug(m: string): void {
    this.lines.push(`debug ${m}`);
  }
}

function port(address: string): number {
  return Number(address.slice(address.lastIndexOf(':') + 1));
}

export function binaryConfig(mock: MockApnsServer, overrides: ConfigOverrides = {}): TransportConfig {
  const { binary, tls, reconnect, retry, ...rest } = overrides;
  return {
    endpoint: { host: '127.0.0.1', port: port(mock.gateway) },
    feedbackEndpoint: { host: '127.0.0.1', port: port(mock.feedbackGateway) },
    tls: {
      cert: testCredentials.clientCert,
      key: testCredentials.clientKey,
      ca: [testCredentials.ca],
      rejectUnauthorized: true,
      ...tls,
    },
    maxConnections: 4,
    queueSize: 10_000,
    connectTimeoutMs: 5_000,
    idleTimeoutMs: 0,
    requestTimeoutMs: 5_000,
    pingIntervalMs: 60_000,
    retry: { attempts: 4, baseDelayMs: 10, maxDelayMs: 100, maxRetryAfterMs: 60_000, unprocessedResends: 8, ...retry },
    reconnect: { baseDelayMs: 20, maxDelayMs: 200, giveUpAfterMs: 5_000, ...reconnect },
    // The library's defaults, so the transport specs test what users get.
    binary: {
      format: 'frame',
      sentBufferSize: CLIENT_DEFAULTS.binary.sentBufferSize,
      uncertainWindow: 'resend',
      uncertainWindowMs: CLIENT_DEFAULTS.binary.uncertainWindowMs,
      uncertainWindowBytes: CLIENT_DEFAULTS.binary.uncertainWindowBytes,
      closeLingerMs: 2_000,
      feedbackIdleTimeoutMs: 2_000,
      ...binary,
    },
    logger: new RecordingLogger(),
    random: createSeededRandom(7),
    now: Date.now,
    ...rest,
  };
}

/** Records every sink call, per delivery. */
export class RecordingSink implements DeliverySink {
  readonly acceptedTimes = new Map<Delivery, number>();
  readonly failures = new Map<Delivery, ApnsDeliveryError[]>();
  acceptedCalls = 0;

  accepted(d: Delivery, _info: AcceptedInfo): void {
    this.acceptedCalls++;
    this.acceptedTimes.set(d, (this.acceptedTimes.get(d) ?? 0) + 1);
  }

  failed(d: Delivery, error: ApnsDeliveryError): void {
    const list = this.failures.get(d) ?? [];
    list.push(error);
    this.failures.set(d, list);
  }

  get failedCount(): number {
    return this.failures.size;
  }
}

/** A 32-byte hex token that differs per index (and per seed). */
export function tokenFor(i: number, seed = 0): string {
  const head = ((i * 2654435761 + seed) >>> 0).toString(16).padStart(8, '0');
  return head + (i >>> 0).toString(16).padStart(8, '0') + 'a'.repeat(48);
}

export function prepare(n: ApnsNotification): PreparedNotification {
  return prepareNotification(n, { transport: 'binary', defaultTopic: 'com.example.app' });
}

export function delivery(token: string, message: PreparedNotification, sink: DeliverySink): Delivery {
  return { token, tokenHex: token, message, sink, attempts: 0 };
}

/** Offers every delivery, waiting whenever the transport says its queue is full. */
export async function offerAll(transport: { offer(d: Delivery): boolean; whenWritable(): Promise<void> }, deliveries: Delivery[]): Promise<void> {
  for (const d of deliveries) {
    if (!transport.offer(d)) await transport.whenWritable();
  }
}

/** Polls `predicate` every 10 ms (for state the mock does not see); rejects after `timeoutMs`. */
export async function waitUntil(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

import type { KeyObject } from 'node:crypto';
import { parseDeviceToken } from '../codec/device-token.js';
import { MockBinaryGateway } from './mock-binary-gateway.js';
import { BinaryStatus } from '../codec/reasons.js';
import { BINARY_STATUS_FOR_REASON, MockDeviceBook } from './mock-device-book.js';
import { MockFaults } from './mock-faults.js';
import { MockFeedbackService } from './mock-feedback-service.js';
import { MockHttp2Api } from './mock-http2-api.js';
import type { MockApnsServerOptions } from './mock-apns-server.options.js';
import { MockRecordBook } from './mock-record-book.js';
import type { MockAcceptedNotification, MockBinaryConnectionEnd, MockCounters, MockDroppedSession, MockRejection } from './mock-records.js';
import type { MockServerContext } from './mock-server-context.js';
import { ProviderTokenVerifier } from './provider-token-verifier.js';
import { createSeededRandom } from './seeded-random.js';
import { testCredentials } from './test-credentials.js';

const DEFAULT_WAIT_MS = 10_000;

function checkPort(name: string, port: number | undefined): number {
  const value = port ?? 0;
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new RangeError(`${name} must be a port number (0 = ephemeral), got ${port}`);
  return value;
}

/** Lowercase hex of a token given to a scripting method; throws for anything that is not a hex token. */
function tokenKey(token: string): string {
  return parseDeviceToken(token, { maxBytes: 0xffff });
}

/**
 * A mock APNs over real TLS on 127.0.0.1: the legacy binary gateway, the
 * feedback service and the HTTP/2 provider API, each on its own port, with
 * per-token answers, scripted faults and records of what it received.
 *
 * ```ts
 * const mock = await MockApnsServer.start();
 * // point a client at mock.http2Gateway, trusting testCredentials.ca
 * await mock.waitForAccepted(1);
 * expect(mock.accepted[0].json).toEqual({ aps: { alert: 'Hi' } });
 * await mock.stop();
 * ```
 */
export class MockApnsServer {
  /** Scripted faults; see {@link MockFaults}. */
  readonly faults: MockFaults;
  readonly host: string;
  private readonly records: MockRecordBook;
  private readonly devices = new MockDeviceBook();
  private readonly verifier = new ProviderTokenVerifier();
  private stopping: Promise<void> | undefined;
  private ports = { binary: 0, feedback: 0, http2: 0 };
  private readonly binary: MockBinaryGateway;
  private readonly feedback: MockFeedbackService;
  private readonly http2: MockHttp2Api;

  private constructor(options: MockApnsServerOptions) {
    const host = options.host ?? '127.0.0.1';
    if (host !== '127.0.0.1') throw new RangeError(`MockApnsServer listens on 127.0.0.1 only, got host ${String(host)}`);
    this.host = host;
    const random = createSeededRandom(options.seed ?? 1);
    this.records = new MockRecordBook(options.recordAccepted ?? true);
    this.faults = new MockFaults(random);
    this.verifier.register(testCredentials.teamId, testCredentials.keyId, testCredentials.signingPublicKey);
    let connectionIds = 0;
    const log = options.log ? (message: string) => process.stderr.write(`[mock-apns] ${message}\n`) : () => undefined;
    const ctx: MockServerContext = {
      records: this.records,
      faults: this.faults,
      devices: this.devices,
      verifier: this.verifier,
      random,
      nextConnectionId: () => ++connectionIds,
      log,
    };
    const key = options.untrustedCertificate ? testCredentials.untrustedServerKey : testCredentials.serverKey;
    const cert = options.untrustedCertificate ? testCredentials.untrustedServerCert : testCredentials.serverCert;
    const maxTlsVersion = options.maxTlsVersion ?? 'TLSv1.3';
    const requireClientCert = options.requireClientCert ?? true;
    const environment = options.environment ?? 'sandbox';
    if (environment !== 'sandbox' && environment !== 'production') throw new RangeError(`environment must be 'sandbox' or 'production', got ${String(environment)}`);
    const tls = { key, cert, ca: testCredentials.ca, maxTlsVersion, environment };
    const maxConcurrentStreams = options.maxConcurrentStreams ?? 1000;
    if (!Number.isInteger(maxConcurrentStreams) || maxConcurrentStreams < 0) throw new RangeError(`maxConcurrentStreams must be a non-negative integer`);
    const chunkSize = options.feedbackChunkSize;
    if (chunkSize !== undefined && (!Number.isInteger(chunkSize) || chunkSize < 1)) throw new RangeError('feedbackChunkSize must be a positive integer');
    const chunkDelayMs = options.feedbackChunkDelayMs ?? 0;
    if (!Number.isInteger(chunkDelayMs) || chunkDelayMs < 0) throw new RangeError('feedbackChunkDelayMs must be a non-negative integer (ms)');
    if (chunkDelayMs > 0 && chunkSize === undefined) {
      throw new RangeError('feedbackChunkDelayMs needs feedbackChunkSize: without chunks the list is one write, with no gap to delay');
    }
    this.binary = new MockBinaryGateway(ctx, {
      ...tls,
      requireClientCert,
      maxPayloadBytes: options.binaryMaxPayloadBytes ?? 2048,
      recordAccepted: options.recordAccepted ?? true,
    });
    this.feedback = new MockFeedbackService(ctx, { ...tls, requireClientCert, chunkSize, chunkDelayMs });
    this.http2 = new MockHttp2Api(ctx, {
      ...tls,
      maxConcurrentStreams,
      recordAccepted: options.recordAccepted ?? true,
      uniqueIds: options.uniqueIds ?? false,
      tokenUpdateLimit: options.tokenUpdateLimit ?? false,
    });
  }

  /** Starts the three services; resolves once all listen. */
  static async start(options: MockApnsServerOptions = {}): Promise<MockApnsServer> {
    const binaryPort = checkPort('binaryPort', options.binaryPort);
    const feedbackPort = checkPort('feedbackPort', options.feedbackPort);
    const http2Port = checkPort('http2Port', options.http2Port);
    const server = new MockApnsServer(options);
    try {
      server.ports = {
        binary: await server.binary.listen(server.host, binaryPort),
        feedback: await server.feedback.listen(server.host, feedbackPort),
        http2: await server.http2.listen(server.host, http2Port),
      };
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  get binaryPort(): number {
    return this.ports.binary;
  }
  get feedbackPort(): number {
    return this.ports.feedback;
  }
  get http2Port(): number {
    return this.ports.http2;
  }
  /** `host:port` of the binary gateway. */
  get gateway(): string {
    return `${this.host}:${this.ports.binary}`;
  }
  /** `host:port` of the feedback service. */
  get feedbackGateway(): string {
    return `${this.host}:${this.ports.feedback}`;
  }
  /** `host:port` of the HTTP/2 API. */
  get http2Gateway(): string {
    return `${this.host}:${this.ports.http2}`;
  }

  // ---- per token ------------------------------------------------------------------

  /**
   * HTTP/2: answer this token with `status` and `{"reason": reason}` (plus
   * `timestamp`, ms, when given). Binary: the error response with
   * `binaryStatus`, or else the status that matches the reason
   * (`BINARY_STATUS_FOR_REASON`: BadDeviceToken 8, PayloadTooLarge 7, ...),
   * or 255 (Unknown) for reasons the binary interface has no status for.
   */
  rejectToken(token: string, answer: { status: number; reason: string; timestamp?: Date | number; binaryStatus?: number }): void {
    if (!Number.isInteger(answer.status) || answer.status < 200 || answer.status > 599) throw new RangeError(`status must be an HTTP status, got ${answer.status}`);
    const binaryStatus = answer.binaryStatus ?? BINARY_STATUS_FOR_REASON.get(answer.reason) ?? BinaryStatus.Unknown;
    if (!Number.isInteger(binaryStatus) || binaryStatus < 1 || binaryStatus > 255 || binaryStatus === BinaryStatus.Shutdown) {
      // 10 names the last notification processed, not a failed one: it is a fault (binaryCloseAfter), not a per-token answer.
      throw new RangeError(`binaryStatus must be an error status from 1 to 255 other than 10, got ${binaryStatus}`);
    }
    const timestamp = answer.timestamp instanceof Date ? answer.timestamp.getTime() : answer.timestamp;
    this.devices.set(tokenKey(token), { kind: 'reject', status: answer.status, reason: answer.reason, binaryStatus, ...(timestamp === undefined ? {} : { timestamp }) });
  }

  /** Binary: error response status 8 (InvalidToken) and close; HTTP/2: 400 `BadDeviceToken`. */
  markInvalid(token: string): void {
    this.devices.set(tokenKey(token), { kind: 'invalid' });
  }

  /**
   * HTTP/2: 410 `Unregistered` with `timestamp` (ms since the epoch in the body).
   * Binary: accepted without an answer, as Apple's gateway did, and the token is
   * put on the feedback list (once) with `timestamp`.
   */
  markUnregistered(token: string, timestamp: Date): void {
    this.devices.set(tokenKey(token), { kind: 'unregistered', timestamp: timestamp.getTime() });
  }

  /** Forgets what was scripted for this token: it is accepted again. */
  acceptToken(token: string): void {
    this.devices.set(tokenKey(token), undefined);
  }

  /** Adds a (timestamp, token) tuple to the feedback list; the next feedback connection reads and clears it. */
  queueFeedback(token: string, timestamp: Date): void {
    this.devices.queueFeedback(tokenKey(token), timestamp);
  }

  /** Feedback tuples queued and not read yet. */
  get pendingFeedback(): number {
    return this.devices.pendingFeedback;
  }

  // ---- server-wide settings --------------------------------------------------------

  /** Clears every fault (same as `faults.reset()`). */
  resetFaults(): void {
    this.faults.reset();
  }

  /**
   * New SETTINGS_MAX_CONCURRENT_STREAMS: advertised to new sessions and sent in
   * a SETTINGS frame on every open one (Apple drops it to 1 after a rejection).
   */
  setMaxConcurrentStreams(n: number): void {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`maxConcurrentStreams must be a non-negative integer, got ${n}`);
    this.http2.setMaxConcurrentStreams(n);
  }

  /**
   * Destroys every open connection on every port at once: no GOAWAY, no error
   * response, as if the server crashed. New connections are accepted as usual.
   */
  dropConnections(): void {
    this.binary.dropConnections();
    this.feedback.dropConnections();
    this.http2.dropConnections();
  }

  /** Accepts provider tokens with `kid` = keyId and `iss` = teamId signed by this key (public or private, P-256). */
  registerSigningKey(teamId: string, keyId: string, publicKey: KeyObject | string): void {
    this.verifier.register(teamId, keyId, publicKey);
  }

  // ---- records -------------------------------------------------------------------------

  /** Accepted notifications, in arrival order. */
  get accepted(): readonly MockAcceptedNotification[] {
    return this.records.accepted;
  }

  /** What the mock refused, in order. */
  get rejected(): readonly MockRejection[] {
    return this.records.rejected;
  }

  /** HTTP/2 sessions cut by `dropConnections()`, in order, with what they held at that moment. */
  get droppedSessions(): readonly MockDroppedSession[] {
    return this.records.droppedSessions;
  }

  /** How each binary gateway connection ended, in the order they closed. */
  get binaryConnectionEnds(): readonly MockBinaryConnectionEnd[] {
    return this.records.binaryEnds;
  }

  get counters(): Readonly<MockCounters> {
    return this.records.counters;
  }

  /** Resolves once at least `count` notifications were accepted; rejects after `timeoutMs` (default 10 s) saying what was seen. */
  waitForAccepted(count: number, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    return this.records.waitFor(
      () => this.records.counters.accepted >= count,
      timeoutMs,
      () => `waitForAccepted(${count}): only ${this.records.counters.accepted} accepted`,
    );
  }

  /** Resolves once at least `count` notifications were refused. */
  waitForRejected(count: number, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    return this.records.waitFor(
      () => this.records.counters.rejected >= count,
      timeoutMs,
      () => `waitForRejected(${count}): only ${this.records.counters.rejected} rejected`,
    );
  }

  /**
   * Resolves once `predicate()` holds; checked now and after every event the
   * mock records (notification, rejection, connection, fault firing).
   */
  waitFor(predicate: () => boolean, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    return this.records.waitFor(predicate, timeoutMs, () => 'waitFor: the condition never held');
  }

  /** Empties `accepted`, `rejected`, `droppedSessions` and `binaryConnectionEnds` and zeroes the counters; scripts and faults stay. */
  clearRecords(): void {
    this.records.clear();
    this.verifier.clearSeen();
  }

  /** Closes every port and connection, cancels timers, rejects pending waits. Safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.records.close();
      await Promise.all([this.binary.close(), this.feedback.close(), this.http2.close()]);
    })();
    return this.stopping;
  }
}

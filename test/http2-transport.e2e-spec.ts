// HTTP/2 transport against the mock APNs server: real TLS, real HTTP/2, 127.0.0.1 only.
import { ApnsClient } from '../src/client/apns-client.js';
import { isValidApnsId } from '../src/codec/http2-request.js';
import { ApnsValidationError } from '../src/errors/apns-validation.error.js';
import { MockApnsServer, testCredentials } from '../src/testing/index.js';
import { Http2Transport } from '../src/transport/http2/http2-transport.js';
import {
  http2TestConfig,
  makeDelivery,
  offerAll,
  prepared,
  RecordingSink,
  tokenFor,
  type AuthMode,
  type Http2ConfigOverrides,
} from '../src/transport/http2/test-config.fixture.js';

describe('Http2Transport', () => {
  let mock: MockApnsServer;
  const open: Http2Transport[] = [];

  beforeAll(async () => {
    mock = await MockApnsServer.start({ requireClientCert: false });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close(2000)));
    mock.faults.reset();
    mock.clearRecords();
  });
  afterAll(async () => {
    await mock.stop();
  });

  function transport(sink: RecordingSink, auth: AuthMode = 'token', overrides: Http2ConfigOverrides = {}): Http2Transport {
    const t = new Http2Transport(http2TestConfig(mock.http2Port, { auth, overrides }), sink.hooks);
    open.push(t);
    return t;
  }

  /** Each token recorded by the mock exactly once. */
  function expectEachRecordedOnce(tokens: string[]): void {
    const seen = new Map<string, number>();
    for (const a of mock.accepted) seen.set(a.token, (seen.get(a.token) ?? 0) + 1);
    expect(seen.size).toBe(tokens.length);
    for (const t of tokens) expect(seen.get(t)).toBe(1);
  }

  it('delivers 20,000 notifications with token auth, each recorded exactly once, with one provider token', async () => {
    const sink = new RecordingSink();
    const t = transport(sink, 'token', { maxConnections: 2, queueSize: 2000 });
    const message = prepared({ alert: 'Hello 👋', badge: 3 });
    const tokens = Array.from({ length: 20_000 }, (_, i) => tokenFor(i));
    await offerAll(t, (function* () {
      for (const token of tokens) yield makeDelivery(token, sink, message);
    })());
    await sink.waitSettled(tokens.length);
    expect(sink.failedBy.size).toBe(0);
    expect(sink.doubles).toEqual([]);
    expectEachRecordedOnce(tokens);
    const sample = mock.accepted[123]!;
    expect(sample.json).toEqual({ aps: { alert: 'Hello 👋', badge: 3 } });
    expect(sample.headers?.['apns-topic']).toBe('com.example.app');
    expect(sink.acceptedBy.get(sample.token)?.apnsId).toBe(sample.apnsId);
    expect(t.stats.tokenSignatures).toBe(1);
    expect(mock.counters.providerTokens).toBe(1);
    expect(t.stats.connections).toBeLessThanOrEqual(2);
  });

  it.each<AuthMode>(['certificate', 'pfx'])('delivers with %s auth: no provider token, each recorded exactly once', async (auth) => {
    const sink = new RecordingSink();
    const t = transport(sink, auth);
    const tokens = Array.from({ length: 1000 }, (_, i) => tokenFor(100_000 + i));
    await offerAll(t, tokens.map((token) => makeDelivery(token, sink)));
    await sink.waitSettled(tokens.length);
    expect(sink.failedBy.size).toBe(0);
    expectEachRecordedOnce(tokens);
    expect(mock.counters.providerTokens).toBe(0);
    expect(t.stats.tokenSignatures).toBe(0);
  });

  it('has no feedback service to poll: 410s arrive in-band', async () => {
    await expect(transport(new RecordingSink()).pollFeedback()).resolves.toEqual([]);
  });

  it('keeps the same apns-id on every attempt and reports it with the acceptance', async () => {
    const sink = new RecordingSink();
    const t = transport(sink);
    mock.faults.respondWith(503, 'ServiceUnavailable', { count: 2 });
    const d = makeDelivery(tokenFor(7), sink);
    t.offer(d);
    await sink.waitSettled(1);
    expect(d.attempts).toBe(3);
    // The ids the mock saw (it answers a request's valid apns-id, or one of its own when there is none).
    const seen = [...mock.rejected.map((r) => r.apnsId), mock.accepted[0]?.headers?.['apns-id']];
    expect(seen).toHaveLength(3);
    expect(isValidApnsId(seen[0]!)).toBe(true);
    expect(new Set(seen)).toEqual(new Set([seen[0]]));
    expect(sink.acceptedBy.get(d.token)?.apnsId).toBe(seen[0]);
  });

  it('fails a 410 with Apple reason and timestamp, and reports the token on the feedback hook', async () => {
    const sink = new RecordingSink();
    const t = transport(sink);
    const gone = tokenFor(410);
    const when = new Date(1_700_000_123_456);
    mock.markUnregistered(gone, when);
    t.offer(makeDelivery(gone, sink));
    t.offer(makeDelivery(tokenFor(411), sink));
    await sink.waitSettled(2);
    const error = sink.failedBy.get(gone)!;
    expect(error).toMatchObject({ reason: 'Unregistered', status: 410, source: 'http2', retryable: false, attempts: 1, token: gone });
    expect(error.timestamp?.getTime()).toBe(when.getTime());
    expect(error.message).not.toContain(gone);
    expect(sink.feedback).toEqual([{ token: gone, timestamp: when }]);
    expect(sink.acceptedBy.has(tokenFor(411))).toBe(true);
  });

  it('fails a permanent rejection once, with Apple reason and advice, without retrying', async () => {
    const sink = new RecordingSink();
    const t = transport(sink);
    const bad = tokenFor(400);
    mock.rejectToken(bad, { status: 400, reason: 'BadDeviceToken' });
    t.offer(makeDelivery(bad, sink));
    await sink.waitSettled(1);
    expect(sink.failedBy.get(bad)).toMatchObject({ reason: 'BadDeviceToken', status: 400, attempts: 1, retryable: false });
    expect(sink.failedBy.get(bad)!.message).toMatch(/do not resend/);
    expect(t.stats.retries).toBe(0);
  });

  it('refuses header problems before any request is made', async () => {
    const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
    const client = new ApnsClient({
      gateway: mock.http2Gateway,
      ca: testCredentials.ca,
      token: { key: testCredentials.signingKey, keyId: testCredentials.keyId, teamId: testCredentials.teamId },
      topic: 'com.example.app',
      logger: quiet,
    });
    try {
      await expect(client.send({ alert: 'x', collapseId: 'c'.repeat(65) }, [tokenFor(1)])).rejects.toThrow(ApnsValidationError);
      await expect(client.send({ contentAvailable: 1, pushType: 'background', priority: 10 }, [tokenFor(1)])).rejects.toThrow(/priority/);
      expect(mock.counters.http2Sessions).toBe(0);
      expect(mock.counters.streams).toBe(0);
      // The same client does reach the mock: the zeros above are not for want of a connection.
      await expect(client.send({ alert: 'x', collapseId: 'c'.repeat(64) }, [tokenFor(1)])).resolves.toMatchObject({ accepted: 1 });
      expect(mock.counters.streams).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('fails alone a request whose headers node refuses, and keeps the session for the others', async () => {
    const sink = new RecordingSink();
    const t = transport(sink);
    const good = prepared();
    const broken = { ...good, headers: { ...good.headers, connection: 'keep-alive' } };
    t.offer(makeDelivery(tokenFor(1), sink));
    t.offer(makeDelivery(tokenFor(2), sink, broken));
    t.offer(makeDelivery(tokenFor(3), sink));
    await sink.waitSettled(3);
    expect(sink.failedBy.get(tokenFor(2))).toMatchObject({ reason: 'InvalidRequest', attempts: 0 });
    expect([...sink.acceptedBy.keys()].sort()).toEqual([tokenFor(1), tokenFor(3)]);
    expect(mock.counters.http2Sessions).toBe(1);
  });

  it('drains what is queued on close, and a second close returns the same promise', async () => {
    const sink = new RecordingSink();
    const t = transport(sink);
    const tokens = Array.from({ length: 300 }, (_, i) => tokenFor(5000 + i));
    for (const token of tokens) t.offer(makeDelivery(token, sink));
    const closing = t.close(5000);
    expect(t.close(5000)).toBe(closing);
    await closing;
    expect(sink.acceptedBy.size).toBe(300);
    expectEachRecordedOnce(tokens);
    const late = makeDelivery(tokenFor(1), sink);
    t.offer(late);
    expect(sink.failedBy.get(late.token)?.reason).toBe('Shutdown');
  });

  it('fails sends at once, without crashing or leaking the passphrase, when the client key passphrase is wrong', async () => {
    const sink = new RecordingSink();
    const config = http2TestConfig(mock.http2Port, { auth: 'certificate' });
    config.tls.passphrase = 'not-the-passphrase';
    const t = new Http2Transport(config, sink.hooks);
    open.push(t);
    t.offer(makeDelivery(tokenFor(1), sink));
    t.offer(makeDelivery(tokenFor(2), sink));
    await sink.waitSettled(2);
    const error = sink.failedBy.get(tokenFor(1))!;
    expect(error.reason).toBe('ConnectionError');
    expect(error.cause).toMatchObject({ name: 'ApnsConnectionError', permanent: true });
    expect(`${error.message} ${(error.cause as Error).message}`).not.toContain('not-the-passphrase');
    expect(mock.counters.streams).toBe(0);
  });

  it('fails with BadCertificate when the server refuses an expired client certificate', async () => {
    const sink = new RecordingSink();
    const config = http2TestConfig(mock.http2Port, { auth: 'certificate' });
    config.tls.cert = testCredentials.expiredClientCert;
    config.tls.key = testCredentials.expiredClientKey;
    config.tls.passphrase = undefined;
    const t = new Http2Transport(config, sink.hooks);
    open.push(t);
    t.offer(makeDelivery(tokenFor(1), sink));
    await sink.waitSettled(1);
    expect(sink.failedBy.get(tokenFor(1))).toMatchObject({ reason: 'BadCertificate', status: 403, retryable: false });
  });

  it('refuses at construction a provider key that cannot sign', () => {
    const config = http2TestConfig(mock.http2Port);
    config.token!.keyId = 'short';
    expect(() => new Http2Transport(config, new RecordingSink().hooks)).toThrow(/key id/);
  });

  it('fails queued sends at once with a clear reason when the server certificate is not trusted', async () => {
    const untrusted = await MockApnsServer.start({ untrustedCertificate: true, requireClientCert: false });
    try {
      const sink = new RecordingSink();
      const lines: string[] = [];
      const t = new Http2Transport(http2TestConfig(untrusted.http2Port, { logLines: lines }), sink.hooks);
      open.push(t);
      t.offer(makeDelivery(tokenFor(1), sink));
      await sink.waitSettled(1);
      const error = sink.failedBy.get(tokenFor(1))!;
      expect(error.reason).toBe('ConnectionError');
      expect((error.cause as Error).message).toMatch(/self[- ]signed|unable to verify|certificate/i);
      expect(untrusted.counters.streams).toBe(0);
    } finally {
      await untrusted.stop();
    }
  });
});

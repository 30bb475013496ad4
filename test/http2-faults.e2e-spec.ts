// HTTP/2 transport under the mock's scripted faults: expired provider tokens, 429/5xx with
// retry-after, GOAWAY, dropped sessions, stream resets, stream limits, timeouts.
import { constants as http2Constants } from 'node:http2';
import { MockApnsServer } from '../src/testing/index.js';
import { Http2Transport } from '../src/transport/http2/http2-transport.js';
import { TcpProxy } from '../src/transport/http2/tcp-proxy.fixture.js';
import {
  http2TestConfig,
  makeDelivery,
  offerAll,
  RecordingSink,
  tokenFor,
  upperHalfRandom,
  type Http2ConfigOverrides,
} from '../src/transport/http2/test-config.fixture.js';

describe('Http2Transport under faults', () => {
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

  function transport(sink: RecordingSink, overrides: Http2ConfigOverrides = {}, server: MockApnsServer = mock): Http2Transport {
    const t = new Http2Transport(http2TestConfig(server.http2Port, { overrides }), sink.hooks);
    open.push(t);
    return t;
  }

  function tokens(n: number, from: number): string[] {
    return Array.from({ length: n }, (_, i) => tokenFor(from + i));
  }

  /** How many times the mock recorded each token. */
  function recordCounts(server: MockApnsServer = mock): Map<string, number> {
    const seen = new Map<string, number>();
    for (const a of server.accepted) seen.set(a.token, (seen.get(a.token) ?? 0) + 1);
    return seen;
  }

  describe('provider token', () => {
    it('renews once on ExpiredProviderToken and delivers', async () => {
      const sink = new RecordingSink();
      const t = transport(sink);
      mock.faults.expireProviderTokens({ count: 1 });
      const d = makeDelivery(tokenFor(1), sink);
      t.offer(d);
      await sink.waitSettled(1);
      expect(sink.acceptedBy.has(d.token)).toBe(true);
      expect(d.attempts).toBe(2);
      expect(t.stats.tokenSignatures).toBe(2);
      expect(mock.counters.providerTokens).toBe(2);
    });

    it('renews the token on schedule before it is an hour old, and only then', async () => {
      const sink = new RecordingSink();
      // Our clock starts 55 minutes behind the mock's, then catches up: the first token's iat
      // is 55 minutes old when we next send, past refreshAfterMs (50 min) but still valid.
      const clock = { offset: 55 * 60_000 };
      const t = transport(sink, { now: () => Date.now() - clock.offset });
      t.offer(makeDelivery(tokenFor(1), sink));
      t.offer(makeDelivery(tokenFor(2), sink));
      await sink.waitSettled(2);
      expect(t.stats.tokenSignatures).toBe(1);
      clock.offset = 0;
      t.offer(makeDelivery(tokenFor(3), sink));
      t.offer(makeDelivery(tokenFor(4), sink));
      await sink.waitSettled(4);
      expect(sink.failedBy.size).toBe(0);
      expect(t.stats.tokenSignatures).toBe(2);
      expect(mock.counters.providerTokens).toBe(2);
    });

    it('signs exactly one new token when 500 requests in flight fail with the same old one', async () => {
      const sink = new RecordingSink();
      const t = transport(sink, { maxConnections: 1 });
      // Warm up: the session is open and the first token is in use.
      t.offer(makeDelivery(tokenFor(0), sink));
      await sink.waitSettled(1);
      mock.faults.expireProviderTokens({ count: 500 });
      const batch = tokens(500, 1);
      for (const token of batch) t.offer(makeDelivery(token, sink));
      await sink.waitSettled(501);
      expect(sink.failedBy.size).toBe(0);
      expect(mock.rejected.filter((r) => r.reason === 'ExpiredProviderToken')).toHaveLength(500);
      expect(t.stats.tokenSignatures).toBe(2);
      expect(mock.counters.providerTokens).toBe(2);
      for (const token of batch) expect(recordCounts().get(token)).toBe(1);
    });
  });

  describe('provider token switches (mock with tokenUpdateLimit: Apple\'s 20-minute rule per connection)', () => {
    let strict: MockApnsServer;
    beforeAll(async () => {
      strict = await MockApnsServer.start({ requireClientCert: false, tokenUpdateLimit: true });
    });
    afterEach(() => {
      strict.faults.reset();
      strict.clearRecords();
    });
    afterAll(async () => {
      await strict.stop();
    });

    /** Our clock runs ahead of the mock's by `clock.ahead`: we see tokens age while the mock sees switches seconds apart. */
    function strictTransport(sink: RecordingSink, clock: { ahead: number }): Http2Transport {
      return transport(sink, { maxConnections: 1, now: () => Date.now() + clock.ahead }, strict);
    }

    it('does not force a renewal within 20 minutes of a scheduled one: the delivery fails with ExpiredProviderToken and a clock hint, no TooManyProviderTokenUpdates', async () => {
      const sink = new RecordingSink();
      const clock = { ahead: 0 };
      const t = strictTransport(sink, clock);
      t.offer(makeDelivery(tokenFor(1), sink));
      await sink.waitSettled(1);
      // 50 minutes on: the scheduled renewal, the session's first switch (free).
      clock.ahead = 50 * 60_000;
      t.offer(makeDelivery(tokenFor(2), sink));
      await sink.waitSettled(2);
      expect(t.stats.tokenSignatures).toBe(2);
      // Apple calls the fresh token expired: renewing again now would be a second switch within 20 minutes.
      strict.faults.expireProviderTokens({ count: 1 });
      const d = makeDelivery(tokenFor(3), sink);
      t.offer(d);
      await sink.waitSettled(3);
      const error = sink.failedBy.get(d.token)!;
      expect(error).toMatchObject({ reason: 'ExpiredProviderToken', status: 403, attempts: 1 });
      expect(error.message).toMatch(/check the system clock/);
      expect(t.stats.tokenSignatures).toBe(2);
      expect(strict.rejected.map((r) => r.reason)).toEqual(['ExpiredProviderToken']);
    });

    it('retires a session that answers TooManyProviderTokenUpdates and sends the delivery again on a new one, whose first token is free', async () => {
      const sink = new RecordingSink();
      const clock = { ahead: 0 };
      const t = strictTransport(sink, clock);
      t.offer(makeDelivery(tokenFor(11), sink));
      await sink.waitSettled(1);
      clock.ahead = 50 * 60_000;
      t.offer(makeDelivery(tokenFor(12), sink));
      await sink.waitSettled(2);
      // 20 minutes after that renewal by our clock, seconds by the mock's: the forced renewal is
      // ours to make, and the session's second switch is one too many for the mock.
      clock.ahead = 70 * 60_000;
      strict.faults.expireProviderTokens({ count: 1 });
      const d = makeDelivery(tokenFor(13), sink);
      t.offer(d);
      await sink.waitSettled(3);
      expect(sink.failedBy.size).toBe(0);
      expect(d.attempts).toBe(3);
      expect(t.stats.tokenSignatures).toBe(3);
      expect(strict.rejected.map((r) => r.reason)).toEqual(['ExpiredProviderToken', 'TooManyProviderTokenUpdates']);
      const refusedOn = strict.rejected[1]!.connectionId;
      const acceptedOn = strict.accepted.find((a) => a.token === d.token)!.connectionId;
      expect(acceptedOn).not.toBe(refusedOn);
      expect(strict.counters.http2Sessions).toBe(2);
    });
  });

  describe('retryable answers', () => {
    it('retries 429 after the retry-after the server asked for, then delivers', async () => {
      const sink = new RecordingSink();
      const t = transport(sink);
      mock.faults.respondWith(429, 'TooManyRequests', { count: 3 }, { retryAfterSeconds: 1 });
      const started = Date.now();
      const batch = tokens(3, 10);
      for (const token of batch) t.offer(makeDelivery(token, sink));
      await sink.waitSettled(3);
      // retry-after is a floor; our own backoff (≤ 50 ms here) would have retried far sooner.
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      expect(sink.failedBy.size).toBe(0);
      for (const token of batch) expect(recordCounts().get(token)).toBe(1);
      expect(t.stats.retries).toBe(3);
    });

    it('fails at once, as retryable, a delivery Apple asks to hold longer than retry.maxRetryAfterMs, saying how long Apple asked for', async () => {
      const sink = new RecordingSink();
      const t = transport(sink, { retry: { maxRetryAfterMs: 30_000 } });
      mock.faults.respondWith(429, 'TooManyRequests', { count: 1 }, { retryAfterSeconds: 3600 });
      const d = makeDelivery(tokenFor(60), sink);
      t.offer(d);
      // Honoured, the retry-after would hold it for an hour.
      await sink.waitSettled(1, 5_000);
      const error = sink.failedBy.get(d.token)!;
      expect(error).toMatchObject({ reason: 'TooManyRequests', status: 429, retryable: true, attempts: 1, apnsId: d.apnsId });
      expect(error.message).toMatch(/\(retry-after\) to wait 3600 s/);
      expect(error.message).toMatch(/retry\.maxRetryAfterMs \(30000 ms\)/);
      expect(t.stats).toMatchObject({ retries: 0, retriesPending: 0 });
      expect(mock.rejected).toHaveLength(1);
    });

    it('retries 503 and 500 with backoff, then delivers each once', async () => {
      const sink = new RecordingSink();
      // A first retry waits random() * baseDelayMs: with random in [0.5, 1), at least 100 ms.
      const baseDelayMs = 200;
      const smallestDelay = baseDelayMs / 2;
      const t = transport(sink, { random: upperHalfRandom(9), retry: { baseDelayMs, maxDelayMs: 1000 } });
      // When the mock wrote each 503/500, and when it answered that token's resend.
      const refusedAt = new Map<string, number>();
      const acceptedAt = new Map<string, number>();
      let refusals = 0;
      let accepts = 0;
      const watched = mock.waitFor(() => {
        const now = Date.now();
        for (; refusals < mock.rejected.length; refusals++) refusedAt.set(mock.rejected[refusals]!.token, now);
        for (; accepts < mock.accepted.length; accepts++) acceptedAt.set(mock.accepted[accepts]!.token, now);
        return accepts >= 25;
      });
      mock.faults.respondWith(503, 'ServiceUnavailable', { count: 20 });
      const batch = tokens(20, 100);
      for (const token of batch) t.offer(makeDelivery(token, sink));
      await sink.waitSettled(20);
      mock.faults.respondWith(500, 'InternalServerError', { count: 5 });
      const more = tokens(5, 200);
      for (const token of more) t.offer(makeDelivery(token, sink));
      await sink.waitSettled(25);
      await watched;
      expect(sink.failedBy.size).toBe(0);
      const counts = recordCounts();
      for (const token of [...batch, ...more]) expect(counts.get(token)).toBe(1);
      expect(t.stats.retries).toBe(25);
      // No resend came sooner than the smallest delay the schedule and the random allow
      // (2 ms for the millisecond clocks' rounding).
      for (const token of [...batch, ...more]) expect(acceptedAt.get(token)! - refusedAt.get(token)!).toBeGreaterThanOrEqual(smallestDelay - 2);
    });

    it('gives up after the configured attempts with an error that says so and names the last reason', async () => {
      const sink = new RecordingSink();
      const t = transport(sink, { retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 } });
      mock.faults.respondWith(503, 'ServiceUnavailable', { count: 100 });
      const d = makeDelivery(tokenFor(9), sink);
      t.offer(d);
      await sink.waitSettled(1);
      const error = sink.failedBy.get(d.token)!;
      expect(error).toMatchObject({ reason: 'ServiceUnavailable', status: 503, attempts: 3, retryable: true, apnsId: d.apnsId });
      expect(error.message).toMatch(/after 3 attempts/);
      expect(error.message).toMatch(/retried 2 time/);
      expect(mock.rejected).toHaveLength(3);
      expect(new Set(mock.rejected.map((r) => r.apnsId))).toEqual(new Set([d.apnsId]));
    });

    it('retries streams the server resets (REFUSED_STREAM at once, others after backoff)', async () => {
      const sink = new RecordingSink();
      const t = transport(sink);
      mock.faults.resetStreams(5);
      const batch = tokens(10, 300);
      for (const token of batch) t.offer(makeDelivery(token, sink));
      await sink.waitSettled(10);
      mock.faults.resetStreams(3, { errorCode: http2Constants.NGHTTP2_INTERNAL_ERROR });
      const more = tokens(3, 400);
      for (const token of more) t.offer(makeDelivery(token, sink));
      await sink.waitSettled(13);
      expect(sink.failedBy.size).toBe(0);
      const counts = recordCounts();
      for (const token of [...batch, ...more]) expect(counts.get(token)).toBe(1);
      expect(t.stats.resets).toBe(8);
    });

    it('retries a request that passes requestTimeoutMs, then gives up with RequestTimeout', async () => {
      const sink = new RecordingSink();
      const t = transport(sink, { requestTimeoutMs: 100, retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 10 } });
      mock.faults.latency(400);
      const d = makeDelivery(tokenFor(77), sink);
      t.offer(d);
      await sink.waitSettled(1);
      expect(sink.failedBy.get(d.token)).toMatchObject({ reason: 'RequestTimeout', attempts: 2 });
      expect(t.stats.timeouts).toBe(2);
    });
  });

  describe('sessions going away', () => {
    it('resends what a GOAWAY left unprocessed on a new session: nothing lost, nothing duplicated', async () => {
      const sink = new RecordingSink();
      const t = transport(sink, { maxConnections: 1 });
      mock.faults.goawayAfter(150, { reason: 'Shutdown', sessions: 3 });
      const batch = tokens(2000, 1000);
      await offerAll(t, batch.map((token) => makeDelivery(token, sink)));
      await sink.waitSettled(batch.length);
      expect(sink.failedBy.size).toBe(0);
      expect(sink.doubles).toEqual([]);
      const counts = recordCounts();
      for (const token of batch) expect(counts.get(token)).toBe(1);
      expect(mock.counters.goaways).toBe(3);
      expect(t.stats.goaways).toBe(3);
      expect(t.stats.unprocessed).toBeGreaterThan(0);
      expect(mock.counters.http2Sessions).toBeGreaterThanOrEqual(4);
    });

    it('resends what a dropped session left unanswered: nothing lost, duplicates only among the unanswered', async () => {
      const sink = new RecordingSink();
      const t = transport(sink, { maxConnections: 1 });
      // GOAWAY with an error code: node drops the session at once, answered or not.
      mock.faults.latency(30);
      mock.faults.goawayAfter(60, { errorCode: http2Constants.NGHTTP2_INTERNAL_ERROR, sessions: 1 });
      const batch = tokens(400, 5000);
      const deliveries = batch.map((token) => makeDelivery(token, sink));
      for (const d of deliveries) t.offer(d);
      await sink.waitSettled(batch.length);
      expect(mock.counters.goaways).toBe(1);
      expect(deliveries.some((d) => d.attempts > 1)).toBe(true);
      expect(sink.failedBy.size).toBe(0);
      expect(sink.doubles).toEqual([]);
      const counts = recordCounts();
      let duplicates = 0;
      for (const token of batch) {
        expect(counts.get(token)).toBeGreaterThanOrEqual(1);
        duplicates += counts.get(token)! - 1;
      }
      // Only streams up to last-stream-id that had no answer yet may have been processed twice.
      expect(duplicates).toBeLessThanOrEqual(60);
    });

    it('resends streams the server never processed without spending attempts: REFUSED_STREAM and streams above GOAWAY\'s last stream id', async () => {
      const sink = new RecordingSink();
      // One attempt: any resend that spent one would fail the delivery.
      const t = transport(sink, { maxConnections: 1, retry: { attempts: 1 } });
      // Both requests go out in one write on the first session: the server takes the first,
      // sends GOAWAY with it as the last stream, and refuses the second.
      mock.faults.goawayAfter(1, { sessions: 1 });
      const pair = [makeDelivery(tokenFor(32), sink), makeDelivery(tokenFor(33), sink)];
      for (const d of pair) t.offer(d);
      await sink.waitSettled(2);
      expect(sink.failedBy.size).toBe(0);
      expect(pair.map((d) => d.attempts)).toEqual([1, 2]);
      expect(mock.counters.goaways).toBe(1);

      mock.faults.resetStreams(3);
      const refused = makeDelivery(tokenFor(31), sink);
      t.offer(refused);
      await sink.waitSettled(3);
      expect(sink.failedBy.size).toBe(0);
      expect(refused.attempts).toBe(4);
      const counts = recordCounts();
      for (const d of [refused, ...pair]) expect(counts.get(d.token)).toBe(1);
      expect(t.stats).toMatchObject({ unprocessed: 4, retries: 4, resentUnanswered: 0 });
    });

    it('gives up on a delivery every session sends away unprocessed after retry.unprocessedResends, backing off after the first resend', async () => {
      const sink = new RecordingSink();
      // Backoffs of at least 100 and 200 ms before the 3rd and 4th sends (the first resend goes at once).
      const t = transport(sink, { random: upperHalfRandom(3), retry: { attempts: 3, unprocessedResends: 3, baseDelayMs: 200, maxDelayMs: 1000 } });
      mock.faults.goawayAfter(0, { sessions: 1000 });
      const d = makeDelivery(tokenFor(3), sink);
      const started = Date.now();
      t.offer(d);
      await sink.waitSettled(1);
      const error = sink.failedBy.get(d.token)!;
      expect(Date.now() - started).toBeGreaterThanOrEqual(100 + 200);
      expect(error).toMatchObject({ reason: 'GoAway', attempts: 4, retryable: true });
      expect(error.message).toMatch(/GOAWAY/);
      expect(error.message).toMatch(/4 of them refused unprocessed/);
      expect(mock.accepted).toHaveLength(0);
      expect(t.stats).toMatchObject({ unprocessed: 4, retries: 3, resentUnanswered: 0 });
      // Every write is one session, plus the few that went away before carrying anything.
      expect(mock.counters.http2Sessions).toBeLessThanOrEqual(8);
    });
  });

  describe('stream limits', () => {
    let limited: MockApnsServer;
    beforeAll(async () => {
      limited = await MockApnsServer.start({ requireClientCert: false, maxConcurrentStreams: 10 });
    });
    afterEach(() => {
      limited.setMaxConcurrentStreams(10);
      limited.faults.reset();
      limited.clearRecords();
    });
    afterAll(async () => {
      await limited.stop();
    });

    it('fills a session limited to 10 streams and never has more than 10 requests of its own in flight on it', async () => {
      const sink = new RecordingSink();
      const t = transport(sink, { maxConnections: 1 }, limited);
      limited.faults.latency(10);
      const batch = tokens(200, 9000);
      for (const token of batch) t.offer(makeDelivery(token, sink));
      await sink.waitSettled(200);
      expect(sink.failedBy.size).toBe(0);
      // Our own count, not the server's: node would hold back streams past the limit by itself.
      expect(t.stats.peakStreamsByLimit).toEqual({ 10: 10 });
      expect(limited.counters.maxConcurrentStreamsSeen).toBe(10);
      expect(limited.counters.resets).toBe(0);
    });

    it('holds requests back when the server lowers its limit to 1 while 10 are in flight: at most 1 after the SETTINGS frame, nothing refused, lost or timed out', async () => {
      const sink = new RecordingSink();
      const t = transport(sink, { maxConnections: 1 }, limited);
      limited.faults.latency(150);
      const first = tokens(10, 9600);
      for (const token of first) t.offer(makeDelivery(token, sink));
      await limited.waitFor(() => limited.counters.streams >= 10);
      const more = tokens(10, 9700);
      for (const token of more) t.offer(makeDelivery(token, sink));
      // The SETTINGS frame goes out now, ahead of the ten (slow) answers on the same connection.
      limited.setMaxConcurrentStreams(1);
      await sink.waitSettled(20);
      expect(sink.failedBy.size).toBe(0);
      expect(t.stats.peakStreamsByLimit).toEqual({ 10: 10, 1: 1 });
      expect(t.stats).toMatchObject({ requests: 20, timeouts: 0, resets: 0, unprocessed: 0, retries: 0 });
      expect(limited.counters.resets).toBe(0);
      expect(limited.counters.http2Sessions).toBe(1);
      const counts = recordCounts(limited);
      for (const token of [...first, ...more]) expect(counts.get(token)).toBe(1);
    });

    it('opens more sessions (up to maxConnections) when each is at its stream limit', async () => {
      const sink = new RecordingSink();
      const t = transport(sink, { maxConnections: 3 }, limited);
      limited.faults.latency(20);
      const batch = tokens(300, 20_000);
      for (const token of batch) t.offer(makeDelivery(token, sink));
      await sink.waitSettled(300);
      expect(limited.counters.http2Sessions).toBe(3);
      expect(limited.counters.maxConcurrentStreamsSeen).toBeLessThanOrEqual(10);
      expect(t.stats.peakStreamsByLimit).toEqual({ 10: 10 });
      expect(new Set(limited.accepted.map((a) => a.connectionId)).size).toBe(3);
    });
  });

  it('keeps an idle session alive with PINGs and goes on using it', async () => {
    const sink = new RecordingSink();
    const t = transport(sink, { pingIntervalMs: 40 });
    t.offer(makeDelivery(tokenFor(1), sink));
    await sink.waitSettled(1);
    // The mock counts the PING frames it receives: idle, the session is PINGed again and again.
    await mock.waitFor(() => mock.counters.pings >= 3);
    t.offer(makeDelivery(tokenFor(2), sink));
    await sink.waitSettled(2);
    expect(mock.counters.http2Sessions).toBe(1);
    expect(t.stats.pingTimeouts).toBe(0);
    expect(new Set(mock.accepted.map((a) => a.connectionId)).size).toBe(1);
  });
});

describe('Http2Transport on a network that goes silent or drops', () => {
  let mock: MockApnsServer;
  let proxy: TcpProxy;
  const open: Http2Transport[] = [];

  beforeAll(async () => {
    mock = await MockApnsServer.start({ requireClientCert: false });
  });
  beforeEach(async () => {
    proxy = await TcpProxy.start(mock.http2Port);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close(1000)));
    await proxy.close();
    mock.faults.reset();
    mock.clearRecords();
  });
  afterAll(async () => {
    await mock.stop();
  });

  function transport(sink: RecordingSink, overrides: Http2ConfigOverrides = {}): Http2Transport {
    const t = new Http2Transport(http2TestConfig(proxy.port, { overrides }), sink.hooks);
    open.push(t);
    return t;
  }

  /** Polls a condition the transport exposes no event for. */
  async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
    const start = Date.now();
    while (!condition()) {
      if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  it('replaces a session whose PING goes unanswered, and sends on a new one', async () => {
    const sink = new RecordingSink();
    const t = transport(sink, { pingIntervalMs: 30, requestTimeoutMs: 60 });
    t.offer(makeDelivery(tokenFor(1), sink));
    await sink.waitSettled(1);
    proxy.freeze();
    await until(() => t.stats.pingTimeouts === 1 && t.stats.connections === 0);
    proxy.thaw();
    t.offer(makeDelivery(tokenFor(2), sink));
    await sink.waitSettled(2);
    expect(sink.failedBy.size).toBe(0);
    expect(proxy.connections).toBe(2);
  });

  it('backs off before each resend of a request whose session keeps dropping before the answer, counts the resends, and gives up after retry.attempts', async () => {
    const sink = new RecordingSink();
    const retry = { attempts: 4, baseDelayMs: 200, maxDelayMs: 5000 };
    const t = transport(sink, { maxConnections: 1, retry, random: upperHalfRandom(5) });
    // The link drops whenever the request reaches the server, before the (slow) answer.
    mock.faults.latency(300);
    const arrivals: number[] = [];
    const flapping = mock.waitFor(() => {
      if (mock.counters.streams > arrivals.length) {
        arrivals.push(Date.now());
        proxy.dropAll();
      }
      return arrivals.length >= retry.attempts;
    });
    const d = makeDelivery(tokenFor(5), sink);
    t.offer(d);
    await flapping;
    await sink.waitSettled(1);
    const error = sink.failedBy.get(d.token)!;
    expect(error).toMatchObject({ reason: 'ConnectionLost', attempts: 4, retryable: true, apnsId: d.apnsId });
    expect(error.message).toMatch(/may have delivered it/);
    expect(t.stats).toMatchObject({ retries: 3, resentUnanswered: 3 });
    expect(mock.counters.streams).toBe(4);
    // Resend n waits at least half of min(max, base * 2^(n-1)) (the random draws from [0.5, 1)).
    for (let n = 1; n < arrivals.length; n++) {
      expect(arrivals[n]! - arrivals[n - 1]!).toBeGreaterThanOrEqual(Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (n - 1)) / 2);
    }
  });

  it('resends what a dropped connection left unanswered: nothing lost, duplicates only among the unanswered', async () => {
    const sink = new RecordingSink();
    const t = transport(sink, { maxConnections: 1 });
    mock.faults.latency(40);
    const deliveries = Array.from({ length: 300 }, (_, i) => makeDelivery(tokenFor(70_000 + i), sink));
    for (const d of deliveries) t.offer(d);
    await mock.waitFor(() => mock.counters.streams >= 300);
    const inFlightAtDrop = 300 - sink.settled;
    proxy.dropAll();
    await sink.waitSettled(300);
    expect(sink.failedBy.size).toBe(0);
    expect(sink.doubles).toEqual([]);
    const seen = new Map<string, number>();
    for (const a of mock.accepted) seen.set(a.token, (seen.get(a.token) ?? 0) + 1);
    let duplicates = 0;
    for (const d of deliveries) {
      expect(seen.get(d.token)).toBeGreaterThanOrEqual(1);
      duplicates += seen.get(d.token)! - 1;
    }
    const resent = deliveries.filter((d) => d.attempts === 2).length;
    expect(resent).toBeGreaterThan(0);
    // Every request the drop left unanswered was resent once, through the retry path, and counted.
    expect(t.stats.resentUnanswered).toBe(resent);
    expect(t.stats.retries).toBe(resent);
    expect(duplicates).toBeLessThanOrEqual(resent);
    expect(resent).toBeLessThanOrEqual(inFlightAtDrop);
    expect(proxy.connections).toBe(2);
  });
});

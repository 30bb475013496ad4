// The pool's rules that hold whatever the transport, seen through the HTTP/2
// transport against the mock (the binary ones live in test/binary-*.e2e-spec.ts):
// retries waiting out a retry-after still hold the producer back, and a session
// that received GOAWAY gives up its slot while it finishes.
import { MockApnsServer } from '../src/testing/index.js';
import { Http2Transport } from '../src/transport/http2/http2-transport.js';
import { http2TestConfig, makeDelivery, RecordingSink, tokenFor } from '../src/transport/http2/test-config.fixture.js';
import { waitUntil } from './binary-transport.fixture.js';

describe('ConnectionPool over HTTP/2', () => {
  let mock: MockApnsServer;

  beforeAll(async () => {
    mock = await MockApnsServer.start({ requireClientCert: false, maxConcurrentStreams: 100 });
  });
  afterEach(() => {
    mock.faults.reset();
    mock.clearRecords();
  });
  afterAll(async () => {
    await mock.stop();
  });

  it('holds the producer back while retries wait out a retry-after: what it handed over stays within queueSize plus the streams in flight', async () => {
    const queueSize = 100;
    const streams = 100;
    // The next 300 requests get 429 with retry-after 1 s: each of them waits a second to be sent again
    // (few enough that no delivery spends its 4 attempts on them).
    mock.faults.respondWith(429, 'TooManyRequests', { count: 300 }, { retryAfterSeconds: 1 });
    const sink = new RecordingSink();
    const transport = new Http2Transport(http2TestConfig(mock.http2Port, { overrides: { maxConnections: 1, queueSize } }), sink.hooks);
    const total = 1_500;
    let handedOver = 0;
    let mostOutstanding = 0;
    let mostWaitingRetries = 0;
    for (let i = 0; i < total; i++) {
      const writable = transport.offer(makeDelivery(tokenFor(i), sink));
      handedOver++;
      mostOutstanding = Math.max(mostOutstanding, handedOver - sink.settled);
      mostWaitingRetries = Math.max(mostWaitingRetries, transport.stats.retriesPending);
      if (!writable) await transport.whenWritable();
    }
    await sink.waitSettled(total);
    await transport.close(2_000);

    expect(sink.acceptedBy.size).toBe(total);
    expect(sink.doubles).toEqual([]);
    expect(mock.counters.streams).toBe(total + 300);
    expect(mostWaitingRetries).toBeGreaterThan(0);
    // Queued and waiting retries together stay within queueSize (one over the mark at most), plus what is on the wire.
    expect(mostOutstanding).toBeLessThanOrEqual(queueSize + 1 + streams);
  });

  it('opens the replacement of a session that received GOAWAY while that one still finishes its streams, even at maxConnections 1', async () => {
    // Slow answers: the first session still has its 5 streams open long after its GOAWAY.
    mock.faults.latency(1_500);
    mock.faults.goawayAfter(5, { sessions: 1 });
    const sink = new RecordingSink();
    const transport = new Http2Transport(http2TestConfig(mock.http2Port, { overrides: { maxConnections: 1 } }), sink.hooks);
    const total = 50;
    for (let i = 0; i < total; i++) transport.offer(makeDelivery(tokenFor(10_000 + i), sink));

    // The replacement opens and takes the 45 the first session may not carry, while the first still drains.
    await waitUntil(() => transport.stats.draining === 1 && transport.stats.connections === 2, 'a replacement opened beside the draining session', 1_400);
    const sessionsWhileDraining = mock.counters.http2Sessions;
    await sink.waitSettled(total);
    await transport.close(2_000);

    expect(sessionsWhileDraining).toBe(2);
    expect(sink.acceptedBy.size).toBe(total);
    expect(mock.counters.goaways).toBe(1);
  });
});

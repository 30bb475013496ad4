import { MockApnsServer } from '../src/testing/index.js';
import { BinaryTransport } from '../src/transport/binary/binary-transport.js';
import type { Delivery } from '../src/transport/delivery.js';
import { createSeededRandom } from '../src/testing/seeded-random.js';
import { binaryConfig, delivery, offerAll, prepare, RecordingLogger, RecordingSink, tokenFor, waitUntil } from './binary-transport.fixture.js';

function countByToken(tokens: readonly string[]): Map<string, number> {
  const seen = new Map<string, number>();
  for (const t of tokens) seen.set(t, (seen.get(t) ?? 0) + 1);
  return seen;
}

describe('BinaryTransport against the mock gateway', () => {
  let mock: MockApnsServer;

  beforeAll(async () => {
    mock = await MockApnsServer.start();
  });

  afterEach(() => {
    mock.resetFaults();
    mock.clearRecords();
  });

  afterAll(async () => {
    await mock.stop();
  });

  it('delivers 20,000 notifications over 4 connections, each recorded exactly once with its payload bytes intact', async () => {
    const transport = new BinaryTransport(binaryConfig(mock), { onFeedback: () => undefined });
    const sink = new RecordingSink();
    const messages = [
      prepare({ alert: 'Hello 👋 — café ☕', badge: 1, data: { n: '🚀' } }),
      prepare({ alert: { title: 'Ünïcødé', body: '漢字 and 🧪' }, sound: 'default' }),
    ];
    const deliveries: Delivery[] = [];
    for (let i = 0; i < 20_000; i++) deliveries.push(delivery(tokenFor(i), messages[i % 2]!, sink));

    await offerAll(transport, deliveries);
    await mock.waitForAccepted(20_000, 20_000);
    await transport.close(5_000);

    const seen = new Map<string, number>();
    for (const a of mock.accepted) seen.set(a.token, (seen.get(a.token) ?? 0) + 1);
    expect(seen.size).toBe(20_000);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    for (let i = 0; i < 20_000; i += 997) {
      const record = mock.accepted.find((a) => a.token === tokenFor(i))!;
      expect(record.payload.equals(messages[i % 2]!.payload)).toBe(true);
    }
    expect(new Set(mock.accepted.map((a) => a.connectionId)).size).toBe(4);
    expect(sink.acceptedCalls).toBe(20_000);
    expect(sink.failedCount).toBe(0);
    expect(transport.stats.resentUncertain).toBe(0);
  });

  it('reports each invalid token once with status 8, and records every valid one exactly once though each rejection closed a connection', async () => {
    const transport = new BinaryTransport(binaryConfig(mock), { onFeedback: () => undefined });
    const sink = new RecordingSink();
    const message = prepare({ alert: 'hi' });
    const random = createSeededRandom(42);
    const deliveries: Delivery[] = [];
    const invalid = new Set<Delivery>();
    for (let i = 0; i < 5_000; i++) {
      const d = delivery(tokenFor(i, 1), message, sink);
      if (random() < 0.01) {
        invalid.add(d);
        mock.markInvalid(d.token);
      }
      deliveries.push(d);
    }
    expect(invalid.size).toBeGreaterThan(20);

    await offerAll(transport, deliveries);
    await mock.waitForAccepted(5_000 - invalid.size, 20_000);
    await mock.waitForRejected(invalid.size, 20_000);
    await transport.close(5_000);

    const seen = countByToken(mock.accepted.map((a) => a.token));
    for (const d of deliveries) {
      const failures = sink.failures.get(d);
      if (invalid.has(d)) {
        expect(seen.get(d.token)).toBeUndefined();
        expect(failures).toHaveLength(1);
        expect(failures![0]).toMatchObject({ status: 8, reason: 'InvalidToken', token: d.token, source: 'binary', retryable: false });
      } else {
        expect(failures).toBeUndefined();
        expect(seen.get(d.token)).toBe(1);
      }
    }
    expect(mock.counters.rejected).toBe(invalid.size);
    expect(transport.stats).toMatchObject({ rejectedByGateway: invalid.size, errorResponses: invalid.size, resentUncertain: 0, unknownIdentifiers: 0 });
    expect(transport.stats.resentAfterError).toBeGreaterThan(0);
  });

  it('on status 10 (shutdown) mid-stream fails nothing and sends what followed the named notification again, once', async () => {
    mock.faults.binaryCloseAfter(300, { status: 10, connections: 1 });
    const transport = new BinaryTransport(binaryConfig(mock, { maxConnections: 1 }), { onFeedback: () => undefined });
    const sink = new RecordingSink();
    const message = prepare({ alert: 'shutdown' });
    const deliveries = Array.from({ length: 2_000 }, (_, i) => delivery(tokenFor(i, 2), message, sink));

    await offerAll(transport, deliveries);
    await mock.waitForAccepted(2_000);
    await transport.close(5_000);

    const seen = countByToken(mock.accepted.map((a) => a.token));
    expect(seen.size).toBe(2_000);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(sink.failedCount).toBe(0);
    expect(mock.counters.binaryConnections).toBe(2);
    expect(transport.stats).toMatchObject({ errorResponses: 1, rejectedByGateway: 0, resentUncertain: 0 });
    expect(transport.stats.resentAfterError).toBeGreaterThan(0);
  });

  it('handles an error response that arrives during its own graceful close, and still sends what followed', async () => {
    const transport = new BinaryTransport(binaryConfig(mock, { maxConnections: 1 }), { onFeedback: () => undefined });
    const sink = new RecordingSink();
    const message = prepare({ alert: 'late' });
    const deliveries = Array.from({ length: 200 }, (_, i) => delivery(tokenFor(i, 3), message, sink));
    mock.markInvalid(deliveries[150]!.token);

    await offerAll(transport, deliveries);
    await transport.close(5_000);

    const seen = countByToken(mock.accepted.map((a) => a.token));
    expect(seen.size).toBe(199);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(sink.failedCount).toBe(1);
    expect(sink.failures.get(deliveries[150]!)![0]).toMatchObject({ status: 8, reason: 'InvalidToken' });
  });

  it('logs an error response naming an identifier that left the sent buffer, and sends again what the buffer still held', async () => {
    const logger = new RecordingLogger();
    const transport = new BinaryTransport(binaryConfig(mock, { maxConnections: 1, logger, binary: { sentBufferSize: 8 } }), {
      onFeedback: () => undefined,
    });
    const sink = new RecordingSink();
    const message = prepare({ alert: 'tiny buffer' });
    const deliveries = Array.from({ length: 100 }, (_, i) => delivery(tokenFor(i, 4), message, sink));
    mock.markInvalid(deliveries[0]!.token);

    await offerAll(transport, deliveries);
    await mock.waitForRejected(1);
    await transport.close(5_000);

    expect(transport.stats.unknownIdentifiers).toBe(1);
    expect(logger.lines.some((l) => l.startsWith('error ') && l.includes('not among the 8 notifications still held') && l.includes('sentBufferSize'))).toBe(true);
    // The last 8 written were still held: they went out again on a new connection.
    const seen = countByToken(mock.accepted.map((a) => a.token));
    for (const d of deliveries.slice(-8)) expect(seen.get(d.token)).toBe(1);
    expect(logger.lines.join('\n')).not.toContain(deliveries[0]!.token);
  });

  it('closes an idle connection cleanly (nothing resent) and opens a new one for later work', async () => {
    const transport = new BinaryTransport(binaryConfig(mock, { maxConnections: 1, idleTimeoutMs: 150 }), { onFeedback: () => undefined });
    const sink = new RecordingSink();
    const message = prepare({ alert: 'idle' });

    transport.offer(delivery(tokenFor(1, 5), message, sink));
    await mock.waitForAccepted(1);
    await waitUntil(() => transport.stats.pool.connections === 0, 'the idle connection is closed');
    transport.offer(delivery(tokenFor(2, 5), message, sink));
    await mock.waitForAccepted(2);
    await transport.close(1_000);

    expect(mock.counters.binaryConnections).toBe(2);
    expect(mock.accepted.map((a) => a.token)).toEqual([tokenFor(1, 5), tokenFor(2, 5)]);
    expect(transport.stats.resentUncertain).toBe(0);
  });
});

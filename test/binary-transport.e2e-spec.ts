import { MockApnsServer } from '../src/testing/index.js';
import { BinaryTransport } from '../src/transport/binary/binary-transport.js';
import type { Delivery } from '../src/transport/delivery.js';
import { createSeededRandom } from '../src/testing/seeded-random.js';
import { binaryConfig, delivery, offerAll, prepare, RecordingLogger, RecordingSink, tokenFor, waitUntil } from './binary-transport.fixture.js';
import { SPARE_LOOP } from './support/spare-loop.js';

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
    const transport = new BinaryTransport(binaryConfig(mock, { loopLoad: SPARE_LOOP }), { onFeedback: () => undefined });
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

  it('counts and logs what a too small sent buffer lost: the rejection it can no longer name and the notifications the gateway dropped after it', async () => {
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
    await mock.waitForAccepted(8);
    await transport.close(5_000);

    // One flush of 100 into a buffer of 8: 92 had to leave it while uncertain, and said so.
    expect(transport.stats.evictedUncertain).toBe(92);
    expect(logger.lines.some((l) => l.startsWith('warn ') && l.includes('binary.sentBufferSize 8') && l.includes('evictedUncertain'))).toBe(true);
    // The gateway rejected the first and dropped the other 99; the buffer held the last 8 only.
    expect(transport.stats).toMatchObject({ errorResponses: 1, unknownIdentifiers: 1, presumedLost: 91, rejectedByGateway: 0 });
    const error = logger.lines.find((l) => l.startsWith('error ') && l.includes('InvalidToken (status 8) names identifier 1'));
    expect(error).toBeDefined();
    expect(error).toContain('raise binary.sentBufferSize');
    expect(error).toContain('The 91 notification(s) written after it');
    expect(error).toContain('presumedLost');
    // The 8 still held went out again on a new connection, once; the 91 are neither at the mock nor failed.
    const seen = countByToken(mock.accepted.map((a) => a.token));
    for (const d of deliveries.slice(-8)) expect(seen.get(d.token)).toBe(1);
    expect(seen.size).toBe(8);
    expect(sink.failedCount).toBe(0);
    expect(logger.lines.join('\n')).not.toContain(deliveries[0]!.token);
  });

  it('after an error response sends what followed the rejected notification again in its original order, on the next connection', async () => {
    const transport = new BinaryTransport(binaryConfig(mock, { maxConnections: 1 }), { onFeedback: () => undefined });
    const sink = new RecordingSink();
    const message = prepare({ alert: 'in order' });
    const deliveries = Array.from({ length: 400 }, (_, i) => delivery(tokenFor(i, 6), message, sink));
    mock.markInvalid(deliveries[100]!.token);

    await offerAll(transport, deliveries);
    await mock.waitForAccepted(399);
    await transport.close(5_000);

    const expected = deliveries.filter((_, i) => i !== 100).map((d) => d.token);
    expect(mock.accepted.map((a) => a.token)).toEqual(expected);
    const [first, second] = [mock.accepted[0]!.connectionId, mock.accepted[100]!.connectionId];
    expect(mock.accepted.map((a) => a.connectionId)).toEqual([...Array<number>(100).fill(first), ...Array<number>(299).fill(second)]);
    expect(sink.failures.get(deliveries[100]!)).toEqual([expect.objectContaining({ reason: 'InvalidToken' })]);
  });

  it('numbers notifications per connection across the 2^32 wrap, skipping 0, and still names the rejected one after it', async () => {
    const first = 0xffff_fff0;
    const transport = new BinaryTransport(binaryConfig(mock, { maxConnections: 1 }), { onFeedback: () => undefined }, { firstIdentifier: first });
    const sink = new RecordingSink();
    const message = prepare({ alert: 'wrap' });
    const deliveries = Array.from({ length: 40 }, (_, i) => delivery(tokenFor(i, 7), message, sink));
    // The 26th goes out as identifier 10: 16 before the wrap (0xfffffff0 … 0xffffffff), then 1, 2, …
    mock.markInvalid(deliveries[25]!.token);

    await offerAll(transport, deliveries);
    await mock.waitForAccepted(39);
    await transport.close(5_000);

    const onFirst = mock.accepted.filter((a) => a.connectionId === mock.accepted[0]!.connectionId);
    const wrapped = [...Array.from({ length: 16 }, (_, i) => first + i), ...Array.from({ length: 9 }, (_, i) => i + 1)];
    expect(onFirst.map((a) => a.identifier)).toEqual(wrapped);
    expect(mock.rejected).toEqual([expect.objectContaining({ identifier: 10, status: 8 })]);
    expect(sink.failures.get(deliveries[25]!)).toEqual([expect.objectContaining({ reason: 'InvalidToken', status: 8 })]);
    expect(sink.failedCount).toBe(1);
    // What followed went out on the next connection, numbered from the start again.
    const onSecond = mock.accepted.slice(25);
    expect(onSecond.map((a) => a.token)).toEqual(deliveries.slice(26).map((d) => d.token));
    expect(onSecond[0]!.identifier).toBe(first);
    expect(transport.stats.unknownIdentifiers).toBe(0);
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

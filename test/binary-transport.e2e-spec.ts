import { MockApnsServer } from '../src/testing/index.js';
import { BinaryTransport } from '../src/transport/binary/binary-transport.js';
import type { Delivery } from '../src/transport/delivery.js';
import { binaryConfig, delivery, offerAll, prepare, RecordingSink, tokenFor } from './binary-transport.fixture.js';

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
});

import { createServer, type Socket } from 'node:net';
import { MockApnsServer, testCredentials } from '../src/testing/index.js';
import { BinaryTransport } from '../src/transport/binary/binary-transport.js';
import type { Delivery } from '../src/transport/delivery.js';
import { binaryConfig, delivery, offerAll, prepare, RecordingLogger, RecordingSink, tokenFor, waitUntil } from './binary-transport.fixture.js';

function countByToken(tokens: readonly string[]): Map<string, number> {
  const seen = new Map<string, number>();
  for (const t of tokens) seen.set(t, (seen.get(t) ?? 0) + 1);
  return seen;
}

/** Resolves once `count` deliveries have failed. */
function waitForFailures(sink: RecordingSink, count: number): Promise<void> {
  return waitUntil(() => sink.failedCount >= count, `${count} deliveries failed (${sink.failedCount} so far)`);
}

describe('BinaryTransport when the gateway misbehaves', () => {
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

  it('keeps retrying with backoff while connections are refused, then delivers everything once the gateway is back', async () => {
    mock.faults.refuseConnections(300);
    const logger = new RecordingLogger();
    const transport = new BinaryTransport(binaryConfig(mock, { logger, reconnect: { baseDelayMs: 50, maxDelayMs: 200 } }), {
      onFeedback: () => undefined,
    });
    const sink = new RecordingSink();
    const message = prepare({ alert: 'after refusal' });
    const deliveries = Array.from({ length: 100 }, (_, i) => delivery(tokenFor(i, 10), message, sink));

    await offerAll(transport, deliveries);
    await mock.waitForAccepted(100);
    await transport.close(5_000);

    expect(mock.counters.refusedConnections).toBeGreaterThan(0);
    expect(logger.lines.some((l) => l.startsWith('warn binary: cannot connect'))).toBe(true);
    const seen = countByToken(mock.accepted.map((a) => a.token));
    expect(seen.size).toBe(100);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(sink.failedCount).toBe(0);
  });

  it('respects backpressure from a slow gateway: the queue stays bounded and everything arrives once', async () => {
    mock.faults.slowReads({ pauseMs: 5, everyBytes: 16 * 1024 });
    const transport = new BinaryTransport(binaryConfig(mock, { maxConnections: 2, queueSize: 500 }), { onFeedback: () => undefined });
    const sink = new RecordingSink();
    const message = prepare({ alert: 'slow '.repeat(100) });
    const deliveries = Array.from({ length: 6_000 }, (_, i) => delivery(tokenFor(i, 11), message, sink));

    let maxQueued = 0;
    for (const d of deliveries) {
      if (!transport.offer(d)) await transport.whenWritable();
      maxQueued = Math.max(maxQueued, transport.stats.pool.queued);
    }
    await mock.waitForAccepted(6_000, 20_000);
    await transport.close(5_000);

    expect(maxQueued).toBeLessThanOrEqual(500);
    expect(mock.counters.readPauses).toBeGreaterThan(0);
    expect(transport.stats.drainWaits).toBeGreaterThan(0);
    const seen = countByToken(mock.accepted.map((a) => a.token));
    expect(seen.size).toBe(6_000);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
  });

  it("resends what was written just before a drop without an error response (uncertainWindow 'resend'), and counts it", async () => {
    mock.faults.binaryCloseAfter(300, { connections: 1 });
    // A window far longer than the test, so a loaded machine cannot push a write out of it.
    const transport = new BinaryTransport(binaryConfig(mock, { maxConnections: 1, binary: { uncertainWindowMs: 60_000 } }), {
      onFeedback: () => undefined,
    });
    const sink = new RecordingSink();
    const message = prepare({ alert: 'dropped' });
    const deliveries = Array.from({ length: 1_000 }, (_, i) => delivery(tokenFor(i, 12), message, sink));

    await offerAll(transport, deliveries);
    await mock.waitFor(() => countByToken(mock.accepted.map((a) => a.token)).size === 1_000);
    await transport.close(5_000);

    const seen = countByToken(mock.accepted.map((a) => a.token));
    const duplicates = mock.accepted.length - seen.size;
    expect(seen.size).toBe(1_000);
    expect(sink.failedCount).toBe(0);
    expect(transport.stats.resentUncertain).toBeGreaterThan(0);
    // At-least-once: only what was resent can have arrived twice (the 300 the gateway took before closing).
    expect(duplicates).toBe(300);
    expect(duplicates).toBeLessThanOrEqual(transport.stats.resentUncertain);
    expect([...seen.values()].every((n) => n <= 2)).toBe(true);
  });

  it("fails what was written just before a drop without an error response with ConnectionLost (uncertainWindow 'fail'), and counts it", async () => {
    mock.faults.binaryCloseAfter(300, { connections: 1 });
    const transport = new BinaryTransport(binaryConfig(mock, { maxConnections: 1, binary: { uncertainWindow: 'fail', uncertainWindowMs: 60_000 } }), {
      onFeedback: () => undefined,
    });
    const sink = new RecordingSink();
    const message = prepare({ alert: 'dropped' });
    const deliveries = Array.from({ length: 1_000 }, (_, i) => delivery(tokenFor(i, 13), message, sink));

    await offerAll(transport, deliveries);
    await mock.waitForAccepted(300);
    await transport.close(5_000);

    const seen = countByToken(mock.accepted.map((a) => a.token));
    // At-most-once: nothing arrives twice; whatever did not arrive failed, with the reason.
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(transport.stats.failedUncertain).toBe(sink.failedCount);
    expect(sink.failedCount).toBeGreaterThan(0);
    for (const d of deliveries) {
      const failures = sink.failures.get(d);
      if (!seen.has(d.token)) expect(failures).toHaveLength(1);
      if (failures) {
        expect(failures).toHaveLength(1);
        expect(failures[0]).toMatchObject({ reason: 'ConnectionLost', source: 'binary' });
        expect(failures[0]!.message).toContain('may or may not have been delivered');
      }
    }
  });

  it('resends, whatever their age, the notifications a slow gateway had not read yet when it closed without an error response', async () => {
    // The gateway reads 32 KiB every 300 ms: frames wait in the socket buffers far longer than uncertainWindowMs.
    mock.faults.slowReads({ pauseMs: 300, everyBytes: 32 * 1024 });
    mock.faults.binaryCloseAfter(600, { connections: 1 });
    const logger = new RecordingLogger();
    // Default window: 200 ms or the last 6 MiB handed to the kernel.
    const transport = new BinaryTransport(binaryConfig(mock, { maxConnections: 1, logger }), { onFeedback: () => undefined });
    const sink = new RecordingSink();
    const message = prepare({ alert: 'slow '.repeat(40) });
    const deliveries = Array.from({ length: 1_500 }, (_, i) => delivery(tokenFor(i, 18), message, sink));

    await offerAll(transport, deliveries);
    await mock.waitFor(() => mock.counters.binaryFaultCloses >= 1, 20_000);
    mock.faults.slowReads(null);
    await mock.waitFor(() => countByToken(mock.accepted.map((a) => a.token)).size === 1_500, 20_000);
    await transport.close(5_000);

    const seen = countByToken(mock.accepted.map((a) => a.token));
    expect(sink.failedCount).toBe(0);
    expect(mock.counters.readPauses).toBeGreaterThan(0);
    // The 900 the gateway never processed were sent again, and so were some it had: at-least-once, counted.
    expect(transport.stats.resentUncertain).toBeGreaterThanOrEqual(900);
    expect(mock.accepted.length - seen.size).toBeLessThanOrEqual(transport.stats.resentUncertain - 900);
    expect([...seen.values()].every((n) => n <= 2)).toBe(true);
    expect(logger.lines.some((l) => l.startsWith('warn ') && l.includes('whatever their age') && l.includes('again (at-least-once)'))).toBe(true);
  });

  it('at close(), fails with Shutdown what a slow gateway may not have read yet, however long ago it was written: nothing reported accepted is missing', async () => {
    // The gateway reads 16 KiB every 500 ms: after the writes, frames wait in the socket buffers for seconds.
    mock.faults.slowReads({ pauseMs: 500, everyBytes: 16 * 1024 });
    const transport = new BinaryTransport(binaryConfig(mock, { maxConnections: 1 }), { onFeedback: () => undefined });
    const sink = new RecordingSink();
    const message = prepare({ alert: 'slow '.repeat(40) });
    const deliveries = Array.from({ length: 600 }, (_, i) => delivery(tokenFor(i, 22), message, sink));

    await offerAll(transport, deliveries);
    await waitUntil(() => transport.stats.pool.inFlight === 0 && transport.stats.pool.queued === 0, 'everything is in the kernel');
    // Quiet for longer than uncertainWindowMs: age says nothing here, bytes do.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await transport.close(500);

    const atMock = new Set(mock.accepted.map((a) => a.token));
    expect(atMock.size).toBeLessThan(600);
    const acceptedNotFailed = deliveries.filter((d) => !sink.failures.has(d));
    expect(acceptedNotFailed.filter((d) => !atMock.has(d.token)).map((d) => d.token)).toEqual([]);
    for (const [, failures] of sink.failures) expect(failures).toEqual([expect.objectContaining({ reason: 'Shutdown' })]);
    expect(transport.stats.unconfirmedAtShutdown).toBe(sink.failedCount);
    // Our side was ended, not reset: the kernel still delivers what it held, and the mock reads it all in the end.
    mock.faults.slowReads(null);
    await mock.waitFor(() => mock.binaryConnectionEnds.length === 1, 20_000);
    expect(new Set(mock.accepted.map((a) => a.token)).size).toBe(600);
  });

  it('counts and logs the notifications that left a sent buffer too small for the uncertain window, so a later drop is never silent', async () => {
    mock.faults.binaryCloseAfter(300, { connections: 1 });
    const logger = new RecordingLogger();
    const transport = new BinaryTransport(
      binaryConfig(mock, { maxConnections: 1, logger, binary: { sentBufferSize: 50, uncertainWindowMs: 60_000 } }),
      { onFeedback: () => undefined },
    );
    const sink = new RecordingSink();
    const message = prepare({ alert: 'small buffer' });
    const deliveries = Array.from({ length: 2_000 }, (_, i) => delivery(tokenFor(i, 19), message, sink));

    await offerAll(transport, deliveries);
    await mock.waitFor(() => mock.counters.binaryFaultCloses >= 1);
    await waitUntil(() => transport.stats.pool.queued === 0 && transport.stats.pool.inFlight === 0, 'everything is written');
    // A graceful close: the mock reads all that is left before it confirms.
    await transport.close(5_000);

    const seen = countByToken(mock.accepted.map((a) => a.token));
    const lost = deliveries.filter((d) => !seen.has(d.token) && !sink.failures.has(d));
    // The buffer could not keep what the window asks for: whatever got lost was counted on the way out and logged.
    expect(transport.stats.evictedUncertain).toBeGreaterThan(0);
    expect(lost.length).toBeGreaterThan(0);
    expect(lost.length).toBeLessThanOrEqual(transport.stats.evictedUncertain);
    expect(logger.lines.some((l) => l.startsWith('warn ') && l.includes('binary.sentBufferSize 50') && l.includes('evictedUncertain'))).toBe(true);
    expect(logger.lines.some((l) => l.startsWith('error ') && l.includes('may have been lost without a report'))).toBe(true);
  });

  it('on status 10 naming identifier 0 (nothing processed yet) sends everything again, without calling it an unknown identifier', async () => {
    mock.faults.binaryCloseAfter(0, { status: 10, connections: 1 });
    const logger = new RecordingLogger();
    const transport = new BinaryTransport(binaryConfig(mock, { maxConnections: 1, logger }), { onFeedback: () => undefined });
    const sink = new RecordingSink();
    const message = prepare({ alert: 'early shutdown' });
    const deliveries = Array.from({ length: 50 }, (_, i) => delivery(tokenFor(i, 20), message, sink));

    await offerAll(transport, deliveries);
    await mock.waitForAccepted(50);
    await transport.close(5_000);

    const seen = countByToken(mock.accepted.map((a) => a.token));
    expect(seen.size).toBe(50);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(sink.failedCount).toBe(0);
    expect(transport.stats).toMatchObject({ errorResponses: 1, unknownIdentifiers: 0, presumedLost: 0 });
    expect(logger.lines.filter((l) => l.startsWith('error '))).toEqual([]);
    expect(logger.lines.some((l) => l.includes('sentBufferSize'))).toBe(false);
  });

  it('opens connections ever more slowly while the gateway rejects the first notification of each (a rejection storm)', async () => {
    const logger = new RecordingLogger();
    const baseDelayMs = 40;
    const maxDelayMs = 160;
    const transport = new BinaryTransport(binaryConfig(mock, { logger, reconnect: { baseDelayMs, maxDelayMs } }), { onFeedback: () => undefined });
    const sink = new RecordingSink();
    const message = prepare({ alert: 'storm' });
    const invalid = Array.from({ length: 12 }, (_, i) => delivery(tokenFor(i, 21), message, sink));
    for (const d of invalid) mock.markInvalid(d.token);
    const valid = Array.from({ length: 20 }, (_, i) => delivery(tokenFor(i + 100, 21), message, sink));

    const startedAt = Date.now();
    await offerAll(transport, [...invalid, ...valid]);
    await waitForFailures(sink, invalid.length);
    const stormMs = Date.now() - startedAt;
    await mock.waitForAccepted(valid.length);
    await transport.close(5_000);

    for (const d of invalid) expect(sink.failures.get(d)).toEqual([expect.objectContaining({ reason: 'InvalidToken', status: 8 })]);
    expect(countByToken(mock.accepted.map((a) => a.token)).size).toBe(valid.length);
    // Each rejection cost a connection that delivered nothing; from the second on, each next open
    // waited at least half of base × 2^n (capped): 20 + 40 + 80 × 9 ms before the 12th rejection.
    expect(mock.counters.binaryConnections).toBeGreaterThanOrEqual(invalid.length);
    let floor = 0;
    for (let n = 0; n < invalid.length - 1; n++) floor += Math.min(maxDelayMs, baseDelayMs * 2 ** n) / 2;
    expect(stormMs).toBeGreaterThanOrEqual(floor);
    expect(logger.lines.filter((l) => l.includes('ended without delivering anything')).length).toBeGreaterThanOrEqual(invalid.length - 1);
  });

  it('takes what was written before the uncertain window as delivered, and resends only what falls inside it (time only)', async () => {
    let clock = 1_000_000;
    mock.faults.binaryCloseAfter(150, { connections: 1 });
    // No byte allowance: this test is about age alone.
    const transport = new BinaryTransport(binaryConfig(mock, { maxConnections: 1, now: () => clock, binary: { uncertainWindowMs: 1_000, uncertainWindowBytes: 0 } }), {
      onFeedback: () => undefined,
    });
    const sink = new RecordingSink();
    const message = prepare({ alert: 'window' });
    const early = Array.from({ length: 100 }, (_, i) => delivery(tokenFor(i, 16), message, sink));
    const late = Array.from({ length: 50 }, (_, i) => delivery(tokenFor(i + 100, 16), message, sink));

    await offerAll(transport, early);
    await mock.waitForAccepted(100);
    clock += 5_000;
    await offerAll(transport, late);
    await mock.waitForAccepted(200);
    await transport.close(5_000);

    const seen = countByToken(mock.accepted.map((a) => a.token));
    for (const d of early) expect(seen.get(d.token)).toBe(1);
    for (const d of late) expect(seen.get(d.token)).toBe(2);
    expect(transport.stats.resentUncertain).toBe(50);
  });

  it('gives up on a notification whose connection keeps dying under it once it was written retry.attempts times, with ConnectionLost', async () => {
    // The gateway takes one notification per connection and drops it: the doomed one, every time.
    mock.faults.binaryCloseAfter(1);
    const transport = new BinaryTransport(binaryConfig(mock, { maxConnections: 1, retry: { attempts: 2 } }), { onFeedback: () => undefined });
    const sink = new RecordingSink();
    const d = delivery(tokenFor(1, 14), prepare({ alert: 'doomed' }), sink);

    transport.offer(d);
    await waitForFailures(sink, 1);
    await transport.close(1_000);

    // retry.attempts is the total number of attempts, the first one included.
    expect(sink.failures.get(d)).toHaveLength(1);
    const error = sink.failures.get(d)![0]!;
    expect(error).toMatchObject({ reason: 'ConnectionLost', attempts: 2 });
    expect(error.message).toContain('after 2 attempts');
    expect(transport.stats.failedResendLimit).toBe(1);
    expect(mock.accepted.filter((a) => a.token === d.token)).toHaveLength(2);
  });
});

describe('BinaryTransport timeouts', () => {
  it('fails sends with a connect timeout when the server never completes the TLS handshake', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const mock = { gateway: `127.0.0.1:${port}`, feedbackGateway: `127.0.0.1:${port}` } as MockApnsServer;
    const transport = new BinaryTransport(
      binaryConfig(mock, { connectTimeoutMs: 100, reconnect: { baseDelayMs: 20, maxDelayMs: 50, giveUpAfterMs: 300 } }),
      { onFeedback: () => undefined },
    );
    const sink = new RecordingSink();
    transport.offer(delivery(tokenFor(1, 17), prepare({ alert: 'nobody home' }), sink));

    await waitForFailures(sink, 1);
    await transport.close(500);
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => silent.close(resolve));

    const [error] = [...sink.failures.values()][0]!;
    expect(error).toMatchObject({ reason: 'ConnectionError', attempts: 0 });
    expect(error!.message).toContain('CONNECT_TIMEOUT');
  });
});

describe('BinaryTransport with bad credentials', () => {
  let mock: MockApnsServer;

  beforeAll(async () => {
    mock = await MockApnsServer.start();
  });

  afterAll(async () => {
    await mock.stop();
  });

  async function sendAndCollectFailures(transport: BinaryTransport, count: number): Promise<RecordingSink> {
    const sink = new RecordingSink();
    const message = prepare({ alert: 'never' });
    const deliveries: Delivery[] = Array.from({ length: count }, (_, i) => delivery(tokenFor(i, 15), message, sink));
    await offerAll(transport, deliveries);
    await waitForFailures(sink, count);
    await transport.close(1_000);
    return sink;
  }

  it('fails every send at once with a clear reason when the gateway rejects an expired client certificate', async () => {
    const logger = new RecordingLogger();
    const transport = new BinaryTransport(
      binaryConfig(mock, { logger, tls: { cert: testCredentials.expiredClientCert, key: testCredentials.expiredClientKey } }),
      { onFeedback: () => undefined },
    );
    const sink = await sendAndCollectFailures(transport, 5);

    expect(sink.acceptedCalls).toBe(0);
    for (const [, failures] of sink.failures) {
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatchObject({ reason: 'ConnectionError', source: 'binary', retryable: false, attempts: 0 });
      expect(failures[0]!.message).toMatch(/client certificate/);
    }
    expect(mock.counters.tlsErrors).toBeGreaterThan(0);
    expect(mock.counters.accepted).toBe(0);
  });

  it('fails every send with a clear reason when the server certificate is not trusted', async () => {
    const transport = new BinaryTransport(binaryConfig(mock, { tls: { ca: [testCredentials.untrustedCa] } }), { onFeedback: () => undefined });
    const sink = await sendAndCollectFailures(transport, 3);

    for (const [, failures] of sink.failures) {
      expect(failures[0]).toMatchObject({ reason: 'ConnectionError', retryable: false });
      expect(failures[0]!.message).toMatch(/server certificate is not trusted/);
    }
  });

  it('fails every send when the key passphrase is wrong, without printing the passphrase', async () => {
    const transport = new BinaryTransport(
      binaryConfig(mock, { tls: { key: testCredentials.clientKeyEncrypted, passphrase: 'not-the-passphrase' } }),
      { onFeedback: () => undefined },
    );
    const sink = await sendAndCollectFailures(transport, 2);

    for (const [, failures] of sink.failures) {
      expect(failures[0]).toMatchObject({ reason: 'ConnectionError', retryable: false });
      expect(failures[0]!.message).toMatch(/passphrase/);
      expect(failures[0]!.message).not.toContain('not-the-passphrase');
      expect(failures[0]!.message).not.toContain(testCredentials.clientKeyPassphrase);
    }
  });
});

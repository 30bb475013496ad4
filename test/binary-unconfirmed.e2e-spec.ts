import { encodeErrorResponse } from '../src/codec/binary-frame.js';
import { BinaryStatus } from '../src/codec/reasons.js';
import { BinaryTransport } from '../src/transport/binary/binary-transport.js';
import { binaryConfig, delivery, offerAll, prepare, RecordingLogger, RecordingSink, tokenFor, waitUntil } from './binary-transport.fixture.js';
import { ScriptedBinaryGateway } from './scripted-binary-gateway.fixture.js';

// Gateways the mock never imitates on purpose, each a small TLS server in the
// test (real TLS on 127.0.0.1): one that never closes its side when we close
// ours, one that stops reading, one restarting under our first connections, one
// that cuts its error response short or answers garbage.

const hooks = { onFeedback: () => undefined };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('BinaryTransport against a gateway that never confirms our close', () => {
  let gateway: ScriptedBinaryGateway;

  beforeEach(async () => {
    gateway = await ScriptedBinaryGateway.start({ holdOpen: true });
  });
  afterEach(async () => {
    await gateway.stop();
  });

  it('at close() sends nothing twice: what it cannot tell was read fails once with Shutdown, saying it may have been delivered', async () => {
    const logger = new RecordingLogger();
    const transport = new BinaryTransport(binaryConfig(gateway.asMock, { maxConnections: 1, logger }), hooks);
    const sink = new RecordingSink();
    const deliveries = Array.from({ length: 100 }, (_, i) => delivery(tokenFor(i, 30), prepare({ alert: 'quiet' }), sink));

    await offerAll(transport, deliveries);
    await waitUntil(() => gateway.frames.length === 100, 'the gateway read all 100');
    await sleep(400);
    await transport.close(1_000);

    // A gateway still working slowly through its buffers looks the same as this one: no guessing.
    expect([...gateway.counts().values()]).toEqual(Array<number>(100).fill(1));
    expect(gateway.connections).toBe(1);
    for (const d of deliveries) {
      expect(sink.failures.get(d)).toEqual([expect.objectContaining({ reason: 'Shutdown' })]);
      expect(sink.failures.get(d)![0]!.message).toContain('may or may not have been delivered');
    }
    expect(transport.stats).toMatchObject({ resentUncertain: 0, unconfirmedAtShutdown: 100 });
    expect(logger.lines.some((l) => l.includes('again (at-least-once)'))).toBe(false);
  });

  it('on an idle close that the gateway never confirms, logs and counts it and sends nothing again (no reconnect cycle)', async () => {
    const logger = new RecordingLogger();
    const transport = new BinaryTransport(
      binaryConfig(gateway.asMock, { maxConnections: 1, logger, idleTimeoutMs: 300, binary: { closeLingerMs: 200 } }),
      hooks,
    );
    const sink = new RecordingSink();
    const deliveries = Array.from({ length: 50 }, (_, i) => delivery(tokenFor(i, 31), prepare({ alert: 'idle' }), sink));

    await offerAll(transport, deliveries);
    await waitUntil(() => logger.lines.some((l) => l.includes('did not close within 200 ms')), 'the idle close timed out');
    await waitUntil(() => transport.stats.pool.connections === 0, 'the connection is gone');
    // Time for a resend to show, had there been one (a new connection, frames read twice).
    await sleep(500);
    await transport.close(1_000);

    expect(gateway.connections).toBe(1);
    expect([...gateway.counts().values()]).toEqual(Array<number>(50).fill(1));
    expect(sink.failedCount).toBe(0);
    expect(transport.stats).toMatchObject({ closeTimeouts: 1, resentUncertain: 0 });
  });
});

describe('BinaryTransport against a gateway that stops reading', () => {
  let gateway: ScriptedBinaryGateway;

  beforeEach(async () => {
    // Reads about 14 MB, then nothing: the rest waits in node's and both kernels' buffers.
    gateway = await ScriptedBinaryGateway.start({ holdOpen: true, afterFrames: { count: 12_000, pause: true } });
  });
  afterEach(async () => {
    await gateway.stop();
  });

  const big = () => prepare({ alert: 'x'.repeat(1_100) });

  it('keeps a connection with frames still in node’s buffer out of the idle close, and delivers them once the gateway reads again', async () => {
    const logger = new RecordingLogger();
    const transport = new BinaryTransport(
      binaryConfig(gateway.asMock, { maxConnections: 1, logger, idleTimeoutMs: 300, binary: { closeLingerMs: 200 } }),
      hooks,
    );
    const sink = new RecordingSink();
    const message = big();
    const deliveries = Array.from({ length: 24_000 }, (_, i) => delivery(tokenFor(i, 32), message, sink));

    const offering = offerAll(transport, deliveries);
    await waitUntil(() => gateway.frames.length >= 12_000, 'the gateway stopped reading');
    await waitUntil(() => transport.stats.pool.inFlight > 0, 'frames wait in node');
    const inFlightWhileStalled = transport.stats.pool.inFlight;
    // Several idle periods pass without a write: still not idle, it holds frames nobody took.
    await sleep(1_000);
    expect(logger.lines.filter((l) => l.includes('idle for'))).toEqual([]);
    expect(transport.stats.pool.connections).toBe(1);
    gateway.resumeReading();
    await offering;
    await waitUntil(() => gateway.frames.length >= 24_000, 'the gateway read everything', 30_000);
    await waitUntil(() => transport.stats.pool.inFlight === 0, 'node handed everything to the kernel');
    // Idle now, and closed by the pool: this gateway never confirms, and the quiet connection counts as delivered.
    await waitUntil(() => transport.stats.closeTimeouts === 1, 'the idle close timed out');
    await transport.close(1_000);

    expect(inFlightWhileStalled).toBeGreaterThan(0);
    expect(gateway.connections).toBe(1);
    expect(gateway.counts().size).toBe(24_000);
    expect(sink.failedCount).toBe(0);
  });

  it('when close() cuts it, fails what the gateway may not have read with Shutdown, resends nothing, and every notification not failed was read', async () => {
    const logger = new RecordingLogger();
    // A byte allowance well above what this machine's socket buffers can hold (about 5 MB measured), so the
    // test does not hang on how large they grow here; the default is exercised against the mock.
    const transport = new BinaryTransport(
      binaryConfig(gateway.asMock, { maxConnections: 1, logger, binary: { uncertainWindowBytes: 12 * 1024 * 1024 } }),
      hooks,
    );
    const sink = new RecordingSink();
    const message = big();
    const deliveries = Array.from({ length: 24_000 }, (_, i) => delivery(tokenFor(i, 33), message, sink));

    void offerAll(transport, deliveries);
    await waitUntil(() => gateway.frames.length >= 12_000, 'the gateway stopped reading');
    await waitUntil(() => transport.stats.pool.inFlight > 0, 'frames wait in node');
    await transport.close(500);

    const read = gateway.counts();
    const failures = [...sink.failures.values()];
    expect(failures.every((list) => list.length === 1 && list[0]!.reason === 'Shutdown')).toBe(true);
    // Nothing accepted-and-not-failed is missing at the gateway: the uncertain window covered what it had not read.
    const acceptedNotFailed = deliveries.filter((d) => sink.acceptedTimes.has(d) && !sink.failures.has(d));
    expect(acceptedNotFailed.length).toBeGreaterThan(0);
    expect(acceptedNotFailed.filter((d) => !read.has(d.token)).map((d) => d.token)).toEqual([]);
    // Every delivery ended: accepted and read, or failed once.
    expect(deliveries.filter((d) => !read.has(d.token) && !sink.failures.has(d)).map((d) => d.token)).toEqual([]);
    // Counted as what it is, not as a resend; and no new connection during the shutdown.
    expect(transport.stats.resentUncertain).toBe(0);
    expect(transport.stats.unconfirmedAtShutdown).toBeGreaterThan(0);
    expect(logger.lines.some((l) => l.includes('again (at-least-once)'))).toBe(false);
    expect(gateway.connections).toBe(1);
  });
});

describe('BinaryTransport against a gateway restarting under its first connections', () => {
  it('takes connections opened side by side and closed right after their handshake as one strike, not as a rejected certificate', async () => {
    // The first two connections are cut as soon as their handshake ends; later ones are served.
    const gateway = await ScriptedBinaryGateway.start({ dropAfterHandshake: { first: 2 } });
    const logger = new RecordingLogger();
    const transport = new BinaryTransport(binaryConfig(gateway.asMock, { logger, maxConnections: 4 }), hooks);
    const sink = new RecordingSink();
    const message = prepare({ alert: 'restart' });
    const deliveries = Array.from({ length: 600 }, (_, i) => delivery(tokenFor(i, 34), message, sink));

    // Two offers a turn apart: the pool starts a second open while the first is still under way.
    transport.offer(deliveries[0]!);
    await new Promise((resolve) => setImmediate(resolve));
    await offerAll(transport, deliveries.slice(1));
    await waitUntil(() => gateway.frames.length >= 600 || sink.failedCount > 0, 'everything arrived or failed');
    await transport.close(1_000);
    await gateway.stop();

    expect(sink.failedCount).toBe(0);
    expect(gateway.counts().size).toBe(600);
    expect(gateway.connections).toBeGreaterThanOrEqual(3);
    expect(logger.lines.some((l) => l.includes('CLIENT_CERTIFICATE_REJECTED'))).toBe(false);
  });
});

describe('BinaryTransport against a gateway whose reply cannot be read', () => {
  // No window at all: only the rule for an unreadable answer can keep these notifications.
  const noWindow = { uncertainWindowMs: 0, uncertainWindowBytes: 0 };

  it.each([
    ['cut short in the middle of an error response', Buffer.from([8, BinaryStatus.InvalidToken, 0]), 'byte(s) into an error response'],
    ['with a byte that is no error response', Buffer.from([0x99]), 'unreadable reply'],
  ])('sends everything it held again when the gateway answers %s', async (_what, reply, logged) => {
    const gateway = await ScriptedBinaryGateway.start({ afterFrames: { count: 50, reply, connections: 1 } });
    const logger = new RecordingLogger();
    const transport = new BinaryTransport(binaryConfig(gateway.asMock, { maxConnections: 1, logger, binary: noWindow }), hooks);
    const sink = new RecordingSink();
    const message = prepare({ alert: 'garbled' });
    const deliveries = Array.from({ length: 200 }, (_, i) => delivery(tokenFor(i, 35), message, sink));

    await offerAll(transport, deliveries);
    await waitUntil(() => gateway.counts().size === 200, 'every notification reached the gateway');
    await transport.close(1_000);
    await gateway.stop();

    expect(sink.failedCount).toBe(0);
    expect(transport.stats.resentUncertain).toBeGreaterThanOrEqual(150);
    expect(logger.lines.some((l) => l.startsWith('warn ') && l.includes(logged))).toBe(true);
  });
});

describe('BinaryTransport against a gateway that names an identifier the connection does not hold', () => {
  it('names one it never wrote: counted, logged as such, and everything held goes out again', async () => {
    const gateway = await ScriptedBinaryGateway.start({ afterFrames: { count: 50, reply: encodeErrorResponse(BinaryStatus.InvalidToken, 0x7fff_0000), connections: 1 } });
    const logger = new RecordingLogger();
    const transport = new BinaryTransport(binaryConfig(gateway.asMock, { maxConnections: 1, logger }), hooks);
    const sink = new RecordingSink();
    const deliveries = Array.from({ length: 100 }, (_, i) => delivery(tokenFor(i, 36), prepare({ alert: 'garbage id' }), sink));

    await offerAll(transport, deliveries);
    await waitUntil(() => gateway.counts().size === 100, 'every notification reached the gateway');
    await transport.close(1_000);
    await gateway.stop();

    expect(transport.stats).toMatchObject({ errorResponses: 1, unknownIdentifiers: 1, presumedLost: 0, rejectedByGateway: 0 });
    expect(transport.stats.resentAfterError).toBe(100);
    expect(sink.failedCount).toBe(0);
    expect(logger.lines.some((l) => l.startsWith('error ') && l.includes(`names identifier ${0x7fff_0000}, which this connection never wrote`))).toBe(true);
  });

  it('names one that had left the buffer as processed: the ones between it and the oldest held are counted as presumed lost, with the window to raise', async () => {
    // A clock that moves 1 ms per reading and no byte allowance: every flush lets go of the previous ones.
    let clock = 1_000_000;
    const gateway = await ScriptedBinaryGateway.start({ afterFrames: { count: 1_000, reply: encodeErrorResponse(BinaryStatus.InvalidToken, 1), connections: 1 } });
    const logger = new RecordingLogger();
    const transport = new BinaryTransport(
      binaryConfig(gateway.asMock, { maxConnections: 1, logger, now: () => clock++, binary: { uncertainWindowMs: 0, uncertainWindowBytes: 0 } }),
      hooks,
    );
    const sink = new RecordingSink();
    const deliveries = Array.from({ length: 1_000 }, (_, i) => delivery(tokenFor(i, 37), prepare({ alert: 'late answer' }), sink));

    await offerAll(transport, deliveries);
    await waitUntil(() => transport.stats.errorResponses === 1, 'the late error response arrived');
    await transport.close(1_000);
    await gateway.stop();

    const stats = transport.stats;
    expect(stats).toMatchObject({ unknownIdentifiers: 1, rejectedByGateway: 0 });
    // Identifier 1 is the first one written; of the 999 after it, what was still held went out again, the rest is counted.
    expect(stats.presumedLost).toBeGreaterThan(0);
    expect(stats.presumedLost + stats.resentAfterError).toBe(999);
    const line = logger.lines.find((l) => l.startsWith('error ') && l.includes('names identifier 1,'));
    expect(line).toContain('raise binary.uncertainWindowMs or binary.uncertainWindowBytes');
    expect(line).toContain(`The ${stats.presumedLost} notification(s) written after it`);
  });
});

import { connect as netConnect } from 'node:net';
import { MockApnsServer } from '../src/testing/index.js';
import { connectTls, expectTlsFailure, TOKEN, TOKEN_2 } from './mock-test-clients.js';

/** One tuple written out by hand: u32 BE seconds, u16 BE token length, token bytes. */
function tuple(seconds: number, tokenHex: string): Buffer {
  const token = Buffer.from(tokenHex, 'hex');
  const head = Buffer.alloc(6);
  head.writeUInt32BE(seconds, 0);
  head.writeUInt16BE(token.length, 4);
  return Buffer.concat([head, token]);
}

describe('MockApnsServer feedback service', () => {
  let mock: MockApnsServer;

  afterEach(async () => {
    await mock.stop();
  });

  it('serves the queued tuples, closes, and has forgotten them on the next connection', async () => {
    mock = await MockApnsServer.start();
    mock.queueFeedback(TOKEN.toUpperCase(), new Date('2024-01-02T03:04:05.678Z'));
    mock.queueFeedback(TOKEN_2, new Date(1_000_000_000_000));
    expect(mock.pendingFeedback).toBe(2);
    const first = await connectTls(mock.feedbackPort);
    const bytes = await first.closed;
    expect(bytes).toEqual(Buffer.concat([tuple(1704164645, TOKEN), tuple(1_000_000_000, TOKEN_2)]));
    expect(bytes.subarray(0, 6)).toEqual(Buffer.from([0x65, 0x93, 0x7d, 0x25, 0x00, 0x20]));
    expect(mock.pendingFeedback).toBe(0);
    const second = await connectTls(mock.feedbackPort);
    expect(await second.closed).toEqual(Buffer.alloc(0));
    expect(mock.counters).toMatchObject({ feedbackConnections: 2, feedbackTuples: 2 });
  });

  it('keeps tokens of any length', async () => {
    mock = await MockApnsServer.start();
    const long = 'ab'.repeat(100);
    mock.queueFeedback(long, new Date(5000));
    const c = await connectTls(mock.feedbackPort);
    expect(await c.closed).toEqual(tuple(5, long));
  });

  it('writes in chunks of feedbackChunkSize bytes', async () => {
    mock = await MockApnsServer.start({ feedbackChunkSize: 5 });
    for (let i = 0; i < 3; i++) mock.queueFeedback(TOKEN, new Date(i * 1000));
    const c = await connectTls(mock.feedbackPort);
    const sizes: number[] = [];
    c.socket.on('data', (chunk: Buffer) => sizes.push(chunk.length));
    const bytes = await c.closed;
    expect(bytes).toEqual(Buffer.concat([tuple(0, TOKEN), tuple(1, TOKEN), tuple(2, TOKEN)]));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(5);
    expect(sizes.length).toBe(Math.ceil(bytes.length / 5));
  });

  it('waits feedbackChunkDelayMs between chunks', async () => {
    mock = await MockApnsServer.start({ feedbackChunkSize: 38, feedbackChunkDelayMs: 60 });
    for (let i = 0; i < 4; i++) mock.queueFeedback(TOKEN, new Date(i * 1000));
    const c = await connectTls(mock.feedbackPort);
    const arrivals: number[] = [];
    c.socket.on('data', () => arrivals.push(performance.now()));
    const bytes = await c.closed;
    expect(bytes).toEqual(Buffer.concat([0, 1, 2, 3].map((i) => tuple(i, TOKEN))));
    // One tuple per chunk, each at least the delay after the one before (timers never fire early; a little slack for rounding).
    expect(arrivals).toHaveLength(4);
    for (let i = 1; i < arrivals.length; i++) expect(arrivals[i]! - arrivals[i - 1]!).toBeGreaterThanOrEqual(55);
  });

  it('refuses a chunk delay that is negative or that has no chunks to space out', async () => {
    await expect(MockApnsServer.start({ feedbackChunkSize: 5, feedbackChunkDelayMs: -1 })).rejects.toThrow(/feedbackChunkDelayMs must be a non-negative integer/);
    await expect(MockApnsServer.start({ feedbackChunkDelayMs: 10 })).rejects.toThrow(/feedbackChunkDelayMs needs feedbackChunkSize/);
    mock = await MockApnsServer.start({ feedbackChunkSize: 5, feedbackChunkDelayMs: 0 });
  });

  it('feedbackHoldOpen keeps the connection open after the list', async () => {
    mock = await MockApnsServer.start();
    mock.faults.feedbackHoldOpen(true);
    mock.queueFeedback(TOKEN, new Date(7000));
    const c = await connectTls(mock.feedbackPort);
    await new Promise<void>((resolve) => c.socket.on('data', () => c.received().length === 38 && resolve()));
    // Give a close the time to arrive: it must not.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(c.socket.readableEnded).toBe(false);
    expect(c.received()).toEqual(tuple(7, TOKEN));
    c.socket.end();
    await c.closed;
  });

  it('requires a valid client certificate', async () => {
    mock = await MockApnsServer.start();
    mock.queueFeedback(TOKEN, new Date(0));
    await expect(expectTlsFailure(mock.feedbackPort, 'none')).resolves.toEqual(expect.any(String));
    await expect(expectTlsFailure(mock.feedbackPort, 'expired')).resolves.toEqual(expect.any(String));
    expect(mock.pendingFeedback).toBe(1);
  });

  it('survives plain-TCP garbage on its port', async () => {
    mock = await MockApnsServer.start();
    await new Promise<void>((resolve) => {
      const raw = netConnect(mock.feedbackPort, '127.0.0.1', () => raw.end(Buffer.from('\x16\x03\x03\x00\x10not a client hello at all')));
      raw.on('error', () => undefined);
      raw.on('close', () => resolve());
      raw.resume();
    });
    mock.queueFeedback(TOKEN, new Date(2000));
    const c = await connectTls(mock.feedbackPort);
    expect(await c.closed).toEqual(tuple(2, TOKEN));
    expect(mock.counters.tlsErrors).toBe(1);
  });

  it('ignores what a client writes and survives refused connections', async () => {
    mock = await MockApnsServer.start();
    // A queued tuple shows the refusal for what it is: a served connection would have taken it.
    mock.queueFeedback(TOKEN_2, new Date(3000));
    mock.faults.refuseConnections(60_000);
    await expect(expectTlsFailure(mock.feedbackPort, 'valid')).resolves.toEqual(expect.any(String));
    expect(mock.counters.refusedConnections).toBe(1);
    mock.resetFaults();
    const held = await connectTls(mock.feedbackPort);
    expect(await held.closed).toEqual(tuple(3, TOKEN_2));
    mock.queueFeedback(TOKEN, new Date(1000));
    const c = await connectTls(mock.feedbackPort);
    c.socket.write(Buffer.from('garbage the service must ignore'));
    expect(await c.closed).toEqual(tuple(1, TOKEN));
  });
});

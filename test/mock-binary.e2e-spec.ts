import { connect as netConnect } from 'node:net';
import { encodeNotificationFrame } from '../src/codec/binary-frame.js';
import { MockApnsServer } from '../src/testing/index.js';
import { createSeededRandom } from '../src/testing/seeded-random.js';
import { connectTls, expectTlsFailure, TOKEN, TOKEN_2, type RawConnection } from './mock-test-clients.js';

const PAYLOAD = Buffer.from('{"aps":{"alert":"hi"}}');
const frame2 = (identifier: number, tokenHex = TOKEN, payload: Buffer = PAYLOAD, extra: { expiration?: number; priority?: number } = {}) =>
  encodeNotificationFrame(2, { identifier, tokenHex, payload, ...extra });
const frame1 = (identifier: number, tokenHex = TOKEN, expiration = 0) => encodeNotificationFrame(1, { identifier, tokenHex, payload: PAYLOAD, expiration });
const frame0 = (tokenHex = TOKEN) => encodeNotificationFrame(0, { identifier: 0, tokenHex, payload: PAYLOAD });
/** The 6-byte error response, written out by hand: command 8, status, identifier (u32 BE). */
const errorResponse = (status: number, identifier: number) => Buffer.from([8, status, identifier >>> 24, (identifier >>> 16) & 0xff, (identifier >>> 8) & 0xff, identifier & 0xff]);

describe('MockApnsServer binary gateway', () => {
  let mock: MockApnsServer;
  let open: RawConnection[];

  beforeEach(async () => {
    mock = await MockApnsServer.start({ seed: 3 });
    open = [];
  });

  afterEach(async () => {
    for (const c of open) c.socket.destroy();
    await mock.stop();
  });

  async function connect(): Promise<RawConnection> {
    const connection = await connectTls(mock.binaryPort);
    open.push(connection);
    return connection;
  }

  it('accepts command 0, 1 and 2 frames without answering, and records them', async () => {
    const c = await connect();
    c.socket.write(Buffer.concat([frame0(), frame1(7, TOKEN_2, 1_700_000_000), frame2(9, TOKEN, PAYLOAD, { expiration: 0, priority: 5 }), frame2(10)]));
    await mock.waitForAccepted(4);
    c.socket.end();
    expect(await c.closed).toEqual(Buffer.alloc(0));
    expect(mock.accepted.map(({ protocol, token, command, identifier, expiration, priority, connectionId }) => ({ protocol, token, command, identifier, expiration, priority, connectionId }))).toEqual([
      { protocol: 'binary', token: TOKEN, command: 0, identifier: undefined, expiration: undefined, priority: undefined, connectionId: 1 },
      { protocol: 'binary', token: TOKEN_2, command: 1, identifier: 7, expiration: 1_700_000_000, priority: undefined, connectionId: 1 },
      { protocol: 'binary', token: TOKEN, command: 2, identifier: 9, expiration: 0, priority: 5, connectionId: 1 },
      { protocol: 'binary', token: TOKEN, command: 2, identifier: 10, expiration: undefined, priority: undefined, connectionId: 1 },
    ]);
    expect(mock.accepted[0]!.payload).toEqual(PAYLOAD);
    expect(mock.accepted[3]!.json).toEqual({ aps: { alert: 'hi' } });
    expect(mock.counters).toMatchObject({ binaryConnections: 1, accepted: 4, rejected: 0, errorResponses: 0 });
  });

  it('reads frames split across many small writes', async () => {
    const c = await connect();
    const bytes = Buffer.concat([frame2(1), frame1(2), frame2(3)]);
    for (let i = 0; i < bytes.length; i += 7) c.socket.write(bytes.subarray(i, i + 7));
    await mock.waitForAccepted(3);
    expect(mock.accepted.map((a) => a.identifier)).toEqual([1, 2, 3]);
  });

  it.each([
    ['command 2', frame2],
    ['command 1', (id: number, token?: string) => frame1(id, token)],
  ])('answers a token marked invalid with status 8 and its identifier, closes and drops what followed (%s)', async (_name, make) => {
    mock.markInvalid(TOKEN_2.toUpperCase());
    const c = await connect();
    c.socket.write(Buffer.concat([make(1, TOKEN), make(0x01020304, TOKEN_2), make(3, TOKEN)]));
    expect(await c.closed).toEqual(errorResponse(8, 0x01020304));
    expect(mock.accepted.map((a) => a.identifier)).toEqual([1]);
    expect(mock.rejected).toEqual([{ protocol: 'binary', token: TOKEN_2, status: 8, reason: 'InvalidToken', identifier: 0x01020304, connectionId: 1 }]);
    expect(mock.counters.errorResponses).toBe(1);
  });

  it.each([
    ['the binary status it names', { status: 400, reason: 'BadDeviceToken', binaryStatus: 1 }, 1],
    ['the status matching its HTTP/2 reason', { status: 413, reason: 'PayloadTooLarge' }, 7],
    ['status 255 for a reason with no binary counterpart', { status: 403, reason: 'TopicDisallowed' }, 255],
  ])('answers a token scripted with rejectToken with %s', async (_name, answer, status) => {
    mock.rejectToken(TOKEN_2, answer);
    const c = await connect();
    c.socket.write(Buffer.concat([frame2(1), frame2(2, TOKEN_2), frame2(3)]));
    expect(await c.closed).toEqual(errorResponse(status, 2));
    expect(mock.accepted.map((a) => a.identifier)).toEqual([1]);
    expect(mock.rejected).toEqual([expect.objectContaining({ protocol: 'binary', token: TOKEN_2, status, identifier: 2 })]);
  });

  it('refuses a rejectToken script with binary status 10, which names no failed notification', () => {
    expect(() => mock.rejectToken(TOKEN, { status: 503, reason: 'Shutdown', binaryStatus: 10 })).toThrow(/binaryStatus/);
  });

  it('takes notifications for a token marked unregistered and lists the token once on the feedback service', async () => {
    const gone = new Date('2024-05-06T07:08:09Z');
    mock.markUnregistered(TOKEN_2, gone);
    const c = await connect();
    c.socket.write(Buffer.concat([frame2(1, TOKEN_2), frame2(2, TOKEN), frame2(3, TOKEN_2)]));
    await mock.waitForAccepted(3);
    c.socket.end();
    expect(await c.closed).toEqual(Buffer.alloc(0));
    expect(mock.pendingFeedback).toBe(1);
    const feedback = await connectTls(mock.feedbackPort);
    open.push(feedback);
    const tuple = Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 32]), Buffer.from(TOKEN_2, 'hex')]);
    tuple.writeUInt32BE(gone.getTime() / 1000, 0);
    expect(await feedback.closed).toEqual(tuple);
  });

  it('drops the connection without an answer for a bad command-0 frame, as Apple did', async () => {
    mock.markInvalid(TOKEN_2);
    const c = await connect();
    c.socket.write(Buffer.concat([frame0(TOKEN), frame0(TOKEN_2), frame0(TOKEN)]));
    expect(await c.closed).toEqual(Buffer.alloc(0));
    expect(mock.counters).toMatchObject({ accepted: 1, rejected: 1, errorResponses: 0 });
  });

  it.each([
    ['an oversized payload', Buffer.concat([Buffer.from([0, 0, 32]), Buffer.from(TOKEN, 'hex'), Buffer.from([0x08, 0x01]), Buffer.alloc(2049, 0x20)])],
    ['a 101-byte token', Buffer.concat([Buffer.from([0, 0, 101]), Buffer.alloc(101, 0xab), Buffer.from([0, PAYLOAD.length]), PAYLOAD])],
    ['an empty token', Buffer.concat([Buffer.from([0, 0, 0, 0, PAYLOAD.length]), PAYLOAD])],
  ])('drops the connection without an answer for a command-0 frame with %s', async (_name, bad) => {
    const c = await connect();
    c.socket.write(Buffer.concat([frame0(TOKEN), bad, frame0(TOKEN_2)]));
    expect(await c.closed).toEqual(Buffer.alloc(0));
    expect(mock.counters).toMatchObject({ accepted: 1, rejected: 1, errorResponses: 0 });
  });

  it.each([
    ['command 2', Buffer.concat([Buffer.from([2, 0, 0, 0, 3 + 101 + 3 + PAYLOAD.length + 7, 1, 0, 101]), Buffer.alloc(101, 0xab), Buffer.from([2, 0, PAYLOAD.length]), PAYLOAD, Buffer.from([3, 0, 4, 0, 0, 0, 6])])],
    ['command 1', Buffer.concat([Buffer.from([1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 101]), Buffer.alloc(101, 0xab), Buffer.from([0, PAYLOAD.length]), PAYLOAD])],
  ])('answers a token over 100 bytes with status 5 (invalid token size) and the identifier (%s)', async (_name, bad) => {
    const c = await connect();
    c.socket.write(Buffer.concat([frame2(5), bad, frame2(7)]));
    expect(await c.closed).toEqual(errorResponse(5, 6));
    expect(mock.accepted.map((a) => a.identifier)).toEqual([5]);
    expect(mock.rejected[0]).toMatchObject({ status: 5, reason: 'InvalidTokenSize', identifier: 6 });
  });

  it('answers an oversized payload with status 7', async () => {
    const c = await connect();
    c.socket.write(Buffer.concat([frame2(1), frame2(2, TOKEN, Buffer.alloc(2049, 0x20))]));
    expect(await c.closed).toEqual(errorResponse(7, 2));
    expect(mock.rejected[0]).toMatchObject({ status: 7, reason: 'InvalidPayloadSize', identifier: 2 });
  });

  it('takes the payload limit from binaryMaxPayloadBytes', async () => {
    const small = await MockApnsServer.start({ binaryMaxPayloadBytes: 256 });
    try {
      const c = await connectTls(small.binaryPort);
      c.socket.write(Buffer.concat([frame2(1, TOKEN, Buffer.alloc(256, 0x20)), frame2(2, TOKEN, Buffer.alloc(257, 0x20))]));
      expect(await c.closed).toEqual(errorResponse(7, 2));
      expect(small.counters.accepted).toBe(1);
    } finally {
      await small.stop();
    }
  });

  it('answers a frame without a payload item with status 4 and the frame identifier', async () => {
    const token = Buffer.from(TOKEN, 'hex');
    const noPayload = Buffer.concat([Buffer.from([2, 0, 0, 0, 3 + 32 + 7, 1, 0, 32]), token, Buffer.from([3, 0, 4, 0, 0, 0, 9])]);
    const c = await connect();
    c.socket.write(noPayload);
    expect(await c.closed).toEqual(errorResponse(4, 9));
  });

  it('answers an unknown command with status 128 (protocol error)', async () => {
    const c = await connect();
    c.socket.write(Buffer.from([7, 1, 2, 3, 4, 5, 6]));
    expect(await c.closed).toEqual(errorResponse(128, 0));
  });

  describe('binaryCloseAfter', () => {
    it('closes after N notifications without an error response', async () => {
      mock.faults.binaryCloseAfter(2);
      const c = await connect();
      c.socket.write(Buffer.concat([frame2(1), frame2(2), frame2(3), frame2(4)]));
      expect(await c.closed).toEqual(Buffer.alloc(0));
      expect(mock.accepted.map((a) => a.identifier)).toEqual([1, 2]);
      expect(mock.counters).toMatchObject({ binaryFaultCloses: 1, errorResponses: 0, rejected: 0 });
    });

    it('with status 10 (shutdown) names the last notification processed', async () => {
      mock.faults.binaryCloseAfter(2, { status: 10 });
      const c = await connect();
      c.socket.write(Buffer.concat([frame2(11), frame2(12), frame2(13)]));
      expect(await c.closed).toEqual(errorResponse(10, 12));
      expect(mock.accepted.map((a) => a.identifier)).toEqual([11, 12]);
      expect(mock.rejected).toEqual([]);
    });

    it('with status 10 and N = 0 shuts the connection down at once with identifier 0', async () => {
      mock.faults.binaryCloseAfter(0, { status: 10 });
      const c = await connect();
      expect(await c.closed).toEqual(errorResponse(10, 0));
    });

    it('with another status fails the notification after the N-th', async () => {
      mock.faults.binaryCloseAfter(2, { status: 1 });
      const c = await connect();
      c.socket.write(Buffer.concat([frame2(1), frame2(2), frame2(3), frame2(4)]));
      expect(await c.closed).toEqual(errorResponse(1, 3));
      expect(mock.accepted.map((a) => a.identifier)).toEqual([1, 2]);
      expect(mock.rejected).toEqual([expect.objectContaining({ status: 1, reason: 'ProcessingError', identifier: 3 })]);
    });

    it('hits every connection, or only as many as asked', async () => {
      mock.faults.binaryCloseAfter(1, { status: 10, connections: 1 });
      const first = await connect();
      first.socket.write(Buffer.concat([frame2(1), frame2(2)]));
      expect(await first.closed).toEqual(errorResponse(10, 1));
      const second = await connect();
      second.socket.write(Buffer.concat([frame2(3), frame2(4)]));
      await mock.waitForAccepted(3);
      expect(second.socket.destroyed).toBe(false);
      expect(mock.accepted.map((a) => [a.identifier, a.connectionId])).toEqual([
        [1, 1],
        [3, 2],
        [4, 2],
      ]);
    });
  });

  it('slowReads pauses reading so the client has to wait for drain, and still reads everything', async () => {
    mock.faults.slowReads({ pauseMs: 25, everyBytes: 16 * 1024 });
    const c = await connect();
    const frames = Array.from({ length: 4000 }, (_, i) => frame2(i + 1));
    const batch = Buffer.concat(frames);
    let sawBackpressure = false;
    for (let offset = 0; offset < batch.length; offset += 64 * 1024) {
      if (!c.socket.write(batch.subarray(offset, offset + 64 * 1024))) {
        sawBackpressure = true;
        await new Promise((resolve) => c.socket.once('drain', resolve));
      }
    }
    await mock.waitForAccepted(4000, 20_000);
    expect(sawBackpressure).toBe(true);
    expect(mock.counters.readPauses).toBeGreaterThanOrEqual(10);
    mock.faults.slowReads(null);
  });

  describe('client certificates', () => {
    it.each(['none', 'expired', 'untrusted'] as const)('refuses a handshake with client certificate: %s', async (cert) => {
      await expect(expectTlsFailure(mock.binaryPort, cert)).resolves.toEqual(expect.any(String));
      await mock.waitFor(() => mock.counters.tlsErrors === 1);
      expect(mock.counters.binaryConnections).toBe(0);
    });

    it('checks client certificates the same way with TLS 1.2', async () => {
      const strict = await MockApnsServer.start({ maxTlsVersion: 'TLSv1.2' });
      try {
        await expect(expectTlsFailure(strict.binaryPort, 'expired')).resolves.toEqual(expect.any(String));
        const c = await connectTls(strict.binaryPort, 'valid');
        expect(c.socket.getProtocol()).toBe('TLSv1.2');
        c.socket.write(frame2(1));
        await strict.waitForAccepted(1);
        c.socket.destroy();
      } finally {
        await strict.stop();
      }
    });

    it('lets clients without a certificate in when requireClientCert is false', async () => {
      const open = await MockApnsServer.start({ requireClientCert: false });
      try {
        const c = await connectTls(open.binaryPort, 'none');
        c.socket.write(frame2(1));
        await open.waitForAccepted(1);
        c.socket.destroy();
      } finally {
        await open.stop();
      }
    });
  });

  it('dropConnections closes binary connections without an error response', async () => {
    const c = await connect();
    c.socket.write(frame2(1));
    await mock.waitForAccepted(1);
    mock.dropConnections();
    expect(await c.closed).toEqual(Buffer.alloc(0));
    const next = await connect();
    next.socket.write(frame2(2));
    await mock.waitForAccepted(2);
  });

  it('records how each connection ended: silently or with which error response, by the gateway or by the client', async () => {
    mock.faults.binaryCloseAfter(1, { connections: 1 });
    const silent = await connect();
    silent.socket.write(Buffer.concat([frame2(1), frame2(2)]));
    await silent.closed;
    mock.markInvalid(TOKEN_2);
    const rejected = await connect();
    rejected.socket.write(Buffer.concat([frame2(3), frame2(4, TOKEN_2)]));
    await rejected.closed;
    const dropped = await connect();
    dropped.socket.write(frame2(5));
    await mock.waitForAccepted(3);
    mock.dropConnections();
    await dropped.closed;
    const byClient = await connect();
    byClient.socket.write(frame2(6));
    await mock.waitForAccepted(4);
    byClient.socket.end();
    await byClient.closed;
    await mock.waitFor(() => mock.binaryConnectionEnds.length === 4);
    expect([...mock.binaryConnectionEnds].sort((a, b) => a.connectionId - b.connectionId)).toEqual([
      { connectionId: 1, processed: 1, errorStatus: undefined, endedBy: 'server' },
      { connectionId: 2, processed: 1, errorStatus: 8, endedBy: 'server' },
      { connectionId: 3, processed: 1, errorStatus: undefined, endedBy: 'server' },
      { connectionId: 4, processed: 1, errorStatus: undefined, endedBy: 'client' },
    ]);
  });

  it('refuseConnections drops connections for the given time', async () => {
    mock.faults.refuseConnections(60_000);
    await expect(expectTlsFailure(mock.binaryPort, 'valid')).resolves.toEqual(expect.any(String));
    expect(mock.counters.refusedConnections).toBe(1);
    mock.faults.refuseConnections(40);
    await new Promise((resolve) => setTimeout(resolve, 60));
    await connect();
    await mock.waitFor(() => mock.counters.binaryConnections === 1);
  });

  it('survives garbage, TLS or not, and serves the next client', async () => {
    const random = createSeededRandom(42);
    for (let round = 0; round < 5; round++) {
      const garbage = Buffer.from(Array.from({ length: 600 }, () => Math.floor(random() * 256)));
      const c = await connect();
      c.socket.write(garbage);
      const answer = await c.closed;
      expect(answer.length === 0 || (answer.length === 6 && answer[0] === 8)).toBe(true);
    }
    await new Promise<void>((resolve) => {
      const raw = netConnect(mock.binaryPort, '127.0.0.1', () => raw.end(Buffer.from('\x16\x03\x01\x00\x05hello garbage')));
      raw.on('error', () => undefined);
      raw.on('close', () => resolve());
      raw.resume();
    });
    const c = await connect();
    c.socket.write(frame2(99));
    await mock.waitFor(() => mock.accepted.some((a) => a.identifier === 99));
  });
});

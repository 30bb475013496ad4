import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { ApnsClient } from '../src/client/apns-client.js';
import type { ApnsDeliveryError } from '../src/errors/apns-delivery.error.js';
import { MockApnsServer, testCredentials as creds } from '../src/testing/index.js';
import { createSeededRandom } from '../src/testing/seeded-random.js';
import { MODES, optionsFor, tokenFor } from './apns-e2e.fixtures.js';

// The mock server hit with garbage on every port: raw bytes without TLS,
// random bytes over TLS (with and without a client certificate) to the binary
// gateway and the feedback service, and over TLS with ALPN h2 to the HTTP/2 API
// (no preface, a preface then random frames, frames that break the protocol on
// purpose). Afterwards it still serves well-formed clients on every transport.

const SEED = 4_242;
const ROUNDS = 100;
/** Our side's patience with a connection the server keeps open, ms. */
const LINGER_MS = 1_000;

type Rng = () => number;

function randomBytes(random: Rng, n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(random() * 256);
  return out;
}

/** Writes `bytes`, ends our side, and resolves once the socket is closed (destroyed after the linger). */
function sendAndClose(socket: Socket, bytes: Buffer[]): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.resume();
    for (const b of bytes) socket.write(b);
    socket.end();
  });
}

function raw(port: number, bytes: Buffer[]): Promise<void> {
  return new Promise((resolve) => {
    const socket = netConnect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.once('connect', () => void sendAndClose(socket, bytes).then(resolve));
    socket.once('close', () => resolve());
  });
}

function overTls(port: number, options: ConnectionOptions, bytes: Buffer[]): Promise<void> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca: creds.ca, ...options });
    socket.on('error', () => undefined);
    socket.once('secureConnect', () => void sendAndClose(socket, bytes).then(resolve));
    socket.once('close', () => resolve());
  });
}

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

function frame(type: number, flags: number, streamId: number, payload: Buffer, lengthLie?: number): Buffer {
  const header = Buffer.alloc(9);
  const length = lengthLie ?? payload.length;
  header.writeUIntBE(length & 0xffffff, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId >>> 0, 5);
  return Buffer.concat([header, payload]);
}

/** A preface, an empty SETTINGS, then frames that are random or break a rule of RFC 9113 on purpose. */
function h2Garbage(random: Rng): Buffer[] {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
  const frames: Buffer[] = [PREFACE, frame(4, 0, 0, Buffer.alloc(0))];
  const count = 1 + Math.floor(random() * 6);
  for (let i = 0; i < count; i++) {
    const body = randomBytes(random, Math.floor(random() * 64));
    frames.push(
      pick([
        () => frame(Math.floor(random() * 12), Math.floor(random() * 256), Math.floor(random() * 2 ** 31), body),
        () => frame(1, 0x5, 1 + 2 * Math.floor(random() * 100), body), // HEADERS with garbage HPACK
        () => frame(0, 0x1, 0, body), // DATA on stream 0
        () => frame(0, 0x1, 99, body), // DATA on an idle stream
        () => frame(4, 0, 0, randomBytes(random, 7)), // SETTINGS with a length not a multiple of 6
        () => frame(4, 0, 0, Buffer.from([0, 4, 0xff, 0xff, 0xff, 0xff])), // INITIAL_WINDOW_SIZE too large
        () => frame(8, 0, 0, Buffer.alloc(4)), // WINDOW_UPDATE of 0
        () => frame(6, 0, 0, randomBytes(random, 3)), // PING of the wrong size
        () => frame(3, 0, 0, Buffer.alloc(4)), // RST_STREAM on stream 0
        () => frame(9, 0, 1, body), // CONTINUATION without HEADERS
        () => frame(0, 0, 1, body, 0xffffff), // a length far past the frame size limit
        () => frame(7, 0, 0, randomBytes(random, 8)), // GOAWAY from a client
      ])(),
    );
  }
  return frames;
}

describe('mock server hit with garbage on every port', () => {
  let mock: MockApnsServer;

  beforeAll(async () => {
    mock = await MockApnsServer.start({ seed: SEED });
  });
  afterAll(async () => {
    await mock.stop();
  });

  it(`stays up through ${ROUNDS} rounds of garbage per port and kind, then serves well-formed clients on every transport`, async () => {
    const random = createSeededRandom(SEED);
    const ports = [mock.binaryPort, mock.feedbackPort, mock.http2Port];
    const valid = { cert: creds.clientCert, key: creds.clientKey };
    for (let round = 0; round < ROUNDS; round++) {
      const noise = (): Buffer[] => [randomBytes(random, 1 + Math.floor(random() * 2048))];
      // A TLS record header first now and then, so the bytes reach deeper into the handshake parser.
      const tlsLike = (): Buffer[] => [Buffer.from([0x16, 0x03, Math.floor(random() * 4)]), ...noise()];
      await Promise.all([
        ...ports.map((port) => raw(port, round % 2 === 0 ? noise() : tlsLike())),
        overTls(mock.binaryPort, valid, noise()),
        overTls(mock.binaryPort, {}, noise()),
        overTls(mock.feedbackPort, valid, noise()),
        overTls(mock.http2Port, { ALPNProtocols: ['h2'] }, round % 4 === 0 ? noise() : h2Garbage(random)),
        overTls(mock.http2Port, { ALPNProtocols: ['h2'], ...valid }, h2Garbage(random)),
        overTls(mock.http2Port, { ALPNProtocols: ['http/1.1'] }, noise()),
      ]);
    }
    // The garbage got in: handshakes failed, TLS connections and HTTP/2 sessions were opened on it.
    expect(mock.counters.tlsErrors).toBeGreaterThan(ROUNDS);
    expect(mock.counters.binaryConnections).toBeGreaterThanOrEqual(ROUNDS);
    expect(mock.counters.feedbackConnections).toBeGreaterThanOrEqual(ROUNDS);
    expect(mock.counters.http2Sessions).toBeGreaterThanOrEqual(ROUNDS);
    expect(mock.counters.accepted).toBe(0);

    // Still up: every transport sends through it, and the feedback service answers.
    for (const mode of MODES) {
      const { feedback: _none, ...options } = optionsFor(mock, mode);
      const client = new ApnsClient(options);
      const errors: ApnsDeliveryError[] = [];
      client.errors$.subscribe((e) => errors.push(e));
      const tokens = Array.from({ length: 100 }, (_, i) => tokenFor(i, mode === 'binary' ? 'b' : mode === 'http2-token' ? 'c' : 'd'));
      const report = await client.send({ alert: 'after the garbage' }, tokens);
      await mock.waitFor(() => tokens.every((t) => mock.accepted.some((a) => a.token === t)));
      if (mode === 'binary') {
        mock.queueFeedback(tokenFor(1, 'e'), new Date(1_700_000_000_000));
        expect(await client.pollFeedback()).toEqual([{ token: tokenFor(1, 'e'), timestamp: new Date(1_700_000_000_000) }]);
      }
      await client.close();
      expect(report).toMatchObject({ sent: 100, accepted: 100, failed: 0 });
      expect(errors).toEqual([]);
    }
  }, 60_000);
});

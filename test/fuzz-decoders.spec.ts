import { encodeErrorResponse, encodeFeedbackTuple, encodeNotificationFrame } from '../src/codec/binary-frame.js';
import { ErrorResponseDecoder } from '../src/codec/error-response-decoder.js';
import { FeedbackDecoder } from '../src/codec/feedback-decoder.js';
import { parseHttp2Response } from '../src/codec/http2-response.js';
import { BINARY_MAX_PAYLOAD_BYTES, NotificationFrameDecoder } from '../src/codec/notification-frame-decoder.js';
import { BINARY_MAX_TOKEN_BYTES } from '../src/codec/device-token.js';
import { createSeededRandom } from '../src/testing/seeded-random.js';

// A million random and mutated inputs (250,000 per parser) from a seeded
// generator: valid encodings with bit flips, byte overwrites, truncations,
// splices, duplicated and inserted runs, and length fields that lie, plus plain
// random bytes, each fed in randomly split chunks. No exception may escape, what
// the decoders report must be well-formed, and what they hold between chunks
// must stay under a fixed bound whatever the input claims.

const SEED = 0x9e3779b9;
const PER_PARSER = 250_000;
const U16_LIES = [0, 1, 2, 5, 6, 7, 31, 32, 33, 100, 101, 255, 256, 2047, 2048, 2049, 4096, 0x7fff, 0x8000, 0xfffe, 0xffff];
const U32_LIES = [0, 1, 3, 4, 5, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 131_093, 131_094, 131_095];

/** Random numbers and byte strings from one seed. */
class Fuzzer {
  private readonly random: () => number;
  /** Random bytes drawn once; `bytes()` hands out slices of it (drawing per byte would dominate the run). */
  private readonly pool: Buffer;

  constructor(seed: number) {
    this.random = createSeededRandom(seed);
    this.pool = Buffer.allocUnsafe(1 << 20);
    for (let i = 0; i < this.pool.length; i += 4) this.pool.writeUInt32LE((this.random() * 2 ** 32) >>> 0, i);
  }

  int(n: number): number {
    return Math.floor(this.random() * n);
  }

  chance(p: number): boolean {
    return this.random() < p;
  }

  pick<T>(values: readonly T[]): T {
    return values[this.int(values.length)]!;
  }

  bytes(n: number): Buffer {
    const at = this.int(this.pool.length - n);
    return this.pool.subarray(at, at + n);
  }

  hexToken(maxBytes = 100): string {
    return this.bytes(1 + this.int(maxBytes)).toString('hex');
  }

  /** `size` valid encodings made once, mutated over and over. */
  corpus(size: number, make: () => Buffer): () => Buffer {
    const items = Array.from({ length: size }, make);
    return () => items[this.int(items.length)]!;
  }

  /** One to four mutations of `input`, or random bytes now and then. */
  mutate(input: Buffer, others: () => Buffer): Buffer {
    if (this.chance(0.05)) return this.bytes(this.int(64));
    let b = Buffer.from(input);
    const rounds = 1 + this.int(4);
    for (let r = 0; r < rounds; r++) {
      switch (this.int(8)) {
        case 0: {
          // bit flips
          for (let k = 1 + this.int(8); k > 0 && b.length > 0; k--) b[this.int(b.length)]! ^= 1 << this.int(8);
          break;
        }
        case 1: {
          if (b.length > 0) b[this.int(b.length)] = this.pick([0, 1, 2, 8, 0x7f, 0x80, 0xff, this.int(256)]);
          break;
        }
        case 2:
          b = b.subarray(0, this.int(b.length + 1));
          break;
        case 3: {
          // splice with another input
          const other = others();
          const at = this.int(b.length + 1);
          b = Buffer.concat([b.subarray(0, at), other.subarray(this.int(other.length + 1))]);
          break;
        }
        case 4: {
          // a length field that lies
          if (b.length >= 2) {
            const at = this.int(b.length - 1);
            if (b.length >= 4 && this.chance(0.4)) b.writeUInt32BE(this.pick(U32_LIES), Math.min(at, b.length - 4));
            else b.writeUInt16BE(this.pick(U16_LIES), at);
          }
          break;
        }
        case 5: {
          // duplicate a run
          const from = this.int(b.length + 1);
          const to = Math.min(b.length, from + this.int(64));
          b = Buffer.concat([b.subarray(0, to), b.subarray(from, to), b.subarray(to)]);
          break;
        }
        case 6: {
          const at = this.int(b.length + 1);
          b = Buffer.concat([b.subarray(0, at), this.bytes(1 + this.int(16)), b.subarray(at)]);
          break;
        }
        default: {
          // drop a run
          const from = this.int(b.length + 1);
          b = Buffer.concat([b.subarray(0, from), b.subarray(Math.min(b.length, from + 1 + this.int(16)))]);
        }
      }
    }
    return b;
  }

  /** Splits `bytes` into 1..6 chunks at random points (empty chunks included). */
  chunks(bytes: Buffer): Buffer[] {
    const n = this.int(6);
    const points = Array.from({ length: n }, () => this.int(bytes.length + 1)).sort((a, b) => a - b);
    const out: Buffer[] = [];
    let from = 0;
    for (const p of points) {
      out.push(bytes.subarray(from, p));
      from = p;
    }
    out.push(bytes.subarray(from));
    return out;
  }
}

/** Private state read for the memory bound: what a decoder holds between chunks. */
interface FrameDecoderInternals {
  token: Buffer | undefined;
  payload: Buffer | undefined;
}
interface FeedbackDecoderInternals {
  token: Buffer | undefined;
  headerHave: number;
}

function isDate(value: unknown): boolean {
  return value instanceof Date && !Number.isNaN(value.getTime());
}

describe('decoders and response parsing under a million random and mutated inputs', () => {
  it(`ErrorResponseDecoder: ${PER_PARSER.toLocaleString('en')} inputs, no throw, at most one malformed event and it ends decoding, under 6 bytes held`, () => {
    const f = new Fuzzer(SEED);
    const valid = f.corpus(2_000, () =>
      Buffer.concat(Array.from({ length: 1 + f.int(3) }, () => encodeErrorResponse(f.pick([0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 128, 255, f.int(256)]), f.int(2 ** 32)))),
    );
    let responses = 0;
    let malformed = 0;
    for (let run = 0; run < PER_PARSER; run++) {
      const input = f.mutate(valid(), valid);
      const decoder = new ErrorResponseDecoder();
      let finished = false;
      let events = 0;
      for (const chunk of f.chunks(input)) {
        const out = decoder.push(chunk);
        for (const e of out) {
          if (finished) throw new Error('an event after a malformed one');
          if (e.kind === 'malformed') {
            finished = true;
            malformed++;
            if (typeof e.detail !== 'string' || e.detail === '') throw new Error('malformed without a detail');
          } else {
            responses++;
            if (!(e.status >= 0 && e.status <= 255 && e.identifier >= 0 && e.identifier <= 0xffffffff && e.statusName !== '')) {
              throw new Error(`bad event ${JSON.stringify(e)}`);
            }
          }
        }
        events += out.length;
        if (decoder.pendingBytes < 0 || decoder.pendingBytes >= 6) throw new Error(`holds ${decoder.pendingBytes} bytes`);
      }
      if (events > Math.floor(input.length / 6) + 1) throw new Error(`${events} events from ${input.length} bytes`);
    }
    // The mutations reach both branches plenty of times.
    expect(responses).toBeGreaterThan(PER_PARSER / 2);
    expect(malformed).toBeGreaterThan(PER_PARSER / 10);
  });

  it(`FeedbackDecoder: ${PER_PARSER.toLocaleString('en')} inputs, no throw, well-formed tuples, never more than one tuple (6 + 65,535 bytes) held`, () => {
    const f = new Fuzzer(SEED + 1);
    const valid = f.corpus(2_000, () => Buffer.concat(Array.from({ length: 1 + f.int(4) }, () => encodeFeedbackTuple(f.int(2 ** 32), f.hexToken(f.pick([32, 100, 255]))))));
    let tuples = 0;
    let malformed = 0;
    let maxHeld = 0;
    // One decoder for the whole run, as a feedback read that never ends: whatever
    // the earlier inputs claimed, what it holds stays bounded.
    const longLived = new FeedbackDecoder();
    for (let run = 0; run < PER_PARSER; run++) {
      const input = f.mutate(valid(), valid);
      const fresh = run % 2 === 0;
      const decoder = fresh ? new FeedbackDecoder() : longLived;
      for (const chunk of f.chunks(input)) {
        for (const e of decoder.push(chunk)) {
          if (e.kind === 'malformed') {
            malformed++;
            if (e.detail === '') throw new Error('malformed without a detail');
          } else {
            tuples++;
            if (!/^([0-9a-f]{2})+$/.test(e.token) || e.token.length > 2 * 0xffff || !isDate(e.timestamp)) throw new Error(`bad tuple ${JSON.stringify(e)}`);
          }
        }
        const inner = decoder as unknown as FeedbackDecoderInternals;
        const held = inner.headerHave + (inner.token?.length ?? 0);
        maxHeld = Math.max(maxHeld, held);
        if (held > 6 + 0xffff) throw new Error(`holds ${held} bytes`);
      }
      if (fresh) {
        const { danglingBytes } = decoder.finish();
        if (danglingBytes < 0 || danglingBytes > 6 + 0xffff) throw new Error(`dangling ${danglingBytes}`);
      }
    }
    expect(tuples).toBeGreaterThan(PER_PARSER / 2);
    expect(malformed).toBeGreaterThan(0);
    // A lying length field did make it wait for a long token, within the bound.
    expect(maxHeld).toBeGreaterThan(0x8000);
  });

  it(`NotificationFrameDecoder: ${PER_PARSER.toLocaleString('en')} inputs, no throw, a gateway status for every bad frame, token and payload held within their limits`, () => {
    const f = new Fuzzer(SEED + 2);
    const valid = f.corpus(2_000, () =>
      Buffer.concat(
        Array.from({ length: 1 + f.int(3) }, () => {
          const command = f.pick([0, 1, 2] as const);
          return encodeNotificationFrame(command, {
            identifier: f.int(2 ** 32),
            expiration: f.chance(0.5) ? f.int(2 ** 32) : undefined,
            priority: f.chance(0.5) ? f.pick([5, 10, f.int(256)]) : undefined,
            tokenHex: f.hexToken(),
            payload: Buffer.from(JSON.stringify({ aps: { alert: 'x'.repeat(f.int(200)) } })),
          });
        }),
      ),
    );
    const counts = { notifications: 0, malformed: 0, statuses: new Set<number>() };
    for (let run = 0; run < PER_PARSER; run++) {
      const input = f.mutate(valid(), valid);
      const decoder = new NotificationFrameDecoder();
      let finished = false;
      for (const chunk of f.chunks(input)) {
        for (const e of decoder.push(chunk)) {
          if (finished) throw new Error('an event after a malformed one');
          if (e.kind === 'malformed') {
            finished = true;
            counts.malformed++;
            counts.statuses.add(e.status);
            if (!(e.status >= 1 && e.status <= 255) || e.detail === '') throw new Error(`bad malformed event ${JSON.stringify(e)}`);
          } else {
            counts.notifications++;
            const tokenBytes = e.tokenHex.length / 2;
            if (tokenBytes < 1 || tokenBytes > BINARY_MAX_TOKEN_BYTES || e.payload.length < 1 || e.payload.length > BINARY_MAX_PAYLOAD_BYTES) {
              throw new Error(`bad notification: token ${tokenBytes} bytes, payload ${e.payload.length} bytes`);
            }
          }
        }
        if (decoder.finished !== finished) throw new Error('finished flag out of step with the events');
        const inner = decoder as unknown as FrameDecoderInternals;
        if ((inner.token?.length ?? 0) > BINARY_MAX_TOKEN_BYTES || (inner.payload?.length ?? 0) > BINARY_MAX_PAYLOAD_BYTES) {
          throw new Error(`holds a ${inner.token?.length}-byte token and a ${inner.payload?.length}-byte payload`);
        }
      }
    }
    expect(counts.notifications).toBeGreaterThan(PER_PARSER / 2);
    expect(counts.malformed).toBeGreaterThan(PER_PARSER / 10);
    // Missing/oversized token and payload, and protocol errors (unknown command, lying lengths) all came up.
    expect([...counts.statuses].sort((a, b) => a - b)).toEqual(expect.arrayContaining([2, 4, 5, 7, 128]));
  });

  it(`parseHttp2Response: ${PER_PARSER.toLocaleString('en')} answers, never throws, always a typed result with a reason`, () => {
    const f = new Fuzzer(SEED + 3);
    const reasons = ['BadDeviceToken', 'Unregistered', 'TooManyRequests', 'InternalServerError', 'ServiceUnavailable', 'ExpiredProviderToken', 'Shutdown', ''];
    const validBody = f.corpus(500, () => {
      const reason = f.pick(reasons);
      const body: Record<string, unknown> = { reason };
      if (f.chance(0.3)) body.timestamp = f.pick<unknown>([1_700_000_000_000, '1700000000000', -1, 1e300, 'soon', null, 8.64e15 + 1]);
      return Buffer.from(JSON.stringify(body));
    });
    const headerValues = (): string | string[] | undefined =>
      f.pick<() => string | string[] | undefined>([
        () => undefined,
        () => String(f.int(100_000)),
        () => new Date(Date.now() + f.int(1e7)).toUTCString(),
        () => f.bytes(f.int(40)).toString('latin1'),
        () => ['1', '2'],
        () => [],
        () => '-5',
        () => '1e309',
        () => ' 7 ',
      ])();
    const now = 1_800_000_000_000;
    let failures = 0;
    for (let run = 0; run < PER_PARSER; run++) {
      const status = f.pick([200, 400, 403, 404, 405, 410, 413, 429, 500, 503, 0, -1, 999, NaN, f.int(1000)]);
      const headers: Record<string, string | string[] | undefined> = {};
      if (f.chance(0.7)) headers['apns-id'] = headerValues();
      if (f.chance(0.5)) headers['retry-after'] = headerValues();
      if (f.chance(0.2)) headers['apns-unique-id'] = headerValues();
      if (f.chance(0.1)) headers['__proto__'] = headerValues();
      const raw = f.mutate(validBody(), validBody);
      const body = f.pick<() => Uint8Array | string | undefined>([() => raw, () => raw.toString('latin1'), () => undefined, () => raw.subarray(1, 1)])();
      const result = parseHttp2Response(status, headers, body, now);
      if (result.ok) {
        if (status !== 200) throw new Error(`status ${status} parsed as success`);
        continue;
      }
      failures++;
      if (typeof result.reason !== 'string' || result.reason === '' || typeof result.retryable !== 'boolean') {
        throw new Error(`no reason for status ${status}: ${JSON.stringify(result)}`);
      }
      if (result.retryAfterMs !== undefined && !(Number.isFinite(result.retryAfterMs) && result.retryAfterMs >= 0)) {
        throw new Error(`retry-after ${result.retryAfterMs}`);
      }
      if (result.timestamp !== undefined && !isDate(result.timestamp)) throw new Error('an invalid timestamp');
    }
    expect(failures).toBeGreaterThan(PER_PARSER / 2);
  });
});

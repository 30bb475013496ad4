import fc from 'fast-check';
import type { PreparedNotification } from '../transport/delivery.js';
import { ApnsValidationError } from '../errors/apns-validation.error.js';
import { encodeErrorResponse, encodeFeedbackTuple, encodeNotificationFrame } from './binary-frame.js';
import { parseDeviceToken } from './device-token.js';
import { ErrorResponseDecoder, type ErrorResponseEvent } from './error-response-decoder.js';
import { FeedbackDecoder, type FeedbackEvent } from './feedback-decoder.js';
import { FrameBatchEncoder } from './frame-batch-encoder.js';
import { parseHttp2Response } from './http2-response.js';
import { NotificationFrameDecoder, type FrameEvent } from './notification-frame-decoder.js';
import { buildPayload } from './payload.js';
import { decodeProviderToken } from './provider-token-jwt.js';

// Fixed seeds: a failure replays identically on every machine.
const RUN = { seed: 20261123, numRuns: 150 };

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const u32 = fc.maxSafeNat().map((n) => n % 2 ** 32);
const token = fc.uint8Array({ minLength: 1, maxLength: 100 }).map(hex);
const payload = fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => Buffer.from(b));
const cuts = fc.array(fc.nat(), { maxLength: 8 });

/** Splits `bytes` at the given points (taken modulo its length). */
function split(bytes: Buffer, points: number[]): Buffer[] {
  const at = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of at) {
    chunks.push(bytes.subarray(from, p));
    from = p;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

function feed<E>(decoder: { push(chunk: Uint8Array): E[] }, chunks: Buffer[]): E[] {
  return chunks.flatMap((c) => decoder.push(c));
}

const notification = fc.record({
  command: fc.constantFrom(0 as const, 1 as const, 2 as const),
  identifier: u32,
  expiration: fc.option(u32, { nil: undefined }),
  priority: fc.option(fc.constantFrom(10, 5, 1), { nil: undefined }),
  tokenHex: token,
  payload,
});
type Fields = typeof notification extends fc.Arbitrary<infer T> ? T : never;

function expectedEvent(n: Fields): FrameEvent {
  const event: FrameEvent = { kind: 'notification', command: n.command, identifier: n.command === 0 ? 0 : n.identifier, tokenHex: n.tokenHex, payload: n.payload };
  if (n.command === 1) event.expiration = n.expiration ?? 0;
  if (n.command === 2 && n.expiration !== undefined) event.expiration = n.expiration;
  if (n.command === 2 && n.priority !== undefined) event.priority = n.priority;
  return event;
}

describe('binary codec properties', () => {
  it('decodes what it encodes, for every command and every way of splitting the stream', () => {
    fc.assert(
      fc.property(fc.array(notification, { minLength: 1, maxLength: 5 }), cuts, (ns, points) => {
        const stream = Buffer.concat(ns.map((n) => encodeNotificationFrame(n.command, n)));
        expect(feed(new NotificationFrameDecoder(), split(stream, points))).toEqual(ns.map(expectedEvent));
      }),
      RUN,
    );
  });

  it('reads a whole chunk exactly as it reads the same bytes one at a time, valid frames with a mutated byte included', () => {
    // A chunk holding whole frames takes the decoder's one-pass path; single bytes take the field-by-field one.
    fc.assert(
      fc.property(fc.array(notification, { minLength: 1, maxLength: 5 }), fc.nat(), fc.nat(255), fc.boolean(), (ns, at, value, mutate) => {
        const stream = Buffer.concat(ns.map((n) => encodeNotificationFrame(n.command, n)));
        if (mutate) stream[at % stream.length] = value;
        const options = { maxPayloadBytes: 200, maxTokenBytes: 64 };
        const byteByByte = feed(new NotificationFrameDecoder(options), [...stream].map((b) => Buffer.from([b])));
        expect(new NotificationFrameDecoder(options).push(stream)).toEqual(byteByByte);
      }),
      { ...RUN, numRuns: 400 },
    );
  });

  it('batch encoding decodes to the same notifications', () => {
    const message = fc.record({ payload, expiration: fc.option(u32, { nil: undefined }), priority: fc.constantFrom(10 as const, 5 as const, 1 as const) });
    fc.assert(
      fc.property(fc.constantFrom('frame' as const, 'enhanced' as const), fc.array(fc.tuple(u32, token, message), { minLength: 1, maxLength: 20 }), (format, items) => {
        const enc = new FrameBatchEncoder(format, 256);
        const taken: Buffer[] = [];
        items.forEach(([id, tok, m], i) => {
          enc.append(id, tok, { notification: {}, pushType: 'alert', headers: {}, ...m } as PreparedNotification);
          if (i % 4 === 3) taken.push(enc.take());
        });
        taken.push(enc.take());
        const events = new NotificationFrameDecoder().push(Buffer.concat(taken));
        expect(events).toEqual(
          items.map(([id, tok, m]) => ({
            kind: 'notification', command: format === 'frame' ? 2 : 1, identifier: id, tokenHex: tok, payload: m.payload,
            ...(format === 'enhanced' ? { expiration: m.expiration ?? 0 } : m.expiration === undefined ? {} : { expiration: m.expiration }),
            ...(format === 'frame' ? { priority: m.priority } : {}),
          })),
        );
      }),
      RUN,
    );
  });

  it('decodes error responses the same for every split', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(255), u32), { maxLength: 6 }), cuts, (packets, points) => {
        const stream = Buffer.concat(packets.map(([s, id]) => encodeErrorResponse(s, id)));
        const events = feed(new ErrorResponseDecoder(), split(stream, points));
        expect(events.map((e: ErrorResponseEvent) => (e.kind === 'error-response' ? [e.status, e.identifier] : e))).toEqual(packets);
      }),
      RUN,
    );
  });

  it('decodes feedback tuples the same for every split', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(u32, token), { maxLength: 6 }), cuts, (tuples, points) => {
        const stream = Buffer.concat(tuples.map(([t, tok]) => encodeFeedbackTuple(t, tok)));
        const decoder = new FeedbackDecoder();
        const events = feed(decoder, split(stream, points));
        expect(events).toEqual(tuples.map(([t, tok]): FeedbackEvent => ({ kind: 'tuple', token: tok, timestamp: new Date(t * 1000) })));
        expect(decoder.finish().danglingBytes).toBe(0);
      }),
      RUN,
    );
  });

  it('never throws on random bytes, and reports at most one malformed frame', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), cuts, (bytes, points) => {
        const chunks = split(Buffer.from(bytes), points);
        const frames = feed(new NotificationFrameDecoder({ maxPayloadBytes: 64, maxTokenBytes: 8 }), chunks);
        expect(frames.filter((e) => e.kind === 'malformed').length).toBeLessThanOrEqual(1);
        const whole = new NotificationFrameDecoder({ maxPayloadBytes: 64, maxTokenBytes: 8 }).push(Buffer.from(bytes));
        expect(frames).toEqual(whole);
        feed(new ErrorResponseDecoder(), chunks);
        const feedback = new FeedbackDecoder();
        feed(feedback, chunks);
        feedback.finish();
      }),
      { ...RUN, numRuns: 300 },
    );
  });
});

describe('text codec properties', () => {
  it('never throws on random JWTs, response bodies or headers', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), fc.integer({ min: 0, max: 999 }), fc.uint8Array({ maxLength: 60 }), (s, status, body) => {
        decodeProviderToken(s);
        decodeProviderToken(`${s}.${s}.${s}`);
        const r = parseHttp2Response(status, { 'retry-after': s, 'apns-id': s }, body, 0);
        expect(typeof r.ok).toBe('boolean');
        parseHttp2Response(status, {}, s, 0);
      }),
      RUN,
    );
  });

  it('parseDeviceToken either returns lowercase hex or throws ApnsValidationError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 40 }), token.map((t) => t.toUpperCase())), (s) => {
        try {
          expect(parseDeviceToken(s)).toMatch(/^([0-9a-f]{2})+$/);
        } catch (e) {
          expect(e).toBeInstanceOf(ApnsValidationError);
        }
      }),
      RUN,
    );
  });

  it('alert truncation fits the limit, keeps a prefix and never breaks a code point', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'é', '€', '😀', '"', '\\', '\n', '\u0001', '\ud800', '\u2028'), maxLength: 120 });
    fc.assert(
      fc.property(text, fc.integer({ min: 20, max: 400 }), (body, limit) => {
        let out: Buffer;
        try {
          out = buildPayload({ alert: body, truncateAlert: true }, limit).bytes;
        } catch (e) {
          expect((e as Error).message).toContain('with an empty alert body');
          return;
        }
        expect(out.length).toBeLessThanOrEqual(limit);
        const alert: string = JSON.parse(out.toString('utf8')).aps.alert;
        expect(body.startsWith(alert)).toBe(true);
        const full = Buffer.byteLength(JSON.stringify({ aps: { alert: body } }));
        if (full <= limit) expect(alert).toBe(body);
        else {
          // Not cut too short: one more code point would not have fit.
          const next = [...body.slice(alert.length)][0]!;
          expect(Buffer.byteLength(JSON.stringify({ aps: { alert: alert + next } }))).toBeGreaterThan(limit);
          const cutInsidePair = /[\ud800-\udbff]$/.test(alert) && /^[\udc00-\udfff]/.test(body.slice(alert.length));
          expect(cutInsidePair).toBe(false);
        }
      }),
      { ...RUN, numRuns: 300 },
    );
  });
});

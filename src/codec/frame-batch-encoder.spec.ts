import type { PreparedNotification } from '../transport/delivery.js';
import { ApnsValidationError } from '../errors/apns-validation.error.js';
import { encodeNotificationFrame } from './binary-frame.js';
import { FrameBatchEncoder } from './frame-batch-encoder.js';

const TOKEN = 'ab'.repeat(32);

function message(payload: string, expiration?: number, priority: 10 | 5 | 1 = 10): PreparedNotification {
  return { notification: {}, payload: Buffer.from(payload), pushType: 'alert', priority, expiration, headers: {} };
}

describe('FrameBatchEncoder', () => {
  it('writes the same bytes as encoding each command-2 frame alone', () => {
    const enc = new FrameBatchEncoder('frame');
    const a = message('{"aps":{"alert":"a"}}', 1700000000, 5);
    const b = message('{"aps":{"badge":1}}');
    enc.append(1, TOKEN, a);
    enc.append(2, 'cd'.repeat(40), b);
    expect(enc.byteLength).toBe(61 + a.payload.length + 54 + 8 + b.payload.length);
    const expected = Buffer.concat([
      encodeNotificationFrame(2, { identifier: 1, expiration: 1700000000, priority: 5, tokenHex: TOKEN, payload: a.payload }),
      encodeNotificationFrame(2, { identifier: 2, priority: 10, tokenHex: 'cd'.repeat(40), payload: b.payload }),
    ]);
    expect(enc.take().equals(expected)).toBe(true);
    expect(enc.byteLength).toBe(0);
    expect(enc.take()).toHaveLength(0);
  });

  it('writes command 1 with expiry 0 when the notification has none', () => {
    const enc = new FrameBatchEncoder('enhanced');
    const m = message('{"aps":{}}');
    enc.append(0xffffffff, TOKEN, m);
    expect(enc.take().equals(encodeNotificationFrame(1, { identifier: 0xffffffff, expiration: 0, tokenHex: TOKEN, payload: m.payload }))).toBe(true);
  });

  it('never overwrites bytes already taken, across chunk rotation', () => {
    const enc = new FrameBatchEncoder('frame', 256);
    const m = message('x'.repeat(100));
    const taken: Buffer[] = [];
    const copies: Buffer[] = [];
    for (let i = 0; i < 20; i++) {
      enc.append(i, TOKEN, m);
      if (i % 3 === 0) {
        const t = enc.take();
        taken.push(t);
        copies.push(Buffer.from(t));
      }
    }
    taken.push(enc.take());
    copies.push(Buffer.from(taken[taken.length - 1]!));
    taken.forEach((t, i) => expect(t.equals(copies[i]!)).toBe(true));
    const all = Buffer.concat(taken);
    expect(all).toHaveLength(20 * (54 + 100));
    for (let i = 0; i < 20; i++) expect(all.readUInt32BE(i * 154 + 5 + 3 + 32 + 3 + 100 + 3)).toBe(i);
  });

  it('holds a frame larger than the chunk size and pending bytes across growth', () => {
    const enc = new FrameBatchEncoder('frame', 64);
    const big = message('y'.repeat(1000));
    enc.append(1, TOKEN, message('{}'));
    enc.append(2, TOKEN, big);
    enc.append(3, TOKEN, big);
    const out = enc.take();
    expect(out).toHaveLength(56 + 2 * 1054);
    expect(out.readUInt32BE(1)).toBe(51);
  });

  it('appends nothing when the token cannot be framed', () => {
    const enc = new FrameBatchEncoder('frame');
    enc.append(1, TOKEN, message('{}'));
    const before = enc.byteLength;
    expect(() => enc.append(2, 'zz'.repeat(32), message('{}'))).toThrow(ApnsValidationError);
    expect(() => enc.append(2, 'abc', message('{}'))).toThrow(ApnsValidationError);
    expect(() => enc.append(-1, TOKEN, message('{}'))).toThrow(/identifier/);
    expect(enc.byteLength).toBe(before);
    enc.append(3, TOKEN, message('{}'));
    expect(enc.take()).toHaveLength(2 * 56);
  });

  it('refuses an unknown format or a tiny chunk size', () => {
    expect(() => new FrameBatchEncoder('simple' as 'frame')).toThrow(RangeError);
    expect(() => new FrameBatchEncoder('frame', 10)).toThrow(RangeError);
  });
});

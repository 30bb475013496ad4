import type { Delivery } from '../delivery.js';
import { SentBuffer } from './sent-buffer.js';

const d = (token: string): Delivery => ({ token, tokenHex: token, message: {} as never, sink: {} as never, attempts: 1 });
const tokens = (list: Delivery[]): string[] => list.map((x) => x.token);

describe('SentBuffer', () => {
  it('numbers entries by sequence and hands back everything from a position, oldest first', () => {
    const buffer = new SentBuffer(10);
    ['a', 'b', 'c', 'd'].forEach((t, i) => buffer.push(d(t), i, i * 100));
    expect([buffer.firstSeq, buffer.nextSeq]).toEqual([0, 4]);
    expect(buffer.at(1).token).toBe('b');
    expect(tokens(buffer.takeFrom(2))).toEqual(['c', 'd']);
    expect(buffer.length).toBe(0);
    // Sequence numbers go on after a clear: an identifier never maps to a later entry by mistake.
    expect([buffer.firstSeq, buffer.nextSeq]).toEqual([4, 4]);
  });

  it('lets go of the oldest entries only when they are older than the time and end at or before the byte given', () => {
    const buffer = new SentBuffer(10);
    ['a', 'b', 'c', 'd'].forEach((t, i) => buffer.push(d(t), i * 10, (i + 1) * 100));
    // 'b' is old enough by time but its frame ends past byte 150: it stays, and so does everything after it.
    expect(buffer.dropSettled(25, 150)).toBe(1);
    expect([buffer.firstSeq, buffer.at(0).token]).toEqual([1, 'b']);
    expect(buffer.dropSettled(25, 1_000)).toBe(2);
    expect(tokens(buffer.takeFrom(0))).toEqual(['d']);
  });

  it('finds the first entry inside a window of time or bytes', () => {
    const buffer = new SentBuffer(10);
    ['a', 'b', 'c', 'd'].forEach((t, i) => buffer.push(d(t), i * 10, (i + 1) * 100));
    expect(buffer.firstWrittenSince(20, 1_000)).toBe(2); // by time: c, d
    expect(buffer.firstWrittenSince(1_000, 150)).toBe(1); // by bytes, whatever the age: b, c, d
    expect(buffer.firstWrittenSince(0, 0)).toBe(0);
    expect(buffer.firstWrittenSince(Infinity, 400)).toBe(4); // everything ends by byte 400
  });

  it('grows past its first slots up to its capacity without reordering, and drops the oldest on request', () => {
    const buffer = new SentBuffer(3_000);
    for (let i = 0; i < 3_000; i++) buffer.push(d(String(i)), i, i);
    expect(buffer.full).toBe(true);
    buffer.dropOldest();
    buffer.push(d('3000'), 3_000, 3_000);
    expect([buffer.firstSeq, buffer.length, buffer.at(0).token, buffer.at(2_999).token]).toEqual([1, 3_000, '1', '3000']);
    expect(buffer.timeAt(2_999)).toBe(3_000);
    expect(buffer.byteEndAt(0)).toBe(1);
  });
});

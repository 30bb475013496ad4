import type { Delivery } from '../delivery.js';
import { SentBuffer } from './sent-buffer.js';

const d = (token: string): Delivery => ({ token, tokenHex: token, message: {} as never, sink: {} as never, attempts: 1 });
const tokens = (list: Delivery[]): string[] => list.map((x) => x.token);

describe('SentBuffer', () => {
  it('finds a written delivery by identifier and hands back everything written after it, oldest first', () => {
    const buffer = new SentBuffer(10);
    ['a', 'b', 'c', 'd'].forEach((t, i) => buffer.push(100 + i, d(t), 0));
    const at = buffer.indexOf(101);
    expect(buffer.at(at).token).toBe('b');
    expect(tokens(buffer.takeFrom(at + 1))).toEqual(['c', 'd']);
    expect(buffer.length).toBe(0);
  });

  it('forgets the oldest entries once full, so an identifier that left it is not found', () => {
    const buffer = new SentBuffer(3);
    ['a', 'b', 'c', 'd', 'e'].forEach((t, i) => buffer.push(i, d(t), 0));
    expect(buffer.length).toBe(3);
    expect(buffer.indexOf(1)).toBe(-1);
    expect(buffer.at(buffer.indexOf(2)).token).toBe('c');
    expect(tokens(buffer.takeFrom(0))).toEqual(['c', 'd', 'e']);
  });

  it('matches the newest entry when identifiers wrapped around 2^32', () => {
    const buffer = new SentBuffer(8);
    buffer.push(0xffffffff, d('old'), 0);
    buffer.push(0, d('x'), 0);
    buffer.push(0xffffffff, d('new'), 0);
    expect(buffer.at(buffer.indexOf(0xffffffff)).token).toBe('new');
  });

  it('returns what was written at or after a time, and takes the rest as done', () => {
    const buffer = new SentBuffer(8);
    ['a', 'b', 'c', 'd'].forEach((t, i) => buffer.push(i, d(t), i * 10));
    expect(tokens(buffer.takeWrittenSince(20))).toEqual(['c', 'd']);
    expect(buffer.length).toBe(0);
    expect(buffer.takeWrittenSince(0)).toEqual([]);
  });
});

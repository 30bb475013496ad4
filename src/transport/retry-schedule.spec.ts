import { RetrySchedule } from './retry-schedule.js';

describe('RetrySchedule', () => {
  it('hands back what is due, earliest first, equal times in arrival order, and keeps the rest', () => {
    const s = new RetrySchedule<string>();
    s.add('c', 30);
    s.add('a', 10);
    s.add('b1', 20);
    s.add('b2', 20);
    s.add('d', 40);
    expect(s.nextDue).toBe(10);
    expect(s.takeDue(25)).toEqual(['a', 'b1', 'b2']);
    expect([s.size, s.nextDue]).toEqual([2, 30]);
    expect(s.drainAll()).toEqual(['c', 'd']);
    expect(s.nextDue).toBeUndefined();
  });

  it('through interleaved adds and takes (seeded) hands back exactly what is due, each once, in (due, arrival) order', () => {
    const s = new RetrySchedule<number>();
    let seed = 42;
    const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const dueOf: number[] = [];
    const out: number[] = [];
    for (let round = 0; round < 100; round++) {
      for (let i = 0; i < 5; i++) {
        dueOf.push(round * 10 + Math.floor(random() * 200));
        s.add(dueOf.length - 1, dueOf[dueOf.length - 1]!);
      }
      const now = round * 10;
      const taken = s.takeDue(now);
      for (const item of taken) expect(dueOf[item]!).toBeLessThanOrEqual(now);
      expect(s.nextDue === undefined || s.nextDue > now).toBe(true);
      const ordered = [...taken].sort((a, b) => dueOf[a]! - dueOf[b]! || a - b);
      expect(taken).toEqual(ordered);
      out.push(...taken);
    }
    out.push(...s.drainAll());
    expect([...out].sort((a, b) => a - b)).toEqual(dueOf.map((_, i) => i));
  });
});

import { seededUuid } from './seeded-random.js';

/**
 * apns-ids the mock makes up for requests without one: a seeded random prefix
 * and a counter in the last group. Unique per server, repeatable for a seed,
 * and one string concatenation per request instead of four random draws (the
 * HTTP/2 hot path runs this for every notification of a benchmark).
 */
export class ApnsIdSource {
  private readonly prefix: string;
  private counter = 0;

  constructor(random: () => number) {
    this.prefix = seededUuid(random).slice(0, 24);
  }

  next(): string {
    this.counter++;
    return this.prefix + this.counter.toString(16).padStart(12, '0');
  }
}

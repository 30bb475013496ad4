import type { MockAcceptedNotification } from './mock-records.js';

/**
 * Record of a binary notification. The payload is parsed only when a test reads
 * `json`: the gateway's hot path stays free of JSON.parse, so the mock is not
 * the bottleneck of a benchmark.
 */
export class AcceptedBinaryNotification implements MockAcceptedNotification {
  readonly protocol = 'binary' as const;
  private parsed: { value: unknown } | undefined;

  constructor(
    readonly token: string,
    readonly payload: Buffer,
    readonly connectionId: number,
    readonly command: 0 | 1 | 2,
    readonly identifier: number | undefined,
    readonly expiration: number | undefined,
    readonly priority: number | undefined,
  ) {}

  get json(): unknown {
    if (this.parsed === undefined) {
      let value: unknown;
      try {
        value = JSON.parse(this.payload.toString('utf8'));
      } catch {
        value = undefined;
      }
      this.parsed = { value };
    }
    return this.parsed.value;
  }
}

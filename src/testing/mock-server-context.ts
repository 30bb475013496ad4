import type { MockDeviceBook } from './mock-device-book.js';
import type { MockFaults } from './mock-faults.js';
import type { MockRecordBook } from './mock-record-book.js';
import type { ProviderTokenVerifier } from './provider-token-verifier.js';

/** What the three mock services share, owned by `MockApnsServer`. */
export interface MockServerContext {
  readonly records: MockRecordBook;
  readonly faults: MockFaults;
  readonly devices: MockDeviceBook;
  readonly verifier: ProviderTokenVerifier;
  /** Seeded randomness. */
  readonly random: () => number;
  /** Ids shared by binary connections and HTTP/2 sessions, 1, 2, ... */
  nextConnectionId(): number;
  /** No-op unless the `log` option is on. Never pass keys, JWTs or full tokens. */
  log(message: string): void;
}

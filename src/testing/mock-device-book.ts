import { BinaryStatus } from '../codec/reasons.js';

/**
 * The binary status a `rejectToken` script answers with when it names none:
 * the binary counterpart of an HTTP/2 reason, where the two interfaces share one.
 */
export const BINARY_STATUS_FOR_REASON: ReadonlyMap<string, number> = new Map<string, number>([
  ['BadDeviceToken', BinaryStatus.InvalidToken],
  ['DeviceTokenNotForTopic', BinaryStatus.InvalidToken],
  ['MissingDeviceToken', BinaryStatus.MissingDeviceToken],
  ['MissingTopic', BinaryStatus.MissingTopic],
  ['BadTopic', BinaryStatus.InvalidTopicSize],
  ['PayloadEmpty', BinaryStatus.MissingPayload],
  ['PayloadTooLarge', BinaryStatus.InvalidPayloadSize],
  ['InternalServerError', BinaryStatus.ProcessingError],
]);

/** How the mock answers one device token. */
export type DeviceScript =
  | { readonly kind: 'invalid' }
  | { readonly kind: 'reject'; readonly status: number; readonly reason: string; readonly timestamp?: number; readonly binaryStatus: number }
  | { readonly kind: 'unregistered'; readonly timestamp: number };

function key(token: string): string {
  return token.toLowerCase();
}

/**
 * Per-token scripts (invalid, rejected, unregistered) and the feedback list.
 * Tokens are hex, case-insensitive; the last script set for a token wins.
 */
export class MockDeviceBook {
  private scripts = new Map<string, DeviceScript>();
  private feedback: Array<{ token: string; seconds: number }> = [];

  set(token: string, script: DeviceScript | undefined): void {
    if (script === undefined) this.scripts.delete(key(token));
    else this.scripts.set(key(token), script);
  }

  /** `tokenHex` must already be lowercase. */
  get(tokenHex: string): DeviceScript | undefined {
    return this.scripts.size === 0 ? undefined : this.scripts.get(tokenHex);
  }

  queueFeedback(token: string, timestamp: Date): void {
    this.feedback.push({ token: key(token), seconds: Math.floor(timestamp.getTime() / 1000) });
  }

  /** Queues the tuple unless the token is already on the list (Apple lists a gone device once). */
  queueFeedbackOnce(token: string, timestamp: Date): void {
    const k = key(token);
    if (!this.feedback.some((entry) => entry.token === k)) this.queueFeedback(k, timestamp);
  }

  /** The feedback list, emptied: Apple clears it once read. */
  takeFeedback(): Array<{ token: string; seconds: number }> {
    const list = this.feedback;
    this.feedback = [];
    return list;
  }

  get pendingFeedback(): number {
    return this.feedback.length;
  }

  clear(): void {
    this.scripts.clear();
    this.feedback = [];
  }
}

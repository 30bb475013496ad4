/**
 * Exponential backoff with full jitter: attempt n (0-based) waits a random time
 * in [0, min(max, base * 2^n)). Full jitter spreads reconnects of many clients
 * so they do not hit the gateway in step.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}


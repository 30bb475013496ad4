/**
 * Exponential backoff with full jitter: attempt n (0-based) waits a random time
 * in [0, min(max, base * 2^n)). Full jitter spreads reconnects of many clients
 * so they do not hit the gateway in step.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/**
 * Delay before retrying a response that carried `retry-after` (seconds or an
 * HTTP date). The server's word wins over our own schedule when it asks for longer.
 */
export function retryAfterMs(header: string | undefined, now: number): number | undefined {
  if (header === undefined || header === '') return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

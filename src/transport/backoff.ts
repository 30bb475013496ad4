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
 * Delay before the next connection attempt after `attempt` (0-based) failed
 * ones: half of min(max, base * 2^n) plus a random share of the other half
 * ("equal jitter"). Unlike full jitter it never draws near zero, so a gateway
 * that keeps refusing or dropping us sees opens spaced at least that far apart
 * (Apple treats rapid reconnects as an attack), still spread across clients.
 */
export function reconnectDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(ceiling / 2 + random() * (ceiling / 2));
}

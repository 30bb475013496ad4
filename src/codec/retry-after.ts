/**
 * Delay asked for by a `retry-after` header (seconds or an HTTP date), in ms.
 * The server's word wins over our own schedule when it asks for longer.
 */
export function retryAfterMs(header: string | undefined, now: number): number | undefined {
  if (header === undefined || header === '') return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

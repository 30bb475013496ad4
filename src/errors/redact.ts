/**
 * Shortens a device token for logs and error messages. Full tokens are personal
 * data and never appear in text the library writes; the `token` field of an
 * error keeps the full value for the caller's own use.
 */
export function redactToken(token: string): string {
  if (typeof token !== 'string') return '<not a string>';
  if (token.length <= 12) return token.length === 0 ? '<empty>' : `${token.slice(0, 4)}…`;
  return `${token.slice(0, 8)}…${token.slice(-4)}`;
}

/**
 * What the library logs through. Compatible with Nest's `LoggerService`, so the
 * module passes a `Logger`; `ApnsClient` used alone defaults to warn/error on the console.
 * Messages never contain keys, passphrases, JWTs or full device tokens.
 */
export interface ApnsLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug?(message: string): void;
}

export const consoleLogger: ApnsLogger = {
  log: () => undefined,
  warn: (m) => console.warn(`[apns] ${m}`),
  error: (m) => console.error(`[apns] ${m}`),
};

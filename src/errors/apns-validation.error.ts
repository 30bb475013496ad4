/**
 * Bad input found before anything was written: a malformed device token, an
 * oversized payload, an invalid header value. Names the field and the fix.
 */
export class ApnsValidationError extends Error {
  override readonly name = 'ApnsValidationError';

  constructor(
    /** The field at fault, as the caller wrote it: `token`, `payload`, `collapseId`, `priority`, ... */
    readonly field: string,
    /** What is wrong with it. */
    readonly problem: string,
    /** What the caller can do about it. */
    readonly fix: string,
  ) {
    super(`Invalid ${field}: ${problem}. ${fix}`);
  }
}

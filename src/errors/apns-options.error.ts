/** One wrong option: its path in the options object and how to fix it. */
export interface ApnsOptionProblem {
  /** Dotted path of the option, e.g. `token.keyId`. */
  readonly field: string;
  /** What is wrong and what to do, in one sentence. */
  readonly message: string;
}

/**
 * Invalid client or module options. Thrown once at start-up and lists every
 * wrong field, so a misconfigured app fails its boot with the whole picture.
 */
export class ApnsOptionsError extends Error {
  override readonly name = 'ApnsOptionsError';

  constructor(readonly problems: readonly ApnsOptionProblem[]) {
    super(
      `Invalid APNs options (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p.field}: ${p.message}`).join('\n'),
    );
  }
}

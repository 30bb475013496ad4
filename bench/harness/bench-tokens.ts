/**
 * Deterministic device tokens: the same index gives the same 32-byte token in
 * every process and every run, so contenders send exactly the same tokens.
 * Each is a flat 64-character string (made by `toString('hex')`, not by
 * concatenation, whose rope strings would take several times the memory and
 * inflate every contender's RSS).
 */
export function benchToken(index: number, scratch: Buffer = Buffer.allocUnsafe(32)): string {
  const bytes = scratch;
  let state = (index + 0x9e3779b9) >>> 0;
  for (let i = 0; i < 8; i++) {
    // xorshift32 on a seed mixed from the index: cheap and spreads the bits.
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    bytes.writeUInt32BE(state, i * 4);
  }
  return bytes.toString('hex');
}

export function benchTokens(count: number, offset = 0): string[] {
  const tokens = new Array<string>(count);
  const scratch = Buffer.allocUnsafe(32);
  for (let i = 0; i < count; i++) tokens[i] = benchToken(offset + i, scratch);
  return tokens;
}

/** Tokens produced one at a time, so a million of them never sit in memory together. */
export function* lazyBenchTokens(count: number, offset = 0): Generator<string> {
  const scratch = Buffer.allocUnsafe(32);
  for (let i = 0; i < count; i++) yield benchToken(offset + i, scratch);
}

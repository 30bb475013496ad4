/**
 * Deterministic device tokens: the same index gives the same 32-byte token in
 * every process and every run, so contenders send exactly the same tokens.
 */
export function benchToken(index: number): string {
  let out = '';
  let state = (index + 0x9e3779b9) >>> 0;
  for (let i = 0; i < 8; i++) {
    // xorshift32 on a seed mixed from the index: cheap and spreads the bits.
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out += state.toString(16).padStart(8, '0');
  }
  return out;
}

export function benchTokens(count: number, offset = 0): string[] {
  const tokens = new Array<string>(count);
  for (let i = 0; i < count; i++) tokens[i] = benchToken(offset + i);
  return tokens;
}

/** Tokens produced one at a time, so a million of them never sit in memory together. */
export function* lazyBenchTokens(count: number, offset = 0): Generator<string> {
  for (let i = 0; i < count; i++) yield benchToken(offset + i);
}

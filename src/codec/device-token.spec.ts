import { ApnsValidationError } from '../errors/apns-validation.error.js';
import { BINARY_MAX_TOKEN_BYTES, bytesToDeviceToken, deviceTokenToBytes, parseDeviceToken } from './device-token.js';

const TOKEN = '85ab4a0cf2c8a2a5c47a8e2c1c6f0c1fd2b04e6c4b7c7d7e8f90a1b2c3d4e5f6';

function rejection(input: unknown, options?: { maxBytes?: number }): ApnsValidationError {
  try {
    parseDeviceToken(input, options);
  } catch (e) {
    expect(e).toBeInstanceOf(ApnsValidationError);
    expect((e as ApnsValidationError).field).toBe('token');
    return e as ApnsValidationError;
  }
  throw new Error('expected a rejection');
}

describe('parseDeviceToken', () => {
  it('returns lowercase hex for lower- and uppercase input', () => {
    expect(parseDeviceToken(TOKEN)).toBe(TOKEN);
    expect(parseDeviceToken(TOKEN.toUpperCase())).toBe(TOKEN);
  });

  it('accepts the old <85ab4a0c f2...> description form', () => {
    const described = `<${TOKEN.match(/.{8}/g)!.join(' ')}>`;
    expect(parseDeviceToken(described)).toBe(TOKEN);
    expect(parseDeviceToken(` ${described.toUpperCase()} `)).toBe(TOKEN);
  });

  it('accepts tokens of any even length up to the limit (not only 32 bytes)', () => {
    expect(parseDeviceToken('ab')).toBe('ab');
    expect(parseDeviceToken('ab'.repeat(80))).toBe('ab'.repeat(80));
    expect(parseDeviceToken('ab'.repeat(100), { maxBytes: BINARY_MAX_TOKEN_BYTES })).toHaveLength(200);
  });

  it('rejects an empty token', () => {
    expect(rejection('').message).toContain('the token is empty');
    expect(rejection('<>').message).toContain('the token is empty');
  });

  it('rejects an odd number of hex digits', () => {
    expect(rejection(TOKEN.slice(1)).message).toContain('odd number of hex digits (63)');
  });

  it('rejects a non-hex character and says where, without echoing the whole token', () => {
    const bad = TOKEN.slice(0, 10) + 'g' + TOKEN.slice(11);
    const e = rejection(bad);
    expect(e.message).toContain('not a hex digit at position 10');
    expect(e.message).not.toContain(bad);
    expect(rejection('12-4').message).toContain('position 2');
  });

  it('rejects a token longer than the transport can carry', () => {
    expect(rejection('ab'.repeat(101), { maxBytes: BINARY_MAX_TOKEN_BYTES }).message).toContain('101 bytes long, the limit is 100 bytes');
    expect(rejection('ab'.repeat(257)).message).toContain('the limit is 256 bytes');
  });

  it('rejects values that are not strings', () => {
    expect(rejection(42).message).toContain('got number');
    expect(rejection(null).message).toContain('got null');
    expect(rejection(undefined).message).toContain('got undefined');
  });
});

describe('token bytes', () => {
  it('round-trips hex and bytes, also from a view into a larger buffer', () => {
    const bytes = deviceTokenToBytes(TOKEN);
    expect(bytes).toHaveLength(32);
    expect(bytesToDeviceToken(bytes)).toBe(TOKEN);
    const big = Buffer.concat([Buffer.from([1, 2]), bytes, Buffer.from([3])]);
    expect(bytesToDeviceToken(new Uint8Array(big.buffer, big.byteOffset + 2, 32))).toBe(TOKEN);
  });
});

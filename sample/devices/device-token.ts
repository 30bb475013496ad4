import { BadRequestException } from '@nestjs/common';

/** Apple's tokens are variable length (32 bytes today, up to 100 seen announced): accept 1..256 bytes. */
const MAX_TOKEN_HEX = 512;

/**
 * A device token from a request, as lowercase hex. Throws a 400 that says what
 * is wrong, so a bad token never reaches the registry or APNs.
 */
export function parseDeviceToken(input: unknown, field = 'token'): string {
  if (input === undefined || input === null || input === '') {
    throw new BadRequestException(`${field} is missing: send the device token as hex, e.g. {"token":"a1b2..."}.`);
  }
  if (typeof input !== 'string') throw new BadRequestException(`${field} must be a hex string, got ${typeof input}.`);
  const token = input.trim().toLowerCase();
  if (!/^[0-9a-f]+$/.test(token)) throw new BadRequestException(`${field} must contain hex digits only (0-9, a-f).`);
  if (token.length % 2 !== 0) throw new BadRequestException(`${field} has an odd number of hex digits (${token.length}): a token is whole bytes.`);
  if (token.length > MAX_TOKEN_HEX) throw new BadRequestException(`${field} is ${token.length / 2} bytes long; the limit is ${MAX_TOKEN_HEX / 2}.`);
  return token;
}

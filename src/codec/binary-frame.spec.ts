import { ApnsValidationError } from '../errors/apns-validation.error.js';
import { encodeErrorResponse, encodeFeedbackTuple, encodeNotificationFrame } from './binary-frame.js';

// Vectors written by hand from apns-protocol.md §1.2–1.6.
const TOKEN = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
const PAYLOAD = Buffer.from('{"aps":{}}'); // 10 bytes: 7b 22 61 70 73 22 3a 7b 7d 7d
const P = PAYLOAD.toString('hex');
const hex = (s: string) => s.replace(/\s+/g, '');

describe('binary notification frames', () => {
  it('encodes command 0: command, token length, token, payload length, payload', () => {
    const frame = encodeNotificationFrame(0, { identifier: 99, tokenHex: TOKEN, payload: PAYLOAD });
    expect(frame.toString('hex')).toBe(hex(`00 0020 ${TOKEN} 000a ${P}`));
    expect(frame).toHaveLength(37 + 10);
  });

  it('encodes command 1 with identifier and expiry', () => {
    const frame = encodeNotificationFrame(1, { identifier: 0x01020304, expiration: 1700000000, tokenHex: TOKEN, payload: PAYLOAD });
    expect(frame.toString('hex')).toBe(hex(`01 01020304 6553f100 0020 ${TOKEN} 000a ${P}`));
    expect(frame).toHaveLength(45 + 10);
  });

  it('writes expiry 0 for command 1 when none is given', () => {
    const frame = encodeNotificationFrame(1, { identifier: 1, tokenHex: TOKEN, payload: PAYLOAD });
    expect(frame.subarray(5, 9).toString('hex')).toBe('00000000');
  });

  it('encodes command 2 with all five items (61 + L bytes)', () => {
    const frame = encodeNotificationFrame(2, { identifier: 7, expiration: 1700000000, priority: 10, tokenHex: TOKEN, payload: PAYLOAD });
    expect(frame.toString('hex')).toBe(
      hex(`02 00000042  01 0020 ${TOKEN}  02 000a ${P}  03 0004 00000007  04 0004 6553f100  05 0001 0a`),
    );
    expect(frame).toHaveLength(61 + 10);
  });

  it('leaves items 4 and 5 out of command 2 when they are not given', () => {
    const frame = encodeNotificationFrame(2, { identifier: 0xffffffff, tokenHex: 'abcd', payload: PAYLOAD });
    expect(frame.toString('hex')).toBe(hex(`02 00000019 01 0002 abcd 02 000a ${P} 03 0004 ffffffff`));
  });

  it('carries tokens longer than 32 bytes with their real length', () => {
    const frame = encodeNotificationFrame(2, { identifier: 1, priority: 5, tokenHex: 'ef'.repeat(100), payload: PAYLOAD });
    expect(frame.readUInt16BE(6)).toBe(100);
  });

  it('refuses what the wire cannot carry with a validation error naming the field and the fix', () => {
    const base = { identifier: 1, tokenHex: TOKEN, payload: PAYLOAD };
    const tokenFix = 'Pass the device token as hex; parseDeviceToken checks and normalizes it.';
    const cases: Array<[() => unknown, string, string]> = [
      [() => encodeNotificationFrame(2, { ...base, identifier: -1 }), 'identifier', 'Invalid identifier: -1 is not a whole number from 0 to 4294967295. Pass a whole number from 0 to 4294967295 (identifiers wrap at 2^32).'],
      [() => encodeNotificationFrame(2, { ...base, identifier: 2 ** 32 }), 'identifier', 'Invalid identifier: 4294967296 is not a whole number from 0 to 4294967295. Pass a whole number from 0 to 4294967295 (identifiers wrap at 2^32).'],
      [
        () => encodeNotificationFrame(1, { ...base, expiration: 1.5 }),
        'expiration',
        'Invalid expiration: 1.5 is not a whole number from 0 to 4294967295. Pass whole UNIX seconds (not milliseconds) up to 4294967295, 0 for "do not store", or leave it out.',
      ],
      [() => encodeNotificationFrame(2, { ...base, priority: 256 }), 'priority', 'Invalid priority: 256 is not a whole number from 0 to 255. Pass 10 (now) or 5 (when it saves power).'],
      [() => encodeNotificationFrame(2, { ...base, tokenHex: '' }), 'token', `Invalid token: the token is empty. ${tokenFix}`],
      [() => encodeNotificationFrame(2, { ...base, tokenHex: 'abc' }), 'token', `Invalid token: the token has an odd number of hex digits (3). ${tokenFix}`],
      [() => encodeNotificationFrame(2, { ...base, tokenHex: 'zz' }), 'token', `Invalid token: the token has a character that is not a hex digit. ${tokenFix}`],
      [() => encodeNotificationFrame(2, { ...base, tokenHex: 'ab'.repeat(0x10000) }), 'token', `Invalid token: the token is 65536 bytes, more than a 2-byte length field holds (65535). ${tokenFix}`],
      [
        () => encodeNotificationFrame(0, { ...base, payload: Buffer.alloc(0x10000) }),
        'payload',
        'Invalid payload: the payload is 65536 bytes, more than a 2-byte length field holds (65535). Keep it within the binary limit of 2048 bytes; prepareNotification checks it.',
      ],
      [() => encodeNotificationFrame(3 as 2, base), 'command', 'Invalid command: 3 is not a notification command. Use 0 (simple), 1 (enhanced) or 2 (frame format).'],
    ];
    for (const [run, field, message] of cases) {
      let error: unknown;
      try {
        run();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ApnsValidationError);
      expect(error).toMatchObject({ field, message });
    }
  });
});

describe('error response and feedback tuple', () => {
  it('encodes the 6-byte error response', () => {
    expect(encodeErrorResponse(8, 0xdeadbeef).toString('hex')).toBe('0808deadbeef');
    expect(encodeErrorResponse(10, 0).toString('hex')).toBe('080a00000000');
    expect(() => encodeErrorResponse(256, 0)).toThrow('Invalid status: 256 is not a whole number from 0 to 255. Pass a status byte from 0 to 255 (apns-protocol.md 1.5).');
  });

  it('encodes a feedback tuple: time, token length, token (38 bytes for 32-byte tokens)', () => {
    const tuple = encodeFeedbackTuple(1700000000, TOKEN);
    expect(tuple.toString('hex')).toBe(hex(`6553f100 0020 ${TOKEN}`));
    expect(tuple).toHaveLength(38);
    expect(() => encodeFeedbackTuple(1, '')).toThrow('Invalid token: the token is empty. Pass the device token as hex; parseDeviceToken checks and normalizes it.');
    expect(() => encodeFeedbackTuple(-1, TOKEN)).toThrow('Invalid timestamp: -1 is not a whole number from 0 to 4294967295. Pass whole UNIX seconds (not milliseconds) up to 4294967295.');
  });
});

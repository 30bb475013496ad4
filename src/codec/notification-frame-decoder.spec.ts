import { encodeNotificationFrame } from './binary-frame.js';
import { NotificationFrameDecoder, type FrameEvent } from './notification-frame-decoder.js';

const TOKEN = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
const PAYLOAD = Buffer.from('{"aps":{}}');
const P = PAYLOAD.toString('hex');
const bytes = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function decodeAll(input: Buffer, options?: ConstructorParameters<typeof NotificationFrameDecoder>[0]): FrameEvent[] {
  return new NotificationFrameDecoder(options).push(input);
}

describe('NotificationFrameDecoder', () => {
  it('decodes hand-written frames of commands 0, 1 and 2 from one stream', () => {
    const stream = bytes(
      `00 0020 ${TOKEN} 000a ${P}` +
        `01 01020304 6553f100 0020 ${TOKEN} 000a ${P}` +
        `02 00000042 01 0020 ${TOKEN} 02 000a ${P} 03 0004 00000007 04 0004 6553f100 05 0001 0a`,
    );
    expect(decodeAll(stream)).toEqual([
      { kind: 'notification', command: 0, identifier: 0, tokenHex: TOKEN, payload: PAYLOAD },
      { kind: 'notification', command: 1, identifier: 0x01020304, expiration: 1700000000, tokenHex: TOKEN, payload: PAYLOAD },
      { kind: 'notification', command: 2, identifier: 7, expiration: 1700000000, priority: 10, tokenHex: TOKEN, payload: PAYLOAD },
    ]);
  });

  it('accepts command-2 items in any order and without items 3, 4 and 5', () => {
    const events = decodeAll(bytes(`02 00000012 02 000a ${P} 01 0002 abcd`));
    expect(events).toEqual([{ kind: 'notification', command: 2, identifier: 0, tokenHex: 'abcd', payload: PAYLOAD }]);
  });

  it('reports an oversized payload with status 7 and the identifier that follows it', () => {
    const frame = encodeNotificationFrame(2, { identifier: 42, priority: 10, tokenHex: TOKEN, payload: Buffer.alloc(2049, 0x20) });
    expect(decodeAll(frame)).toEqual([{ kind: 'malformed', command: 2, status: 7, identifier: 42, detail: 'the payload is 2049 bytes, the limit is 2048' }]);
    expect(decodeAll(frame, { maxPayloadBytes: 4096 })[0]).toMatchObject({ kind: 'notification', identifier: 42 });
  });

  it('reports the status a gateway would send for each bad frame', () => {
    // [bytes, status, identifier, command of the bad frame (the gateway answers commands 1 and 2 only)]
    const cases: Array<[string, number, number, number | undefined]> = [
      [`02 00000007 03 0004 00000009`, 2, 9, 2], // no token item
      [`02 0000000f 01 0002 abcd 03 0004 00000009 02 0000`, 4, 9, 2], // empty payload
      [`02 0000000c 01 0002 abcd 03 0004 00000009`, 4, 9, 2], // no payload item
      [`02 00000017 01 0000 02 000a ${P} 03 0004 00000009`, 2, 9, 2], // empty token
      [`01 00000003 00000000 0065 ${'ab'.repeat(101)}`, 5, 3, 1], // token over 100 bytes
      [`01 00000003 00000000 0001 ab 0000`, 4, 3, 1],
      [`01 00000003 00000000 0001 ab 0801 ${'20'.repeat(2049)}`, 7, 3, 1],
      [`00 0000`, 2, 0, 0],
      [`00 0001 ab 0801 ${'20'.repeat(2049)}`, 7, 0, 0],
      [`03 00`, 128, 0, undefined], // unknown command
      [`02 00000014 01 0002 abcd 02 0002 7b7d 03 0004 00000009 05 0001 07`, 128, 9, 2], // priority 7
      [`02 00000014 01 0002 abcd 02 0002 7b7d 03 0004 00000009 09 0000`, 128, 9, 2], // unknown item
      [`02 0000000f 01 0002 abcd 01 0002 abcd 02 0002 7b7d`, 128, 0, 2], // duplicate item
      [`02 00000005 01 0010 ab`, 128, 0, 2], // item runs past the frame
      [`02 00000002 0100`, 128, 0, 2], // stray bytes
      [`02 ffffffff`, 128, 0, 2], // impossible frame length, refused before buffering
    ];
    for (const [input, status, identifier, command] of cases) {
      const events = decodeAll(bytes(input));
      expect({ input, events: events.map((e) => (e.kind === 'malformed' ? [e.status, e.identifier, e.command] : e.kind)) }).toEqual({ input, events: [[status, identifier, command]] });
    }
    // A frame after a good one of another command still names its own command.
    expect(decodeAll(bytes(`00 0001 ab 0002 7b7d 03`)).map((e) => (e.kind === 'malformed' ? e.command : e.kind))).toEqual(['notification', undefined]);
  });

  it('is finished after a malformed frame', () => {
    const d = new NotificationFrameDecoder();
    expect(d.push(bytes('ff'))).toHaveLength(1);
    expect(d.finished).toBe(true);
    expect(d.push(bytes(`00 0020 ${TOKEN} 000a ${P}`))).toEqual([]);
  });

  it('assembles frames fed one byte at a time', () => {
    const frame = encodeNotificationFrame(2, { identifier: 5, expiration: 0, priority: 5, tokenHex: TOKEN, payload: PAYLOAD });
    const d = new NotificationFrameDecoder();
    const events: FrameEvent[] = [];
    for (const b of Buffer.concat([frame, frame])) events.push(...d.push(Buffer.from([b])));
    expect(events).toHaveLength(2);
    expect(events[1]).toEqual({ kind: 'notification', command: 2, identifier: 5, expiration: 0, priority: 5, tokenHex: TOKEN, payload: PAYLOAD });
  });
});

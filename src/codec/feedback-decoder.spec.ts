import { FeedbackDecoder } from './feedback-decoder.js';

const TOKEN = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';

describe('FeedbackDecoder', () => {
  it('decodes hand-written tuples, split across chunks anywhere', () => {
    const bytes = Buffer.from(`6553f100 0020 ${TOKEN} 00000001 0002 abcd`.replace(/ /g, ''), 'hex');
    const d = new FeedbackDecoder();
    const events = [...d.push(bytes.subarray(0, 3)), ...d.push(bytes.subarray(3, 40)), ...d.push(bytes.subarray(40))];
    expect(events).toEqual([
      { kind: 'tuple', token: TOKEN, timestamp: new Date(1700000000 * 1000) },
      { kind: 'tuple', token: 'abcd', timestamp: new Date(1000) },
    ]);
    expect(d.finish()).toEqual({ danglingBytes: 0 });
  });

  it('reports a zero-length token as malformed and keeps reading', () => {
    const d = new FeedbackDecoder();
    const events = d.push(Buffer.from('000000050000' + '000000060001ff', 'hex'));
    expect(events).toEqual([
      { kind: 'malformed', detail: 'tuple at time 5 has an empty token' },
      { kind: 'tuple', token: 'ff', timestamp: new Date(6000) },
    ]);
  });

  it('counts the bytes of a tuple cut short and resets for the next read', () => {
    const d = new FeedbackDecoder();
    expect(d.push(Buffer.from('0000000500200102', 'hex'))).toEqual([]);
    expect(d.finish()).toEqual({ danglingBytes: 8 });
    expect(d.push(Buffer.from('000000070001aa', 'hex'))).toEqual([{ kind: 'tuple', token: 'aa', timestamp: new Date(7000) }]);
    expect(d.push(Buffer.from('0000', 'hex'))).toEqual([]);
    expect(d.finish()).toEqual({ danglingBytes: 2 });
  });
});

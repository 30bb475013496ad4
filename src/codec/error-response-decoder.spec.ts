import { ErrorResponseDecoder } from './error-response-decoder.js';

describe('ErrorResponseDecoder', () => {
  it('decodes a hand-written error response into status, name and identifier', () => {
    const d = new ErrorResponseDecoder();
    expect(d.push(Buffer.from('0808deadbeef', 'hex'))).toEqual([
      { kind: 'error-response', status: 8, statusName: 'InvalidToken', identifier: 0xdeadbeef },
    ]);
  });

  it('assembles a packet split 1 + 5 and several packets in one chunk', () => {
    const d = new ErrorResponseDecoder();
    expect(d.push(Buffer.from('08', 'hex'))).toEqual([]);
    expect(d.pendingBytes).toBe(1);
    expect(d.push(Buffer.from('0a00000005', 'hex'))).toEqual([{ kind: 'error-response', status: 10, statusName: 'Shutdown', identifier: 5 }]);
    const two = d.push(Buffer.from('080700000001' + '08ff00000002' + '0809', 'hex'));
    expect(two.map((e) => (e.kind === 'error-response' ? e.statusName : e.kind))).toEqual(['InvalidPayloadSize', 'Unknown']);
    expect(d.push(Buffer.from('00000003', 'hex'))).toEqual([{ kind: 'error-response', status: 9, statusName: 'Unknown(9)', identifier: 3 }]);
  });

  it('reports a command other than 8 as malformed once, then reads nothing more', () => {
    const d = new ErrorResponseDecoder();
    expect(d.push(Buffer.from('0701', 'hex'))).toEqual([{ kind: 'malformed', detail: 'expected command 8, got 7' }]);
    expect(d.push(Buffer.from('080800000001', 'hex'))).toEqual([]);
  });
});

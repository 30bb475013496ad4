import { parseHttp2Response } from './http2-response.js';

const NOW = Date.UTC(2026, 0, 1);
const ID = 'eabeae54-14a8-11e5-b60b-1697f925ec7b';

describe('parseHttp2Response', () => {
  it('reads a 200 with its apns-id and apns-unique-id', () => {
    expect(parseHttp2Response(200, { 'apns-id': ID, 'apns-unique-id': 'u-1' }, undefined, NOW)).toEqual({ ok: true, apnsId: ID, apnsUniqueId: 'u-1' });
    expect(parseHttp2Response(200, {}, '', NOW)).toEqual({ ok: true });
  });

  it("reads Apple's reason and whether it may be retried", () => {
    expect(parseHttp2Response(400, { 'apns-id': ID }, Buffer.from('{"reason":"BadDeviceToken"}'), NOW)).toEqual({
      ok: false, status: 400, reason: 'BadDeviceToken', retryable: false, apnsId: ID,
    });
    expect(parseHttp2Response(503, {}, '{"reason":"Shutdown"}', NOW)).toMatchObject({ reason: 'Shutdown', retryable: true });
    expect(parseHttp2Response(403, {}, '{"reason":"ExpiredProviderToken"}', NOW)).toMatchObject({ retryable: true });
  });

  it('reads the 410 timestamp as milliseconds', () => {
    const r = parseHttp2Response(410, {}, '{"reason":"Unregistered","timestamp":1700000000123}', NOW);
    expect(r).toEqual({ ok: false, status: 410, reason: 'Unregistered', retryable: false, timestamp: new Date(1700000000123) });
    expect(parseHttp2Response(410, {}, '{"reason":"Unregistered","timestamp":"1700000000123"}', NOW)).toMatchObject({ timestamp: new Date(1700000000123) });
    expect(parseHttp2Response(410, {}, '{"reason":"Unregistered","timestamp":"soon"}', NOW)).not.toHaveProperty('timestamp');
    expect(parseHttp2Response(400, {}, '{"reason":"BadTopic","timestamp":1}', NOW)).not.toHaveProperty('timestamp');
  });

  it('honours retry-after in seconds or as an HTTP date', () => {
    expect(parseHttp2Response(429, { 'retry-after': '3' }, '{"reason":"TooManyRequests"}', NOW)).toMatchObject({ retryable: true, retryAfterMs: 3000 });
    expect(parseHttp2Response(503, { 'retry-after': [new Date(NOW + 10_000).toUTCString()] }, undefined, NOW)).toMatchObject({ retryAfterMs: 10_000 });
  });

  it('never throws on an empty, garbage or non-object body, and names the status instead', () => {
    expect(parseHttp2Response(500, {}, undefined, NOW)).toEqual({ ok: false, status: 500, reason: 'InternalServerError', retryable: true });
    expect(parseHttp2Response(413, {}, Buffer.from([0xff, 0xfe, 0x00]), NOW)).toMatchObject({ reason: 'PayloadTooLarge', retryable: false });
    expect(parseHttp2Response(400, {}, '[1]', NOW)).toMatchObject({ reason: 'BadRequest' });
    expect(parseHttp2Response(400, {}, '{"reason":42}', NOW)).toMatchObject({ reason: 'BadRequest' });
    expect(parseHttp2Response(502, {}, '<html>', NOW)).toMatchObject({ reason: 'HTTP502', retryable: true });
    expect(parseHttp2Response(400, {}, '{"reason":"SomethingNew"}', NOW)).toMatchObject({ reason: 'SomethingNew', retryable: false });
  });
});

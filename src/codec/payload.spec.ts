import { ApnsValidationError } from '../errors/apns-validation.error.js';
import type { ApnsNotification } from './apns-notification.js';
import { PAYLOAD_LIMITS, buildPayload, payloadLimit } from './payload.js';

const json = (n: ApnsNotification, limit = 4096) => JSON.parse(buildPayload(n, limit).bytes.toString('utf8'));

function rejection(n: ApnsNotification, limit = 4096): ApnsValidationError {
  try {
    buildPayload(n, limit);
  } catch (e) {
    expect(e).toBeInstanceOf(ApnsValidationError);
    return e as ApnsValidationError;
  }
  throw new Error('expected a rejection');
}

describe('buildPayload', () => {
  it('writes every aps key in Apple spelling, with custom data next to aps', () => {
    const payload = json({
      alert: {
        title: 'T', subtitle: 'S', body: 'B', launchImage: 'L', titleLocKey: 'TK', titleLocArgs: ['a'], subtitleLocKey: 'SK',
        subtitleLocArgs: ['b'], locKey: 'K', locArgs: ['c'], actionLocKey: null, action: 'A', summaryArg: 'SA', summaryArgCount: 2,
      },
      badge: 0, sound: { critical: true, name: 'alarm.caf', volume: 0.5 }, threadId: 'th', category: 'cat', mutableContent: true,
      targetContentId: 'w', interruptionLevel: 'time-sensitive', relevanceScore: 0.7, filterCriteria: 'work', urlArgs: ['x'],
      data: { orderId: 42, nested: { ok: true } },
    });
    expect(payload).toEqual({
      aps: {
        alert: {
          title: 'T', subtitle: 'S', body: 'B', 'launch-image': 'L', 'title-loc-key': 'TK', 'title-loc-args': ['a'], 'subtitle-loc-key': 'SK',
          'subtitle-loc-args': ['b'], 'loc-key': 'K', 'loc-args': ['c'], 'action-loc-key': null, action: 'A', 'summary-arg': 'SA', 'summary-arg-count': 2,
        },
        badge: 0, sound: { critical: 1, name: 'alarm.caf', volume: 0.5 }, 'thread-id': 'th', category: 'cat', 'mutable-content': 1,
        'target-content-id': 'w', 'interruption-level': 'time-sensitive', 'relevance-score': 0.7, 'filter-criteria': 'work', 'url-args': ['x'],
      },
      orderId: 42,
      nested: { ok: true },
    });
  });

  it('writes the Live Activity keys', () => {
    expect(json({
      event: 'start', timestamp: 1700000000, contentState: { score: 1 }, staleDate: 1700003600, dismissalDate: 1700007200,
      attributesType: 'Match', attributes: { home: 'A' }, inputPushToken: true, inputPushChannel: 'ch',
      alert: { title: { 'loc-key': 'k' }, body: 'b', sound: 'default' },
    }).aps).toEqual({
      alert: { title: { 'loc-key': 'k' }, body: 'b', sound: 'default' },
      event: 'start', timestamp: 1700000000, 'content-state': { score: 1 }, 'stale-date': 1700003600, 'dismissal-date': 1700007200,
      'attributes-type': 'Match', attributes: { home: 'A' }, 'input-push-token': 1, 'input-push-channel': 'ch',
    });
  });

  it('writes a string alert and content-available, and leaves false flags out', () => {
    expect(buildPayload({ alert: 'Hello', contentAvailable: 1, mutableContent: false as unknown as true }, 4096).bytes.toString()).toBe(
      '{"aps":{"alert":"Hello","content-available":1}}',
    );
  });

  it('passes a raw payload through exactly as given (string, bytes, object)', () => {
    const text = '{"aps" : {"alert":"hi"},   "x":1}';
    expect(buildPayload({ payload: text, alert: 'ignored' }, 4096).bytes.toString()).toBe(text);
    expect(buildPayload({ payload: Buffer.from(text) }, 4096).bytes.toString()).toBe(text);
    expect(buildPayload({ payload: { aps: { badge: 1 }, y: [1] } }, 4096).bytes.toString()).toBe('{"aps":{"badge":1},"y":[1]}');
    expect(buildPayload({ payload: text }, 4096).aps).toEqual({ alert: 'hi' });
  });

  it('rejects a raw payload that is not a JSON object', () => {
    expect(rejection({ payload: 'not json' }).message).toBe('Invalid payload: it is not valid JSON. Pass a JSON object such as {"aps":{"alert":"Hi"}}.');
    expect(rejection({ payload: '[1,2]' }).message).toContain('the JSON is not an object');
    expect(rejection({ payload: Buffer.from('"str"') }).message).toContain('the JSON is not an object');
    expect(rejection({ payload: 42 as unknown as string }).message).toContain('expected an object, a JSON string or bytes');
  });

  it('rejects data with an aps key, and data that is not JSON', () => {
    const e = rejection({ alert: 'x', data: { aps: {} } });
    expect(e.field).toBe('data');
    expect(e.message).toContain('it has an aps key');
    expect(rejection({ data: { big: 1n } as unknown as Record<string, unknown> }).message).toMatch(/^Invalid data: it cannot be written as JSON/);
    expect(rejection({ data: [] as unknown as Record<string, unknown> }).field).toBe('data');
  });

  it('rejects aps values Apple cannot take, naming the field and the fix', () => {
    const cases: Array<[ApnsNotification, string, string]> = [
      [{ badge: -1 }, 'badge', 'Invalid badge: -1 is not a whole number of 0 or more. Pass the count to show, or 0 to remove the badge.'],
      [{ badge: 1.5 }, 'badge', 'Invalid badge: 1.5 is not a whole number of 0 or more. Pass the count to show, or 0 to remove the badge.'],
      [{ interruptionLevel: 'loud' as 'active' }, 'interruptionLevel', 'Invalid interruptionLevel: "loud" is not an interruption level. Use passive, active, time-sensitive or critical.'],
      [{ relevanceScore: NaN }, 'relevanceScore', 'Invalid relevanceScore: NaN is not a finite number. Use a number from 0 to 1.'],
      [{ event: 'pause' as 'start' }, 'event', 'Invalid event: "pause" is not a Live Activity event. Use start, update or end.'],
      [{ sound: { name: 'x', volume: 2 } }, 'sound.volume', 'Invalid sound.volume: 2 is not between 0 and 1. Use 0 (silent) to 1 (full volume).'],
      [{ sound: {} as { name: string } }, 'sound', 'Invalid sound: a sound dictionary needs a string name. Pass a file name, "default", or { critical: 1, name, volume }.'],
      [{ alert: { body: 'b', sound: { volume: 1 } as unknown as { name: string } } }, 'alert.sound', 'Invalid alert.sound: a sound dictionary needs a string name. Pass a file name, "default", or { critical: 1, name, volume }.'],
      [{ alert: 5 as unknown as string }, 'alert', 'Invalid alert: expected a string or an alert dictionary. Pass the body text or { title, body, ... }.'],
    ];
    for (const [n, field, message] of cases) expect(rejection(n)).toMatchObject({ field, message });
  });

  it('measures UTF-8 bytes, not characters, and says size and limit', () => {
    const body = '😀'.repeat(1015); // 4 bytes each, 2 UTF-16 units each
    const size = Buffer.byteLength(JSON.stringify({ aps: { alert: body } }));
    expect(size).toBe(4080);
    expect(buildPayload({ alert: body }, 4096).bytes.length).toBe(4080);
    expect(rejection({ alert: body }, 2048).message).toBe(
      'Invalid payload: the payload is 4080 bytes, the limit is 2048 bytes. Shorten the alert or the custom data, or set truncateAlert to shorten the alert body.',
    );
    expect(rejection({ payload: 'x'.repeat(10).replace(/^/, '{"a":"').concat('"}') }, 10).message).toContain('is 18 bytes, the limit is 10 bytes');
  });

  it('has the limits of each transport and push type', () => {
    expect(PAYLOAD_LIMITS).toEqual({ binary: 2048, http2: 4096, voip: 5120 });
    expect(payloadLimit('http2', 'voip')).toBe(5120);
    expect(payloadLimit('http2', 'alert')).toBe(4096);
    expect(payloadLimit('binary', 'voip')).toBe(2048);
  });
});

describe('alert truncation', () => {
  const fit = (n: ApnsNotification, limit: number) => {
    const bytes = buildPayload({ ...n, truncateAlert: true }, limit).bytes;
    expect(bytes.length).toBeLessThanOrEqual(limit);
    return JSON.parse(bytes.toString('utf8'));
  };

  it('shortens a string alert to exactly the limit', () => {
    const out = fit({ alert: 'a'.repeat(100) }, 60);
    expect(Buffer.byteLength(JSON.stringify(out))).toBe(60);
    expect(out.aps.alert).toBe('a'.repeat(60 - '{"aps":{"alert":""}}'.length));
  });

  it('never splits an emoji (surrogate pair, 4-byte UTF-8) and keeps other alert keys', () => {
    for (let limit = 47; limit < 70; limit++) {
      const out = fit({ alert: { title: 'T', body: '😀é'.repeat(20) }, data: { k: 1 } }, limit);
      expect(out.aps.alert.title).toBe('T');
      expect(out.k).toBe(1);
      expect(out.aps.alert.body).toMatch(/^(😀é)*😀?$/u);
      expect(out.aps.alert.body.isWellFormed?.() ?? true).toBe(true);
    }
  });

  it('counts JSON escapes when shortening', () => {
    const body = '"\\\n\u0001'.repeat(30);
    for (let limit = 30; limit < 80; limit += 7) {
      const out = fit({ alert: body }, limit);
      expect(body.startsWith(out.aps.alert)).toBe(true);
    }
  });

  it('fails when there is no body text to shorten or the rest alone is too big', () => {
    expect(rejection({ alert: { title: 'x'.repeat(100) }, truncateAlert: true }, 50).message).toContain('there is no alert body text to shorten');
    expect(rejection({ alert: 'hi', data: { big: 'x'.repeat(100) }, truncateAlert: true }, 50).message).toContain('still 129 bytes with an empty alert body');
  });
});

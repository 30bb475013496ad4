import { ApnsValidationError } from '../errors/apns-validation.error.js';
import type { ApnsNotification } from './apns-notification.js';
import { prepareNotification, type PrepareOptions } from './prepare-notification.js';

const NOW = Date.UTC(2026, 0, 1); // ms
const H2: PrepareOptions = { transport: 'http2', defaultTopic: 'com.example.app', now: NOW };
const BIN: PrepareOptions = { transport: 'binary', now: NOW };

function rejection(n: ApnsNotification, options: PrepareOptions = H2): ApnsValidationError {
  try {
    prepareNotification(n, options);
  } catch (e) {
    expect(e).toBeInstanceOf(ApnsValidationError);
    return e as ApnsValidationError;
  }
  throw new Error('expected a rejection');
}

describe('prepareNotification for HTTP/2', () => {
  it('builds payload and headers once, without apns-id', () => {
    const n: ApnsNotification = { alert: 'Hello', id: '0a1b2c3d-0000-4000-8000-000000000001' };
    const p = prepareNotification(n, H2);
    expect(p.notification).toBe(n);
    expect(p.payload.toString()).toBe('{"aps":{"alert":"Hello"}}');
    expect(p).toMatchObject({ pushType: 'alert', priority: 10, expiration: undefined });
    expect(p.headers).toEqual({ 'apns-push-type': 'alert', 'apns-topic': 'com.example.app', 'apns-priority': '10' });
    expect(Object.isFrozen(p)).toBe(true);
  });

  it('defaults a content-available-only push to background with priority 5', () => {
    const p = prepareNotification({ contentAvailable: true, data: { sync: 1 } }, H2);
    expect(p.headers).toEqual({ 'apns-push-type': 'background', 'apns-topic': 'com.example.app', 'apns-priority': '5' });
    expect(prepareNotification({ contentAvailable: true, badge: 1 }, H2).pushType).toBe('alert');
    expect(prepareNotification({ payload: '{"aps":{"content-available":1}}' }, H2).pushType).toBe('background');
  });

  it('rejects a background push with priority other than 5', () => {
    const e = rejection({ contentAvailable: 1, priority: 10 });
    expect(e.field).toBe('priority');
    expect(e.message).toBe('Invalid priority: background pushes must have priority 5, not 10. Leave priority unset or use 5.');
    expect(rejection({ contentAvailable: 1, priority: 1 }).message).toBe('Invalid priority: background pushes must have priority 5, not 1. Leave priority unset or use 5.');
    expect(rejection({ pushType: 'background', alert: 'x', priority: 1 }).message).toBe('Invalid priority: background pushes must have priority 5, not 1. Leave priority unset or use 5.');
    expect(rejection({ alert: 'x', priority: 7 as 5 }).message).toBe('Invalid priority: 7 is not a priority. Use 10 (now), 5 (when it saves power) or 1 (power first).');
    expect(prepareNotification({ alert: 'x', priority: 1 }, H2).headers['apns-priority']).toBe('1');
  });

  it('rejects priority 1 on a liveactivity push, which takes 5 or 10', () => {
    const e = rejection({ pushType: 'liveactivity', event: 'update', contentState: {}, timestamp: 1, priority: 1 });
    expect(e.field).toBe('priority');
    expect(e.message).toBe(
      'Invalid priority: liveactivity pushes take priority 5 or 10, not 1. Use 10 for an update the user must see at once (it counts against the hourly Live Activity budget), otherwise 5.',
    );
    expect(prepareNotification({ pushType: 'liveactivity', event: 'update', priority: 5 }, H2).headers['apns-priority']).toBe('5');
    expect(prepareNotification({ pushType: 'liveactivity', event: 'update' }, H2).headers['apns-priority']).toBe('10');
  });

  // apns-protocol.md §2.3, row by row: only background and liveactivity state a
  // rule; the others say when to pick 10 or 5, which is advice, not a limit.
  it.each<[NonNullable<ApnsNotification['pushType']>, Array<1 | 5 | 10>]>([
    ['alert', [10, 5, 1]],
    ['background', [5]],
    ['complication', [10, 5, 1]],
    ['controls', [10, 5, 1]],
    ['fileprovider', [10, 5, 1]],
    ['liveactivity', [10, 5]],
    ['location', [10, 5, 1]],
    ['mdm', [10, 5, 1]],
    ['pushtotalk', [10, 5, 1]],
    ['voip', [10, 5, 1]],
    ['widgets', [10, 5, 1]],
  ])('pushType %s takes priorities %j on HTTP/2 and no other', (pushType, allowed) => {
    for (const priority of [10, 5, 1] as const) {
      const n: ApnsNotification = { pushType, alert: 'x', priority, topic: pushType === 'mdm' ? 'com.apple.mgmt.External.x' : undefined };
      if (allowed.includes(priority)) expect(prepareNotification(n, H2).headers['apns-priority']).toBe(String(priority));
      else expect(rejection(n).field).toBe('priority');
    }
  });

  it('appends the topic suffix of each push type to a bare bundle id, once', () => {
    const topic = (pushType: ApnsNotification['pushType'], t?: string) => prepareNotification({ alert: 'x', pushType, topic: t }, H2).headers['apns-topic'];
    expect(topic('voip')).toBe('com.example.app.voip');
    expect(topic('voip', 'com.other.app.voip')).toBe('com.other.app.voip');
    expect(topic('complication')).toBe('com.example.app.complication');
    expect(topic('liveactivity')).toBe('com.example.app.push-type.liveactivity');
    expect(topic('location')).toBe('com.example.app.location-query');
    expect(topic('pushtotalk')).toBe('com.example.app.voip-ptt');
    expect(topic('fileprovider')).toBe('com.example.app.pushkit.fileprovider');
    expect(topic('widgets')).toBe('com.example.app.push-type.widgets');
    expect(topic('controls')).toBe('com.example.app.push-type.controls');
    expect(topic('mdm', 'com.apple.mgmt.External.abc')).toBe('com.apple.mgmt.External.abc');
    expect(topic('alert', 'com.x')).toBe('com.x');
  });

  it('rejects a missing or malformed topic', () => {
    const e = rejection({ alert: 'x' }, { transport: 'http2', now: NOW });
    expect(e.field).toBe('topic');
    expect(e.message).toContain('no topic was given');
    expect(e.message).toBe(
      "Invalid topic: no topic was given and the client has no default topic. Set the notification's topic or the client's topic option to the app's bundle id.",
    );
    const fix = 'Use the bundle id, e.g. com.example.app (printable ASCII, no spaces).';
    expect(rejection({ alert: 'x', topic: 'com.example app' })).toMatchObject({ field: 'topic', message: `Invalid topic: "com.example app" is not a bundle id. ${fix}` });
    expect(rejection({ alert: 'x', topic: 'com.exämple.app' })).toMatchObject({ field: 'topic', message: `Invalid topic: "com.exämple.app" is not a bundle id. ${fix}` });
    expect(rejection({ alert: 'x', topic: 42 as unknown as string })).toMatchObject({ field: 'topic', message: `Invalid topic: 42 is not a bundle id. ${fix}` });
  });

  it('rejects an unknown push type and a malformed apns-id', () => {
    expect(rejection({ alert: 'x', pushType: 'email' as 'alert' })).toMatchObject({
      field: 'pushType',
      message: 'Invalid pushType: email is not an apns-push-type. Use one of alert, background, complication, controls, fileprovider, liveactivity, location, mdm, pushtotalk, voip, widgets.',
    });
    const badId = 'Invalid id: it is not a lowercase canonical UUID. Use crypto.randomUUID(), or leave it unset.';
    expect(rejection({ alert: 'x', id: 'NOT-A-UUID' })).toMatchObject({ field: 'id', message: badId });
    expect(rejection({ alert: 'x', id: '0A1B2C3D-0000-4000-8000-000000000001' })).toMatchObject({ field: 'id', message: badId });
  });

  it('writes the expiration as UNIX seconds from a Date or a number, and 0 as is', () => {
    expect(prepareNotification({ alert: 'x', expiration: new Date(NOW + 3600_500) }, H2).headers['apns-expiration']).toBe(String(NOW / 1000 + 3600));
    expect(prepareNotification({ alert: 'x', expiration: NOW / 1000 + 60 }, H2).expiration).toBe(NOW / 1000 + 60);
    expect(prepareNotification({ alert: 'x', expiration: 0 }, H2).headers['apns-expiration']).toBe('0');
  });

  it('rejects an expiration in the past, in milliseconds, or not a time', () => {
    expect(rejection({ alert: 'x', expiration: NOW / 1000 - 1 }).message).toContain('2025-12-31T23:59:59.000Z is in the past');
    expect(rejection({ alert: 'x', expiration: NOW + 60_000 }).message).toContain('Pass UNIX seconds (not milliseconds)');
    expect(rejection({ alert: 'x', expiration: new Date('nope') }).message).toContain('the date is invalid');
    expect(rejection({ alert: 'x', expiration: 1.5 }).field).toBe('expiration');
  });

  it('limits apns-collapse-id to 64 UTF-8 bytes and carries UTF-8 bytes through the header', () => {
    expect(prepareNotification({ alert: 'x', collapseId: 'c'.repeat(64) }, H2).headers['apns-collapse-id']).toBe('c'.repeat(64));
    const e = rejection({ alert: 'x', collapseId: 'é'.repeat(33) });
    expect(e.message).toBe('Invalid collapseId: it is 66 bytes, the limit is 64 bytes. Use a shorter collapse id (UTF-8 bytes count, not characters).');
    const header = prepareNotification({ alert: 'x', collapseId: 'é' }, H2).headers['apns-collapse-id']!;
    expect(Buffer.from(header, 'latin1').toString('utf8')).toBe('é');
    expect(rejection({ alert: 'x', collapseId: '' })).toMatchObject({
      field: 'collapseId',
      message: 'Invalid collapseId: it is empty or not a string. Pass a short non-empty string, or leave it unset.',
    });
    const control = 'Invalid collapseId: it contains a control character. Remove line breaks, tabs and other control characters: a header value cannot carry them.';
    expect(rejection({ alert: 'x', collapseId: 'a\nb' })).toMatchObject({ field: 'collapseId', message: control });
    expect(rejection({ alert: 'x', collapseId: 'tab\there' })).toMatchObject({ field: 'collapseId', message: control });
    expect(rejection({ alert: 'x', collapseId: 'del\x7f' })).toMatchObject({ field: 'collapseId', message: control });
  });

  it('allows 5120 bytes for VoIP and 4096 otherwise', () => {
    const data = { blob: 'x'.repeat(4500) };
    expect(prepareNotification({ pushType: 'voip', data }, H2).payload.length).toBeGreaterThan(4096);
    expect(rejection({ data }).message).toContain('the limit is 4096 bytes');
  });
});

describe('prepareNotification for binary', () => {
  it('needs no topic, builds no headers and enforces 2048 bytes', () => {
    const p = prepareNotification({ alert: 'x', priority: 5, expiration: 0 }, BIN);
    expect(p).toMatchObject({ headers: {}, priority: 5, expiration: 0, pushType: 'alert' });
    expect(rejection({ alert: 'x'.repeat(2100) }, BIN).message).toContain('the limit is 2048 bytes');
  });

  it('knows priorities 10 and 5 only', () => {
    expect(rejection({ alert: 'x', priority: 1 }, BIN).message).toBe('Invalid priority: the binary interface knows priorities 10 and 5 only. Use 10 or 5.');
  });

  it('refuses priority 10 for a push with only content-available, and defaults it to 5 whatever the push type', () => {
    const e = rejection({ pushType: 'alert', contentAvailable: 1, priority: 10 }, BIN);
    expect(e.message).toBe(
      'Invalid priority: on the binary interface priority 10 needs an alert, a sound or a badge, and this push has only content-available. Leave priority unset or use 5 for a background push.',
    );
    expect(rejection({ payload: '{"aps":{"content-available":1}}', pushType: 'alert', priority: 10 }, BIN).field).toBe('priority');
    expect(prepareNotification({ pushType: 'alert', contentAvailable: 1 }, BIN).priority).toBe(5);
    expect(prepareNotification({ contentAvailable: 1, badge: 2, priority: 10 }, BIN).priority).toBe(10);
    // On HTTP/2 the push type decides: an alert push with content-available keeps priority 10.
    expect(prepareNotification({ pushType: 'alert', contentAvailable: 1 }, H2).priority).toBe(10);
  });
});

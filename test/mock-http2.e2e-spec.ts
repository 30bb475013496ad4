import { jest } from '@jest/globals';
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { constants as h2, type ClientHttp2Session } from 'node:http2';
import { signProviderToken } from '../src/codec/provider-token-jwt.js';
import { MockApnsServer, testCredentials } from '../src/testing/index.js';
import { closeH2, h2Send, openH2, TOKEN, TOKEN_2 } from './mock-test-clients.js';

const signingKey = createPrivateKey(testCredentials.signingKey);
const now = () => Math.floor(Date.now() / 1000);
function jwt(issuedAtSeconds = now(), key = signingKey, keyId = testCredentials.keyId, teamId = testCredentials.teamId): string {
  return signProviderToken({ key, keyId, teamId, issuedAtSeconds });
}
const bearer = (token: string) => ({ authorization: `bearer ${token}` });
const APNS_ID = 'eabeae54-14a8-11e5-b60b-1697f925ec7b';

describe('MockApnsServer HTTP/2 API', () => {
  let mock: MockApnsServer;
  let sessions: ClientHttp2Session[];

  beforeEach(async () => {
    mock = await MockApnsServer.start({ seed: 7 });
    sessions = [];
  });

  afterEach(async () => {
    await Promise.all(sessions.map(closeH2));
    await mock.stop();
  });

  async function open(cert: 'none' | 'valid' | 'expired' = 'none'): Promise<ClientHttp2Session> {
    const session = await openH2(mock, cert);
    sessions.push(session);
    return session;
  }

  describe('certificate auth', () => {
    it('accepts a valid push, echoes apns-id and records it', async () => {
      const session = await open('valid');
      const res = await h2Send(session, {
        token: TOKEN.toUpperCase(),
        headers: { 'apns-id': APNS_ID, 'apns-push-type': 'alert', 'apns-priority': '10', 'apns-expiration': '0', 'apns-collapse-id': 'c1' },
      });
      expect(res.status).toBe(200);
      expect(res.headers['apns-id']).toBe(APNS_ID);
      expect(res.body).toBe('');
      expect(mock.accepted).toHaveLength(1);
      const record = mock.accepted[0]!;
      expect(record).toMatchObject({ protocol: 'http2', token: TOKEN, apnsId: APNS_ID, connectionId: 1, json: { aps: { alert: 'hello' } } });
      expect(record.payload.toString()).toBe('{"aps":{"alert":"hello"}}');
      expect(record.headers).toMatchObject({ ':method': 'POST', 'apns-topic': 'com.example.app', 'apns-collapse-id': 'c1', 'apns-priority': '10' });
      expect(mock.counters).toMatchObject({ http2Sessions: 1, streams: 1, accepted: 1, rejected: 0 });
    });

    it('makes up a canonical apns-id when the request has none, the same for the same seed', async () => {
      const first = await h2Send(await open('valid'));
      const again = await MockApnsServer.start({ seed: 7 });
      try {
        const other = await openH2(again, 'valid');
        const second = await h2Send(other);
        await closeH2(other);
        expect(first.headers['apns-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(second.headers['apns-id']).toBe(first.headers['apns-id']);
      } finally {
        await again.stop();
      }
    });

    it('ignores the authorization header on a certificate connection', async () => {
      expect((await h2Send(await open('valid'), { headers: bearer('not-a-jwt') })).status).toBe(200);
    });

    it('answers 403 BadCertificate on a connection with an expired client certificate', async () => {
      const res = await h2Send(await open('expired'));
      expect(res).toMatchObject({ status: 403, body: '{"reason":"BadCertificate"}' });
      expect(res.headers['content-type']).toBe('application/json');
    });

    it('lets a missing topic through (the certificate names it) but requires it with token auth', async () => {
      const certSession = await open('valid');
      expect((await h2Send(certSession, { headers: { 'apns-topic': undefined } })).status).toBe(200);
      const tokenSession = await open();
      const res = await h2Send(tokenSession, { headers: { ...bearer(jwt()), 'apns-topic': undefined } });
      expect(res).toMatchObject({ status: 400, body: '{"reason":"MissingTopic"}' });
    });
  });

  describe('token auth', () => {
    it('accepts a valid ES256 token and counts distinct tokens', async () => {
      const session = await open();
      const token = jwt();
      for (let i = 0; i < 3; i++) expect((await h2Send(session, { headers: bearer(token) })).status).toBe(200);
      expect(mock.counters.providerTokens).toBe(1);
      expect(mock.accepted[0]!.headers).not.toHaveProperty('authorization');
      await h2Send(session, { headers: bearer(jwt(now() - 10)) });
      expect(mock.counters.providerTokens).toBe(2);
    });

    it.each([
      ['no authorization header', {}, 'MissingProviderToken'],
      ['an empty bearer', { authorization: 'bearer ' }, 'MissingProviderToken'],
      ['garbage', bearer('abc.def'), 'InvalidProviderToken'],
      ['a token signed by another key', bearer(jwt(now(), generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)), 'InvalidProviderToken'],
      ['an unknown key id', bearer(jwt(now(), signingKey, 'ZZZ999ZZZZ')), 'InvalidProviderToken'],
      ['an unknown team', bearer(jwt(now(), signingKey, testCredentials.keyId, 'ZZZ999ZZZZ')), 'InvalidProviderToken'],
      ['an iat older than an hour', bearer(jwt(now() - 3601)), 'ExpiredProviderToken'],
    ])('refuses %s with 403', async (_name, headers, reason) => {
      const res = await h2Send(await open(), { headers });
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body)).toEqual({ reason });
      expect(mock.rejected[0]).toMatchObject({ protocol: 'http2', status: 403, reason, token: TOKEN });
    });

    it('refuses a DER signature and an algorithm other than ES256', async () => {
      const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const input = `${b64({ alg: 'ES256', kid: testCredentials.keyId })}.${b64({ iss: testCredentials.teamId, iat: now() })}`;
      const der = sign('sha256', Buffer.from(input), signingKey).toString('base64url');
      const hsInput = `${b64({ alg: 'HS256', kid: testCredentials.keyId })}.${b64({ iss: testCredentials.teamId, iat: now() })}`;
      const raw = sign('sha256', Buffer.from(hsInput), { key: signingKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
      const session = await open();
      expect((await h2Send(session, { headers: bearer(`${input}.${der}`) })).body).toBe('{"reason":"InvalidProviderToken"}');
      expect((await h2Send(session, { headers: bearer(`${hsInput}.${raw}`) })).body).toBe('{"reason":"InvalidProviderToken"}');
    });

    it('accepts tokens of a key registered at run time', async () => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const session = await open();
      const token = jwt(now(), privateKey, 'KEY2KEY2KE', 'TEAM2TEAM2');
      expect((await h2Send(session, { headers: bearer(token) })).status).toBe(403);
      mock.registerSigningKey('TEAM2TEAM2', 'KEY2KEY2KE', publicKey);
      expect((await h2Send(session, { headers: bearer(token) })).status).toBe(200);
    });

    it('tokenUpdateLimit answers a second token switch within 20 minutes with 429 TooManyProviderTokenUpdates', async () => {
      const strict = await MockApnsServer.start({ tokenUpdateLimit: true });
      try {
        const session = await openH2(strict);
        const [a, b, c] = [jwt(now() - 30), jwt(now() - 20), jwt(now() - 10)];
        const statuses = [];
        for (const token of [a, a, b, b, c]) statuses.push((await h2Send(session, { headers: bearer(token) })).status);
        expect(statuses).toEqual([200, 200, 200, 200, 429]);
        expect(strict.rejected[0]!.reason).toBe('TooManyProviderTokenUpdates');
        // The limit is per connection.
        const other = await openH2(strict);
        expect((await h2Send(other, { headers: bearer(c) })).status).toBe(200);
        await Promise.all([closeH2(session), closeH2(other)]);
      } finally {
        await strict.stop();
      }
    });

    it('expireProviderTokens answers the next N token requests ExpiredProviderToken whatever their iat', async () => {
      mock.faults.expireProviderTokens({ count: 2 });
      const session = await open();
      const bodies = [];
      for (let i = 0; i < 3; i++) bodies.push((await h2Send(session, { headers: bearer(jwt()) })).body);
      expect(bodies).toEqual(['{"reason":"ExpiredProviderToken"}', '{"reason":"ExpiredProviderToken"}', '']);
    });
  });

  describe('request validation', () => {
    const long = 'x'.repeat(65);
    it.each([
      ['a GET', { method: 'GET', body: '' }, 405, 'MethodNotAllowed'],
      ['a path outside /3/device', { path: '/3/other/abcd' }, 404, 'BadPath'],
      ['a path with more segments', { path: `/3/device/${TOKEN}/x` }, 404, 'BadPath'],
      ['no token', { path: '/3/device/' }, 400, 'MissingDeviceToken'],
      ['a token that is not hex', { token: 'zz'.repeat(32) }, 400, 'BadDeviceToken'],
      ['an odd-length token', { token: 'abc' }, 400, 'BadDeviceToken'],
      ['a repeated header', { headers: { 'apns-topic': ['com.example.app', 'com.example.app'] } }, 400, 'DuplicateHeaders'],
      ['an unknown push type', { headers: { 'apns-push-type': 'email' } }, 400, 'InvalidPushType'],
      ['a push type named like an object property', { headers: { 'apns-push-type': 'constructor' } }, 400, 'InvalidPushType'],
      ['an apns-id in upper case', { headers: { 'apns-id': APNS_ID.toUpperCase() } }, 400, 'BadMessageId'],
      ['an apns-id that is no UUID', { headers: { 'apns-id': 'abc' } }, 400, 'BadMessageId'],
      ['a voip push without the .voip topic', { headers: { 'apns-push-type': 'voip' } }, 400, 'BadTopic'],
      ['a liveactivity push without its suffix', { headers: { 'apns-push-type': 'liveactivity' } }, 400, 'BadTopic'],
      ['priority 7', { headers: { 'apns-priority': '7' } }, 400, 'BadPriority'],
      ['a background push at priority 10', { headers: { 'apns-push-type': 'background', 'apns-priority': '10' } }, 400, 'BadPriority'],
      ['a background push at priority 1', { headers: { 'apns-push-type': 'background', 'apns-priority': '1' } }, 400, 'BadPriority'],
      ['a Live Activity push at priority 1', { headers: { 'apns-push-type': 'liveactivity', 'apns-topic': 'com.example.app.push-type.liveactivity', 'apns-priority': '1' } }, 400, 'BadPriority'],
      ['an expiration that is not a number', { headers: { 'apns-expiration': 'tomorrow' } }, 400, 'BadExpirationDate'],
      ['a collapse id over 64 bytes', { headers: { 'apns-collapse-id': long } }, 400, 'BadCollapseId'],
      ['a non-ASCII collapse id of 65 bytes', { headers: { 'apns-collapse-id': utf8OnTheWire(`x${'é'.repeat(32)}`) } }, 400, 'BadCollapseId'],
      ['an empty body', { body: '' }, 400, 'PayloadEmpty'],
      ['a body over 4096 bytes', { body: `{"a":"${'x'.repeat(4090)}"}` }, 413, 'PayloadTooLarge'],
      ['a voip body over 5120 bytes', { headers: { 'apns-push-type': 'voip', 'apns-topic': 'com.example.app.voip' }, body: `{"a":"${'x'.repeat(5114)}"}` }, 413, 'PayloadTooLarge'],
      ['a body that is not JSON', { body: '{"aps":' }, 400, 'BadPayload'],
      ['a JSON array body', { body: '[1]' }, 400, 'BadPayload'],
    ])('refuses %s', async (_name, request, status, reason) => {
      const res = await h2Send(await open('valid'), request as Parameters<typeof h2Send>[1]);
      expect(res.status).toBe(status);
      expect(JSON.parse(res.body)).toEqual({ reason });
      expect(res.headers['apns-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(mock.accepted).toHaveLength(0);
      expect(mock.rejected).toEqual([expect.objectContaining({ status, reason })]);
    });

    it.each([
      ['a 4096-byte body', { body: `{"a":"${'x'.repeat(4088)}"}` }],
      ['a 5120-byte voip body', { headers: { 'apns-push-type': 'voip', 'apns-topic': 'com.example.app.voip' }, body: `{"a":"${'x'.repeat(5112)}"}` }],
      ['a 64-byte collapse id', { headers: { 'apns-collapse-id': 'y'.repeat(64) } }],
      // A client puts UTF-8 on the wire as one latin1 character per byte: 32 × 'é' is 64 bytes.
      ['a 64-byte collapse id of non-ASCII text', { headers: { 'apns-collapse-id': utf8OnTheWire('é'.repeat(32)) } }],
      ['a background push at priority 5', { headers: { 'apns-push-type': 'background', 'apns-priority': '5' } }],
      ['priority 1', { headers: { 'apns-priority': '1' } }],
    ])('accepts %s', async (_name, request) => {
      const res = await h2Send(await open('valid'), request as Parameters<typeof h2Send>[1]);
      expect(res.status).toBe(200);
    });

    // From apns-protocol.md §2.3, written out here rather than read from the mock's table.
    const suffixes: Array<[string, string]> = [
      ['alert', ''],
      ['background', ''],
      ['complication', '.complication'],
      ['controls', '.push-type.controls'],
      ['fileprovider', '.pushkit.fileprovider'],
      ['liveactivity', '.push-type.liveactivity'],
      ['location', '.location-query'],
      ['mdm', ''],
      ['pushtotalk', '.voip-ptt'],
      ['voip', '.voip'],
      ['widgets', '.push-type.widgets'],
    ];
    it.each(suffixes)('accepts push type %s with topic suffix "%s", and refuses it without', async (pushType, suffix) => {
      const session = await open('valid');
      const priority = pushType === 'background' ? '5' : '10';
      const ok = await h2Send(session, { headers: { 'apns-push-type': pushType, 'apns-priority': priority, 'apns-topic': `com.example.app${suffix}` } });
      expect(ok.status).toBe(200);
      if (suffix !== '') {
        const bare = await h2Send(session, { headers: { 'apns-push-type': pushType, 'apns-priority': priority, 'apns-topic': 'com.example.app' } });
        expect(bare).toMatchObject({ status: 400, body: '{"reason":"BadTopic"}' });
      }
    });
  });

  describe('per-token answers', () => {
    it('rejectToken, markInvalid and markUnregistered answer only that token, case-insensitively', async () => {
      const session = await open('valid');
      const gone = new Date('2024-05-06T07:08:09.123Z');
      mock.rejectToken(TOKEN.toUpperCase(), { status: 400, reason: 'DeviceTokenNotForTopic' });
      mock.markUnregistered(TOKEN_2, gone);
      const invalid = 'c3'.repeat(32);
      mock.markInvalid(invalid);
      expect(await h2Send(session, { token: TOKEN })).toMatchObject({ status: 400, body: '{"reason":"DeviceTokenNotForTopic"}' });
      const unregistered = await h2Send(session, { token: TOKEN_2 });
      expect(unregistered.status).toBe(410);
      expect(JSON.parse(unregistered.body)).toEqual({ reason: 'Unregistered', timestamp: gone.getTime() });
      expect(await h2Send(session, { token: invalid })).toMatchObject({ status: 400, body: '{"reason":"BadDeviceToken"}' });
      expect((await h2Send(session, { token: 'd4'.repeat(32) })).status).toBe(200);
      expect(mock.rejected.map((r) => [r.token, r.status, r.reason, r.timestamp])).toEqual([
        [TOKEN, 400, 'DeviceTokenNotForTopic', undefined],
        [TOKEN_2, 410, 'Unregistered', gone.getTime()],
        [invalid, 400, 'BadDeviceToken', undefined],
      ]);
      mock.acceptToken(TOKEN);
      expect((await h2Send(session, { token: TOKEN })).status).toBe(200);
    });
  });

  describe('faults', () => {
    it('respondWith answers the next N requests with the status, reason and retry-after', async () => {
      mock.faults.respondWith(429, 'TooManyRequests', { count: 2 }, { retryAfterSeconds: 3 });
      const session = await open('valid');
      const first = await h2Send(session);
      expect(first).toMatchObject({ status: 429, body: '{"reason":"TooManyRequests"}' });
      expect(first.headers['retry-after']).toBe('3');
      expect((await h2Send(session)).status).toBe(429);
      expect((await h2Send(session)).status).toBe(200);
    });

    it('respondWith a fraction hits a seeded, repeatable share of requests', async () => {
      async function pattern(server: MockApnsServer): Promise<number[]> {
        server.faults.respondWith(503, 'ServiceUnavailable', { fraction: 0.5 });
        const session = await openH2(server, 'valid');
        const statuses: number[] = [];
        for (let i = 0; i < 30; i++) statuses.push((await h2Send(session)).status);
        await closeH2(session);
        return statuses;
      }
      const first = await pattern(mock);
      const twin = await MockApnsServer.start({ seed: 7 });
      try {
        expect(await pattern(twin)).toEqual(first);
      } finally {
        await twin.stop();
      }
      const failed = first.filter((s) => s === 503).length;
      expect(failed).toBeGreaterThan(5);
      expect(failed).toBeLessThan(25);
      expect(first.every((s) => s === 200 || s === 503)).toBe(true);
    });

    it('resetStreams resets the next N streams with REFUSED_STREAM, then answers again', async () => {
      mock.faults.resetStreams(2);
      const session = await open('valid');
      await expect(h2Send(session)).rejects.toMatchObject({ rstCode: h2.NGHTTP2_REFUSED_STREAM });
      await expect(h2Send(session)).rejects.toMatchObject({ rstCode: h2.NGHTTP2_REFUSED_STREAM });
      expect((await h2Send(session)).status).toBe(200);
      expect(mock.counters.resets).toBe(2);
    });

    it('resetStreams takes another error code', async () => {
      mock.faults.resetStreams(1, { errorCode: h2.NGHTTP2_INTERNAL_ERROR });
      await expect(h2Send(await open('valid'))).rejects.toMatchObject({ rstCode: h2.NGHTTP2_INTERNAL_ERROR });
    });

    it('latency delays every response', async () => {
      mock.faults.latency(150);
      const session = await open('valid');
      const started = Date.now();
      const [ok, bad] = await Promise.all([h2Send(session), h2Send(session, { method: 'GET', body: '' })]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(145);
      expect([ok.status, bad.status]).toEqual([200, 405]);
    });

    it('goawayAfter sends GOAWAY with the reason after N streams; later streams are not processed', async () => {
      mock.faults.goawayAfter(2, { reason: 'Shutdown' });
      const session = await open('valid');
      const goaway = new Promise<[number, number, string]>((resolve) =>
        session.once('goaway', (code, lastStreamId, data) => resolve([code, lastStreamId, data?.toString() ?? ''])),
      );
      const closed = new Promise<void>((resolve) => session.once('close', () => resolve()));
      const results = await Promise.allSettled([h2Send(session), h2Send(session), h2Send(session), h2Send(session)]);
      expect(await goaway).toEqual([h2.NGHTTP2_NO_ERROR, 3, '{"reason":"Shutdown"}']);
      await closed;
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected']);
      expect(mock.counters).toMatchObject({ accepted: 2, goaways: 1 });
      // Every session gets the same treatment.
      const next = await open('valid');
      expect((await h2Send(next)).status).toBe(200);
      expect(mock.accepted.map((a) => a.connectionId)).toEqual([1, 1, 2]);
    });

    it('goawayAfter takes an error code and a number of sessions', async () => {
      mock.faults.goawayAfter(0, { errorCode: h2.NGHTTP2_ENHANCE_YOUR_CALM, reason: 'TooManyRequests', sessions: 1 });
      const first = await open('valid');
      const code = await new Promise<number>((resolve) => first.once('goaway', (c) => resolve(c)));
      expect(code).toBe(h2.NGHTTP2_ENHANCE_YOUR_CALM);
      const second = await open('valid');
      expect((await h2Send(second)).status).toBe(200);
      expect(mock.counters.goaways).toBe(1);
    });

    it('advertises 1000 concurrent streams and changes the limit on live sessions', async () => {
      const session = await open('valid');
      expect(session.remoteSettings.maxConcurrentStreams).toBe(1000);
      const settings = new Promise<number | undefined>((resolve) => session.once('remoteSettings', (s) => resolve(s.maxConcurrentStreams)));
      mock.setMaxConcurrentStreams(1);
      expect(await settings).toBe(1);
      const later = await open('valid');
      expect(later.remoteSettings.maxConcurrentStreams).toBe(1);
      expect((await h2Send(session)).status).toBe(200);
    });

    it('streamLimitAfterRejection lowers the limit of a session after a rejection and restores it after an acceptance', async () => {
      mock.faults.streamLimitAfterRejection(1);
      mock.markInvalid(TOKEN_2);
      const session = await open('valid');
      const nextLimit = () => new Promise<number | undefined>((resolve) => session.once('remoteSettings', (s) => resolve(s.maxConcurrentStreams)));
      let limit = nextLimit();
      expect((await h2Send(session, { token: TOKEN_2 })).status).toBe(400);
      expect(await limit).toBe(1);
      limit = nextLimit();
      expect((await h2Send(session)).status).toBe(200);
      expect(await limit).toBe(1000);
    });

    it('dropConnections cuts sessions without GOAWAY, before the response', async () => {
      mock.faults.latency(10_000);
      const session = await open('valid');
      let goaway = false;
      session.on('goaway', () => (goaway = true));
      const pending = h2Send(session);
      await mock.waitFor(() => mock.counters.streams === 1);
      mock.dropConnections();
      await expect(pending).rejects.toThrow(/without a response/);
      expect(goaway).toBe(false);
      // What the session held at the drop, for tests that check a client's resends against it.
      expect(mock.droppedSessions).toEqual([{ connectionId: 1, acceptedBefore: 0, openStreams: 1, maxConcurrentStreams: 1000 }]);
      mock.faults.latency(0);
      expect((await h2Send(await open('valid'))).status).toBe(200);
      expect(mock.counters.accepted).toBe(1);
      mock.clearRecords();
      expect(mock.droppedSessions).toEqual([]);
    });

    it('counts the PING frames clients send', async () => {
      const session = await open('valid');
      for (let i = 0; i < 2; i++) await new Promise<void>((resolve, reject) => session.ping((error) => (error ? reject(error) : resolve())));
      expect(mock.counters.pings).toBe(2);
    });

    it('honours the maxConcurrentStreams option', async () => {
      const limited = await MockApnsServer.start({ maxConcurrentStreams: 5 });
      try {
        const session = await openH2(limited, 'valid');
        expect(session.remoteSettings.maxConcurrentStreams).toBe(5);
        await Promise.all(Array.from({ length: 20 }, () => h2Send(session)));
        expect(limited.counters.maxConcurrentStreamsSeen).toBeLessThanOrEqual(5);
        await closeH2(session);
      } finally {
        await limited.stop();
      }
    });

    it('refuseConnections drops new connections until reset', async () => {
      mock.faults.refuseConnections(60_000);
      await expect(openH2(mock, 'valid')).rejects.toThrow();
      expect(mock.counters.refusedConnections).toBe(1);
      mock.resetFaults();
      expect((await h2Send(await open('valid'))).status).toBe(200);
    });
  });

  describe('logging', () => {
    it('logs rejections with redacted tokens only', async () => {
      const lines: string[] = [];
      const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
        lines.push(String(chunk));
        return true;
      });
      const logged = await MockApnsServer.start({ log: true });
      try {
        logged.markInvalid(TOKEN);
        const session = await openH2(logged);
        await h2Send(session, { headers: bearer(jwt()) });
        await h2Send(session, { headers: bearer('abc.def.ghi') });
        await closeH2(session);
      } finally {
        await logged.stop();
        spy.mockRestore();
      }
      const text = lines.join('');
      expect(text).toContain('http2 400 BadDeviceToken for a1a1a1a1…a1a1');
      expect(text).toContain('403 InvalidProviderToken');
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain('abc.def.ghi');
    });
  });

  describe('robustness', () => {
    it('leaves no latency timer behind when stopped while requests are still arriving', async () => {
      const timeouts = () => process.getActiveResourcesInfo().filter((type) => type === 'Timeout').length;
      const before = timeouts();
      // stop() runs in the microtask after the first request is counted, while node is still
      // handing the server the rest of the frames it read: those requests arrive after stop began.
      for (let round = 0; round < 5; round++) {
        const server = await MockApnsServer.start();
        server.faults.latency(60_000);
        const session = await openH2(server, 'valid');
        session.on('error', () => undefined);
        for (let i = 0; i < 200; i++) {
          const stream = session.request({ ':method': 'POST', ':path': `/3/device/${TOKEN}`, 'apns-topic': 'com.example.app' });
          stream.on('error', () => undefined);
          stream.end('{"aps":{}}');
        }
        await server.waitFor(() => server.counters.streams >= 1);
        await server.stop();
        session.destroy();
      }
      await new Promise((resolve) => setImmediate(resolve));
      expect(timeouts()).toBeLessThanOrEqual(before);
    });

    it('survives garbage on the port and on an h2 connection, then serves the next client', async () => {
      const net = await import('node:net');
      const tls = await import('node:tls');
      await new Promise<void>((resolve) => {
        const raw = net.connect(mock.http2Port, '127.0.0.1', () => raw.end(Buffer.from('GET / HTTP/1.1\r\n\r\n\x16\x03\x01garbage')));
        raw.on('error', () => undefined);
        raw.on('close', () => resolve());
        raw.resume();
      });
      await new Promise<void>((resolve) => {
        const socket = tls.connect({ host: '127.0.0.1', port: mock.http2Port, servername: 'localhost', ca: testCredentials.ca, ALPNProtocols: ['h2'] }, () =>
          socket.write(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x04\x99\xff\xff\xff\xff\xff\xff\xff\xff')),
        );
        socket.on('error', () => undefined);
        socket.on('close', () => resolve());
        socket.resume();
      });
      expect((await h2Send(await open('valid'))).status).toBe(200);
    });
  });
});

/** A header value carrying these UTF-8 bytes: node writes header strings as latin1, one byte per character. */
function utf8OnTheWire(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

import { ApnsClient } from '../src/client/apns-client.js';
import { createTransport } from '../src/client/create-transport.js';
import type { ApnsDeliveryError } from '../src/errors/apns-delivery.error.js';
import type { ApnsFeedback } from '../src/transport/delivery.js';
import { MockApnsServer, testCredentials as creds } from '../src/testing/index.js';
import { createSeededRandom } from '../src/testing/seeded-random.js';
import { Http2Transport } from '../src/transport/http2/http2-transport.js';
import { TcpProxy } from '../src/transport/http2/tcp-proxy.fixture.js';
import { http2TestConfig, makeDelivery, RecordingSink, tokenFor as h2Token } from '../src/transport/http2/test-config.fixture.js';
import { RecordingLogger, TOPIC, tokenFor } from './apns-e2e.fixtures.js';
import { waitUntil } from './binary-transport.fixture.js';

// Chaos on the HTTP/2 transport, through ApnsClient with token auth: 100,000
// notifications while the mock answers a seeded fraction with 429, then 500,
// then 503, sends GOAWAY every 3,000 streams of each session, resets streams,
// lowers SETTINGS_MAX_CONCURRENT_STREAMS to 1 and back, expires the provider
// token once and goes away for a few seconds. A seeded 0.5% of the tokens are
// refused for good (400 BadDeviceToken, 410 Unregistered). At the end each
// notification is recorded exactly once by the mock or reported once on errors$
// with its reason: nothing lost, nothing duplicated.

const SEED = 20_261_124;
/**
 * 100,000 took close to a minute on the shared 2-core machine (the mock and the
 * client share one CPU; every GOAWAY and refusal resends up to a session's 1,000
 * streams); 60,000 runs in well under half a minute with every fault in it.
 */
const TOTAL = 100_000;
const RETRYABLE_FRACTION = 0.05;
const OUTAGE_MS = 3_000;

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

describe('HTTP/2 transport under chaos', () => {
  let mock: MockApnsServer;

  beforeAll(async () => {
    mock = await MockApnsServer.start({ seed: SEED });
  });
  afterAll(async () => {
    await mock.stop();
  });

  it(`accounts for ${TOTAL.toLocaleString('en')} notifications through 429/500/503, GOAWAY, resets, a stream limit of 1, an expired token and an outage: each recorded once or reported once`, async () => {
    const random = createSeededRandom(SEED);
    const tokens = Array.from({ length: TOTAL }, (_, i) => tokenFor(i, 'd'));
    const bad = new Set<string>();
    const unregistered = new Set<string>();
    for (const token of tokens) {
      const r = random();
      if (r < 0.0025) {
        bad.add(token);
        mock.rejectToken(token, { status: 400, reason: 'BadDeviceToken' });
      } else if (r < 0.005) {
        unregistered.add(token);
        mock.markUnregistered(token, new Date(1_700_000_000_000));
      }
    }

    const logger = new RecordingLogger();
    let transport: Http2Transport | undefined;
    const client = new ApnsClient(
      {
        gateway: mock.http2Gateway,
        token: { key: creds.signingKey, keyId: creds.keyId, teamId: creds.teamId },
        ca: creds.ca,
        topic: TOPIC,
        maxConnections: 4,
        retry: { baseDelayMs: 10, maxDelayMs: 100 },
        // A crash can leave a session that never hears its close: replaced after one deadline.
        requestTimeoutMs: 5_000,
        // Long enough for the outage: nothing may fail for lack of a connection.
        reconnect: { baseDelayMs: 20, maxDelayMs: 500, giveUpAfterMs: 30_000 },
        drainTimeoutMs: 20_000,
        logger,
        random: createSeededRandom(SEED + 1),
      },
      {
        transportFactory: (kind, config, hooks) => {
          const created = createTransport(kind, config, hooks);
          transport = created as Http2Transport;
          return created;
        },
      },
    );
    const errors: ApnsDeliveryError[] = [];
    const feedback: ApnsFeedback[] = [];
    client.errors$.subscribe((e) => errors.push(e));
    client.feedback$.subscribe((f) => feedback.push(f));

    mock.faults.goawayAfter(4_000);
    mock.faults.respondWith(429, 'TooManyRequests', { fraction: RETRYABLE_FRACTION });
    const atAccepted = (n: number) => mock.waitFor(() => mock.counters.accepted >= n, 50_000);
    const outage = { refusedBefore: 0, endsAt: 0, resumedAt: 0, crashIndex: 0, secondDropIndex: 0, inFlightAtCrash: 0 };
    const chaos = (async () => {
      await atAccepted(10_000);
      mock.faults.resetStreams(200);
      await atAccepted(20_000);
      mock.faults.respondWith(500, 'InternalServerError', { fraction: RETRYABLE_FRACTION });
      await atAccepted(30_000);
      mock.faults.expireProviderTokens();
      await atAccepted(35_000);
      mock.setMaxConcurrentStreams(1);
      // Sends go on, one stream per session, until the limit is raised again.
      await atAccepted(36_500);
      mock.setMaxConcurrentStreams(1_000);
      await atAccepted(45_000);
      mock.faults.respondWith(503, 'ServiceUnavailable', { fraction: RETRYABLE_FRACTION });
      mock.faults.resetStreams(200);
      await atAccepted(60_000);
      // The mock goes away: open sessions crash, new ones are refused for a few seconds.
      outage.refusedBefore = mock.counters.refusedConnections;
      outage.crashIndex = mock.accepted.length;
      outage.inFlightAtCrash = transport!.stats.inFlight;
      mock.faults.refuseConnections(OUTAGE_MS);
      mock.dropConnections();
      outage.endsAt = Date.now() + OUTAGE_MS;
      // A session still in its TLS handshake at the crash was let in before the refusal: drop it too.
      await new Promise((resolve) => setTimeout(resolve, 300));
      outage.inFlightAtCrash += transport!.stats.inFlight;
      outage.secondDropIndex = mock.accepted.length;
      mock.dropConnections();
      await atAccepted(mock.counters.accepted + 1);
      outage.resumedAt = Date.now();
      await atAccepted(80_000);
      mock.faults.resetStreams(200);
    })();

    const startedAt = Date.now();
    const report = await client.send({ alert: 'chaos', badge: 2 }, tokens, { results: 'failed' });
    await chaos;
    await client.close();
    const durationMs = Date.now() - startedAt;
    const stats = transport!.stats;

    expect(report).toMatchObject({ sent: TOTAL, interrupted: false });
    expect(report.accepted + report.failed).toBe(TOTAL);
    expect(report.failed).toBe(errors.length);

    // Reported once at most, and never also recorded as accepted.
    const reported = new Map<string, ApnsDeliveryError>();
    for (const e of errors) {
      expect(reported.has(e.token)).toBe(false);
      reported.set(e.token, e);
    }
    const seen = new Map<string, number>();
    for (const a of mock.accepted) seen.set(a.token, (seen.get(a.token) ?? 0) + 1);
    const lost = tokens.filter((t) => !seen.has(t) && !reported.has(t));
    expect(lost).toEqual([]);

    // Duplicates: only what the mock processed and answered just before it crashed,
    // whose answer died in the crashed session's buffers. The client saw no answer,
    // so it sent the request again (same apns-id) on another session. The second
    // drop (300 ms later) can do the same to a resend: every copy but the last was
    // taken by a session that crashed, i.e. before the second drop.
    const positions = new Map<string, number[]>();
    mock.accepted.forEach((a, i) => {
      if (seen.get(a.token)! > 1) positions.set(a.token, [...(positions.get(a.token) ?? []), i]);
    });
    const unexplained = [...positions].filter(([, at]) => {
      const last = at[at.length - 1]!;
      const earlier = at.slice(0, -1);
      return last < outage.crashIndex || earlier.some((i) => i >= outage.secondDropIndex || i < outage.crashIndex - outage.inFlightAtCrash);
    });
    expect(unexplained.map(([token, at]) => `${token} at ${at.join(', ')}`)).toEqual([]);
    for (const [token, at] of positions) {
      const copies = at.map((i) => mock.accepted[i]!);
      expect(new Set(copies.map((c) => c.apnsId)).size).toBe(1);
      expect(new Set(copies.map((c) => c.connectionId)).size).toBe(copies.length);
      expect(reported.has(token)).toBe(false);
    }
    // The same crash, when the resends then ran out of attempts: processed before the crash,
    // answer lost, and the retries refused (503) or unanswered until the 4th attempt failed.
    // The client cannot tell this from a delivery that never arrived; it reports the last answer.
    const acceptedAndReported = [...reported.keys()].filter((t) => seen.has(t));
    for (const token of acceptedAndReported) {
      const at = mock.accepted.findIndex((a) => a.token === token);
      expect(at).toBeLessThan(outage.secondDropIndex);
      expect(at).toBeGreaterThanOrEqual(outage.crashIndex - outage.inFlightAtCrash);
      expect(reported.get(token)!.attempts).toBeGreaterThanOrEqual(4);
    }
    expect(positions.size + acceptedAndReported.length).toBeLessThanOrEqual(outage.inFlightAtCrash);

    // Every failure names its reason: Apple's permanent rejections (410s on feedback$
    // as well), or the retryable answer a delivery got on its last of 4 attempts
    // (a token the mock would refuse may run out of attempts before it is looked at).
    const exhausted: ApnsDeliveryError[] = [];
    for (const e of errors) {
      if (e.reason === 'BadDeviceToken') {
        expect(bad.has(e.token)).toBe(true);
        expect(e.status).toBe(400);
      } else if (e.reason === 'Unregistered') {
        expect(unregistered.has(e.token)).toBe(true);
        expect(e.status).toBe(410);
      } else {
        exhausted.push(e);
        // (RequestTimeout and ConnectionLost: a session the crash left without its close;
        // ExpiredProviderToken: the renewal retry came on a delivery's last attempt.)
        expect(e.reason).toMatch(/^(TooManyRequests|InternalServerError|ServiceUnavailable|StreamRefused|GoAway|RequestTimeout|ConnectionLost|ExpiredProviderToken)$/);
        expect(e.attempts).toBeGreaterThanOrEqual(4);
        expect(e.message).toContain('giving up');
      }
    }
    for (const token of [...bad, ...unregistered]) expect(reported.has(token)).toBe(true);
    expect(feedback.map((f) => f.token).sort()).toEqual(errors.filter((e) => e.reason === 'Unregistered').map((e) => e.token).sort());
    expect(exhausted.length).toBeLessThan(TOTAL * 0.01);
    expect(report.accepted).toBe(seen.size - acceptedAndReported.length);

    // The faults did happen.
    expect(mock.counters.goaways).toBeGreaterThan(5);
    expect(stats.goaways).toBeGreaterThan(5);
    expect(mock.counters.resets).toBe(600);
    expect(stats.retries).toBeGreaterThan(TOTAL * RETRYABLE_FRACTION * 0.8);
    // One expired token, one renewal: no storm.
    expect(stats.tokenSignatures).toBe(2);
    expect(mock.counters.providerTokens).toBe(2);
    // The outage: sessions were refused, and sends resumed afterwards without a new client.
    expect(mock.counters.refusedConnections).toBeGreaterThan(outage.refusedBefore);
    expect(outage.resumedAt).toBeGreaterThanOrEqual(outage.endsAt - 50);

    console.info(
      `HTTP/2 chaos: ${TOTAL} notifications in ${durationMs} ms; failed ${errors.length} (BadDeviceToken ${bad.size}, Unregistered ${unregistered.size}, ` +
        `attempts spent ${exhausted.length}: ${JSON.stringify(countBy(exhausted.map((e) => e.reason)))}), duplicates ${positions.size} and accepted-then-failed ${acceptedAndReported.length} of ${outage.inFlightAtCrash} in flight at the crash, requests ${stats.requests}, retries ${stats.retries}, resets ${stats.resets}, goaways ${stats.goaways}, ` +
        `unprocessed ${stats.unprocessed}, timeouts ${stats.timeouts}, sessions ${mock.counters.http2Sessions}, refused ${mock.counters.refusedConnections}, ` +
        `resumed ${outage.resumedAt - outage.endsAt} ms after the outage, unresponsive sessions ${logger.lines.filter((l) => l.includes('answered nothing')).length}, token signatures ${stats.tokenSignatures}`,
    );
  }, 60_000);
});

describe('HTTP/2 session that goes silent while busy', () => {
  let mock: MockApnsServer;
  let proxy: TcpProxy;

  beforeAll(async () => {
    mock = await MockApnsServer.start({ requireClientCert: false });
    proxy = await TcpProxy.start(mock.http2Port);
  });
  afterAll(async () => {
    await proxy.close();
    await mock.stop();
  });

  it('is replaced after one request deadline without an answer, instead of taking every retry until attempts run out', async () => {
    const lines: string[] = [];
    const sink = new RecordingSink();
    // PINGs only go out on an idle session: a minute here, so only the request deadline can notice.
    const t = new Http2Transport(
      http2TestConfig(proxy.port, {
        logLines: lines,
        overrides: { maxConnections: 1, requestTimeoutMs: 300, pingIntervalMs: 60_000, retry: { attempts: 3, baseDelayMs: 50, maxDelayMs: 100 } },
      }),
      sink.hooks,
    );
    const before = Array.from({ length: 50 }, (_, i) => makeDelivery(h2Token(900_000 + i), sink));
    for (const d of before) t.offer(d);
    await sink.waitSettled(50);

    // The peer vanishes without a FIN or RST while requests keep coming.
    proxy.freeze();
    const during = Array.from({ length: 20 }, (_, i) => makeDelivery(h2Token(910_000 + i), sink));
    for (const d of during) t.offer(d);
    await waitUntil(() => lines.some((l) => l.includes('answered nothing')), 'the silent session was replaced', 5_000);
    // The first expired deadline gives the session up; the rest go back unanswered, not timed out one by one.
    expect(t.stats.timeouts).toBeGreaterThanOrEqual(1);
    expect(t.stats.connections).toBe(0);
    proxy.thaw();
    await sink.waitSettled(70);
    await t.close(1_000);

    expect([...sink.failedBy.values()].map((e) => e.reason)).toEqual([]);
    expect(sink.doubles).toEqual([]);
    expect(proxy.connections).toBe(2);
  });
});

describe('HTTP/2 error answers under load', () => {
  let mock: MockApnsServer;

  beforeAll(async () => {
    mock = await MockApnsServer.start();
  });
  afterAll(async () => {
    await mock.stop();
  });

  it("keeps every answer's reason: 10,000 BadDeviceToken and 5,000 Unregistered, each 410 on feedback$ with its timestamp", async () => {
    // The HEADERS and DATA frames of an answer often arrive in one read; the JSON reason
    // in the DATA frame must not be lost (it was, for ~5% of answers: reason "BadRequest").
    const bad = Array.from({ length: 10_000 }, (_, i) => tokenFor(i, '7a'));
    const gone = Array.from({ length: 5_000 }, (_, i) => tokenFor(i, '7b'));
    for (const t of bad) mock.markInvalid(t);
    for (const t of gone) mock.markUnregistered(t, new Date(1_700_000_000_000));
    const client = new ApnsClient({
      gateway: mock.http2Gateway,
      token: { key: creds.signingKey, keyId: creds.keyId, teamId: creds.teamId },
      ca: creds.ca,
      topic: TOPIC,
      logger: new RecordingLogger(),
    });
    const feedback: ApnsFeedback[] = [];
    client.feedback$.subscribe((f) => feedback.push(f));
    const report = await client.send({ alert: 'rejected' }, [...bad, ...gone], { results: 'failed' });
    await client.close();

    expect(countBy(report.results.map((r) => (r.status === 'failed' ? r.error.reason : 'accepted')))).toEqual({ BadDeviceToken: 10_000, Unregistered: 5_000 });
    expect(feedback).toHaveLength(5_000);
    expect(feedback.every((f) => f.timestamp.getTime() === 1_700_000_000_000)).toBe(true);
  }, 30_000);
});

import { ApnsClient } from '../src/client/apns-client.js';
import { createTransport } from '../src/client/create-transport.js';
import type { ApnsDeliveryError } from '../src/errors/apns-delivery.error.js';
import { MockApnsServer, testCredentials as creds } from '../src/testing/index.js';
import { createSeededRandom } from '../src/testing/seeded-random.js';
import type { BinaryTransport } from '../src/transport/binary/binary-transport.js';
import { RecordingLogger, TOPIC, tokenFor } from './apns-e2e.fixtures.js';
import { SPARE_LOOP } from './support/spare-loop.js';

// Chaos on the binary transport, through ApnsClient with the default binary
// options: 100,000 notifications over 4 connections while the mock rejects a
// seeded 1% of the tokens (each rejection closes that connection and drops what
// followed it), answers status 10 (Shutdown) now and then, closes and crashes
// connections without an error response, and goes away for a few seconds. At
// the end every notification must be accepted by the mock or reported on
// errors$ (once). Every extra copy at the mock must be explained by the mock's
// own record: a notification reaches it again only when the connection that
// carried the earlier copy was ended by the mock without an error response
// (then nothing it held was confirmed, and the uncertain window sent it again).
//
// The scripted closes after 40–60 notifications hit connections that had
// already been given hundreds: what they were given comes back, in order, and
// the next connection is closed after the same first 40–60. A notification
// written retry.attempts (4) times on such connections fails with
// ConnectionLost ("may or may not have been delivered"), as documented; that is
// checked against the mock's record too.

const SEED = 20_261_123;
const TOTAL = 100_000;
const INVALID_FRACTION = 0.01;
const OUTAGE_MS = 3_000;
const ATTEMPTS = 4;

describe('binary transport under chaos', () => {
  let mock: MockApnsServer;

  beforeAll(async () => {
    mock = await MockApnsServer.start({ seed: SEED });
  });
  afterAll(async () => {
    await mock.stop();
  });

  it(`accounts for ${TOTAL.toLocaleString('en')} notifications through rejections, status 10, drops and an outage at the default options: each accepted or reported once, every duplicate and every failure explained by how the mock ended its connection`, async () => {
    const random = createSeededRandom(SEED);
    const tokens = Array.from({ length: TOTAL }, (_, i) => tokenFor(i, 'c'));
    const invalid = new Set<string>();
    for (const token of tokens) {
      if (random() < INVALID_FRACTION) {
        invalid.add(token);
        mock.markInvalid(token);
      }
    }

    const logger = new RecordingLogger();
    let transport: BinaryTransport | undefined;
    const client = new ApnsClient(
      {
        transport: 'binary',
        gateway: mock.gateway,
        feedbackGateway: mock.feedbackGateway,
        cert: creds.clientCert,
        key: creds.clientKey,
        ca: creds.ca,
        topic: TOPIC,
        maxConnections: 4,
        // Long enough for the outage: nothing may fail for lack of a connection.
        reconnect: { baseDelayMs: 20, maxDelayMs: 500, giveUpAfterMs: 30_000 },
        retry: { attempts: ATTEMPTS },
        drainTimeoutMs: 20_000,
        logger,
        random: createSeededRandom(SEED + 1),
      },
      {
        transportFactory: (kind, config, hooks) => {
          // Four connections taking work whatever this process's load: the faults are to hit them all.
          const created = createTransport(kind, { ...config, loopLoad: SPARE_LOOP }, hooks);
          transport = created as BinaryTransport;
          return created;
        },
      },
    );
    const errors: ApnsDeliveryError[] = [];
    client.errors$.subscribe((e) => errors.push(e));

    // The fault schedule, keyed to progress at the mock so it replays the same way on a slow machine.
    const atAccepted = (n: number) => mock.waitFor(() => mock.counters.accepted >= n, 50_000);
    const outage = { refusedBefore: 0, acceptedAtStart: 0, endsAt: 0, resumedAt: 0 };
    const chaos = (async () => {
      await atAccepted(5_000);
      // Status 10 names the last notification processed; what followed must be resent.
      mock.faults.binaryCloseAfter(40, { status: 10, connections: 12 });
      await atAccepted(20_000);
      // Closed by the server right after the 60th notification, without an error response.
      mock.faults.binaryCloseAfter(60, { connections: 12 });
      await atAccepted(35_000);
      mock.dropConnections();
      await atAccepted(50_000);
      // The mock goes away: open connections crash, new ones are refused for a few seconds.
      outage.refusedBefore = mock.counters.refusedConnections;
      outage.acceptedAtStart = mock.counters.accepted;
      mock.faults.refuseConnections(OUTAGE_MS);
      mock.dropConnections();
      outage.endsAt = Date.now() + OUTAGE_MS;
      // A connection still in its TLS handshake at the drop was let in before the refusal: drop it too.
      await new Promise((resolve) => setTimeout(resolve, 300));
      mock.dropConnections();
      const acceptedAfterDrops = mock.counters.accepted;
      await atAccepted(acceptedAfterDrops + 1);
      outage.resumedAt = Date.now();
      await atAccepted(70_000);
      mock.faults.binaryCloseAfter(30, { status: 10, connections: 8 });
      await atAccepted(80_000);
      mock.dropConnections();
      await atAccepted(90_000);
      mock.faults.binaryCloseAfter(50, { connections: 8 });
    })();

    const startedAt = Date.now();
    const report = await client.send({ alert: 'chaos', badge: 1 }, tokens, { results: 'failed' });
    await chaos;
    // Every notification is written by now; error responses for the last ones may still be on their way.
    await mock.waitFor(() => mock.counters.accepted + errors.length >= TOTAL, 30_000);
    await client.close();
    const durationMs = Date.now() - startedAt;

    // Reported once at most.
    const reported = new Map<string, ApnsDeliveryError>();
    for (const e of errors) {
      expect(reported.has(e.token)).toBe(false);
      reported.set(e.token, e);
    }
    // Nothing lost: each notification reached the mock or errors$.
    const seen = new Map<string, number>();
    for (const a of mock.accepted) seen.set(a.token, (seen.get(a.token) ?? 0) + 1);
    const lost = tokens.filter((t) => !seen.has(t) && !reported.has(t));
    expect(lost).toEqual([]);

    // How the mock ended each connection: silently (no error response, by a scripted close or a
    // drop), with an error response (a rejection, status 10), or after the client closed it.
    const silent = new Set<number>();
    for (const end of mock.binaryConnectionEnds) if (end.endedBy === 'server' && end.errorStatus === undefined) silent.add(end.connectionId);
    const copies = new Map<string, number[]>();
    for (const a of mock.accepted) copies.set(a.token, [...(copies.get(a.token) ?? []), a.connectionId]);

    // Every failure is one of two kinds, each with its evidence.
    const stats = transport!.stats;
    const connectionLost: ApnsDeliveryError[] = [];
    for (const [token, e] of reported) {
      if (e.reason === 'ConnectionLost') {
        // Written retry.attempts times, each time on a connection the mock ended without a word:
        // whatever copies reached the mock came over such connections.
        connectionLost.push(e);
        expect(e.attempts).toBeGreaterThanOrEqual(ATTEMPTS);
        expect(e.message).toContain('may or may not have been delivered');
        for (const id of copies.get(token) ?? []) expect(silent.has(id)).toBe(true);
      } else {
        // The invalid ones, with the gateway's status, never accepted.
        expect(invalid.has(token)).toBe(true);
        expect(e).toMatchObject({ reason: 'InvalidToken', status: 8, source: 'binary' });
        expect(seen.has(token)).toBe(false);
      }
    }
    expect(connectionLost.length).toBe(stats.failedResendLimit);
    // Each invalid token was rejected, unless it never got processed in its attempts.
    for (const token of invalid) expect(reported.get(token)?.reason ?? 'missing').toMatch(/^(InvalidToken|ConnectionLost)$/);
    expect(stats.rejectedByGateway).toBe(errors.filter((e) => e.reason === 'InvalidToken').length);

    // Duplicates, each against the mock's record: every copy but the last came over a connection
    // the mock ended without an error response (a confirmed notification is never sent again),
    // each over a different connection, and no more copies than attempts.
    let duplicates = 0;
    for (const [, ids] of copies) {
      if (ids.length < 2) continue;
      duplicates += ids.length - 1;
      for (const id of ids.slice(0, -1)) expect(silent.has(id)).toBe(true);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBeLessThanOrEqual(ATTEMPTS);
    }
    expect(duplicates).toBe(mock.accepted.length - seen.size);
    expect(duplicates).toBeLessThanOrEqual(stats.resentUncertain);

    // What the scenario implies for the counters: the mock names only identifiers it was sent,
    // the default sent buffer holds the default window at this rate, nothing was cut at close.
    expect(stats).toMatchObject({ unknownIdentifiers: 0, presumedLost: 0, evictedUncertain: 0, failedUncertain: 0, unconfirmedAtShutdown: 0 });

    // The faults did happen.
    expect(report.sent).toBe(TOTAL);
    expect(report.interrupted).toBe(false);
    expect(duplicates).toBeGreaterThan(0);
    // Status 10 is an error response that rejects nothing; the other fault closes were silent.
    const shutdowns = mock.counters.errorResponses - mock.counters.rejected;
    expect(shutdowns).toBeGreaterThan(0);
    expect(stats.errorResponses).toBe(stats.rejectedByGateway + shutdowns);
    expect(mock.counters.binaryFaultCloses).toBeGreaterThan(shutdowns);
    expect(stats.resentAfterError).toBeGreaterThan(0);
    expect(stats.resentUncertain).toBeGreaterThan(0);
    // The outage: connections were refused, and sends resumed afterwards without a new client.
    expect(mock.counters.refusedConnections).toBeGreaterThan(outage.refusedBefore);
    expect(outage.resumedAt).toBeGreaterThanOrEqual(outage.endsAt - 50);
    expect(durationMs).toBeLessThan(55_000);

    // Figures for the report (visible with --verbose or on failure).
    console.info(
      `binary chaos: ${TOTAL} notifications in ${durationMs} ms; invalid ${invalid.size}, duplicates at the mock ${duplicates}, ` +
        `resentUncertain ${stats.resentUncertain}, resentAfterError ${stats.resentAfterError}, errorResponses ${stats.errorResponses} (status 10: ${shutdowns}), ` +
        `unknownIdentifiers ${stats.unknownIdentifiers}, failedResendLimit ${stats.failedResendLimit}, silent ends ${silent.size}, connections ${mock.counters.binaryConnections}, ` +
        `refused ${mock.counters.refusedConnections}, resumed ${outage.resumedAt - outage.endsAt} ms after the outage, fault closes ${mock.counters.binaryFaultCloses}`,
    );
  }, 60_000);
});

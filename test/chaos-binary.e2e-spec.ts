import { ApnsClient } from '../src/client/apns-client.js';
import { createTransport } from '../src/client/create-transport.js';
import type { ApnsDeliveryError } from '../src/errors/apns-delivery.error.js';
import { MockApnsServer, testCredentials as creds } from '../src/testing/index.js';
import { createSeededRandom } from '../src/testing/seeded-random.js';
import type { BinaryTransport } from '../src/transport/binary/binary-transport.js';
import { RecordingLogger, TOPIC, tokenFor } from './apns-e2e.fixtures.js';

// Chaos on the binary transport, through ApnsClient: 100,000 notifications over
// 4 connections while the mock rejects a seeded 1% of the tokens (each rejection
// closes that connection and drops what followed it), answers status 10
// (Shutdown) now and then, closes and crashes connections without an error
// response, and goes away for a few seconds. At the end every notification must
// be accepted by the mock or reported on errors$ (once), and a notification may
// reach the mock twice only because it was resent from the uncertain window of
// an error-less drop (counted by the transport as resentUncertain).

const SEED = 20_261_123;
const TOTAL = 100_000;
const INVALID_FRACTION = 0.01;
const OUTAGE_MS = 3_000;
/**
 * How far back a connection lost without an answer resends. The default (1 s)
 * assumes a normal machine; this one is shared by several test runs, and a write
 * older than the window that the mock never read would be lost by design.
 */
const UNCERTAIN_WINDOW_MS = 5_000;

describe('binary transport under chaos', () => {
  let mock: MockApnsServer;

  beforeAll(async () => {
    mock = await MockApnsServer.start({ seed: SEED });
  });
  afterAll(async () => {
    await mock.stop();
  });

  it(`accounts for ${TOTAL.toLocaleString('en')} notifications through rejections, status 10, drops and an outage: each accepted or reported once, duplicates only from the uncertain window`, async () => {
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
        binary: { uncertainWindowMs: UNCERTAIN_WINDOW_MS },
        drainTimeoutMs: 20_000,
        logger,
        random: createSeededRandom(SEED + 1),
      },
      {
        transportFactory: (kind, config, hooks) => {
          const created = createTransport(kind, config, hooks);
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

    expect(report.sent).toBe(TOTAL);
    expect(report.interrupted).toBe(false);

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
    // The invalid ones were reported with the gateway's status, and never accepted.
    for (const token of invalid) {
      expect(reported.get(token)).toMatchObject({ reason: 'InvalidToken', status: 8, source: 'binary' });
      expect(seen.has(token)).toBe(false);
    }
    // Nothing else failed: every valid token got through despite the faults.
    expect(errors.filter((e) => !invalid.has(e.token)).map((e) => `${e.reason}: ${e.message}`)).toEqual([]);
    expect(seen.size).toBe(TOTAL - invalid.size);

    // Duplicates only from the uncertain window of error-less drops, and counted.
    const stats = transport!.stats;
    const duplicates = mock.accepted.length - seen.size;
    expect(duplicates).toBeLessThanOrEqual(stats.resentUncertain);
    // Each copy came over another connection: the one that dropped, then its replacement(s).
    const connectionsOf = new Map<string, Set<number>>();
    for (const a of mock.accepted) {
      if (seen.get(a.token)! > 1) connectionsOf.set(a.token, (connectionsOf.get(a.token) ?? new Set()).add(a.connectionId));
    }
    for (const [token, ids] of connectionsOf) expect(ids.size).toBe(seen.get(token));
    // A notification is resent from the uncertain window at most retry.attempts (4) times.
    expect(Math.max(...seen.values())).toBeLessThanOrEqual(5);

    // The faults did happen.
    expect(stats.rejectedByGateway).toBe(invalid.size);
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

    // Figures for the report (visible with --verbose or on failure).
    console.info(
      `binary chaos: ${TOTAL} notifications in ${durationMs} ms; invalid ${invalid.size}, duplicates at the mock ${duplicates}, ` +
        `resentUncertain ${stats.resentUncertain}, resentAfterError ${stats.resentAfterError}, errorResponses ${stats.errorResponses} (status 10: ${shutdowns}), ` +
        `unknownIdentifiers ${stats.unknownIdentifiers}, failedResendLimit ${stats.failedResendLimit}, connections ${mock.counters.binaryConnections}, ` +
        `refused ${mock.counters.refusedConnections}, resumed ${outage.resumedAt - outage.endsAt} ms after the outage, fault closes ${mock.counters.binaryFaultCloses}`,
    );
  }, 60_000);
});

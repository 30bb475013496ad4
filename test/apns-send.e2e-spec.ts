import 'reflect-metadata';
import { ScheduleModule } from '@nestjs/schedule';
import { Test, type TestingModule } from '@nestjs/testing';
import { ApnsModule } from '../src/apns.module.js';
import { ApnsService } from '../src/apns.service.js';
import type { ApnsMessage } from '../src/client/apns-send-report.js';
import type { ApnsDeliveryError } from '../src/errors/apns-delivery.error.js';
import { MockApnsServer } from '../src/testing/index.js';
import type { ApnsFeedback } from '../src/transport/delivery.js';
import { MODES, optionsFor, tokenFor, type ApnsMode } from './apns-e2e.fixtures.js';

// What users see from ApnsService, once per transport and auth mode, against
// the mock server over real TLS (binary) and HTTP/2.

describe.each(MODES)('ApnsService over %s', (mode: ApnsMode) => {
  let mock: MockApnsServer;
  let app: TestingModule;
  let apns: ApnsService;
  let errors: ApnsDeliveryError[];
  let feedback: ApnsFeedback[];

  beforeAll(async () => {
    mock = await MockApnsServer.start();
  });
  beforeEach(async () => {
    app = await Test.createTestingModule({
      imports: [
        ScheduleModule.forRoot(),
        ApnsModule.forRoot(optionsFor(mock, mode, { feedback: { cron: '0 0 3 * * *', name: 'apns-feedback' } })),
      ],
    }).compile();
    await app.init();
    apns = app.get(ApnsService);
    errors = [];
    feedback = [];
    apns.errors$.subscribe((e) => errors.push(e));
    apns.feedback$.subscribe((f) => feedback.push(f));
  });
  afterEach(async () => {
    await app.close();
    mock.clearRecords();
    mock.resetFaults();
  });
  afterAll(async () => {
    await mock.stop();
  });

  it('sends one notification to many tokens, each recorded exactly once with its payload intact', async () => {
    const tokens = Array.from({ length: 600 }, (_, i) => tokenFor(i, 'c'));
    const report = await apns.send({ alert: { title: 'Hé 👋', body: 'ünïcødé ✓' }, badge: 3, data: { n: 1 } }, tokens);
    expect(report).toMatchObject({ sent: 600, accepted: 600, failed: 0, interrupted: false });
    expect(report.results).toHaveLength(600);
    if (mode !== 'binary') {
      expect(report.results.every((r) => r.status === 'accepted' && /^[0-9a-f-]{36}$/.test(r.apnsId ?? ''))).toBe(true);
    }
    await mock.waitForAccepted(600);
    const seen = new Map<string, number>();
    for (const a of mock.accepted) seen.set(a.token, (seen.get(a.token) ?? 0) + 1);
    expect(seen.size).toBe(600);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(mock.accepted[0]!.json).toEqual({ aps: { alert: { title: 'Hé 👋', body: 'ünïcødé ✓' }, badge: 3 }, n: 1 });
    expect(errors).toEqual([]);
  });

  it('emits exactly the rejected deliveries on errors$, once each, and lists them in the report', async () => {
    const tokens = Array.from({ length: 300 }, (_, i) => tokenFor(i, 'd'));
    const rejected = new Set(tokens.filter((_, i) => i % 30 === 7));
    for (const t of rejected) mock.markInvalid(t);
    const malformed = 'not-a-token';
    const report = await apns.send({ alert: 'Hello' }, [...tokens, malformed]);
    // On binary, a rejection may arrive after the send resolved (accepted = written): wait for all of them.
    await mock.waitFor(() => errors.length >= rejected.size + 1);
    expect(new Set(errors.map((e) => e.token))).toEqual(new Set([...rejected, malformed]));
    expect(errors).toHaveLength(rejected.size + 1);
    const bad = errors.find((e) => e.token === malformed)!;
    expect(bad).toMatchObject({ reason: 'MalformedDeviceToken', source: 'local', attempts: 0 });
    for (const e of errors.filter((x) => x !== bad)) {
      expect(e).toMatchObject(
        mode === 'binary'
          ? { source: 'binary', status: 8, retryable: false }
          : { source: 'http2', status: 400, reason: 'BadDeviceToken', retryable: false, attempts: 1 },
      );
      expect(e.notification).toEqual({ alert: 'Hello' });
    }
    expect(report.sent).toBe(301);
    expect(report.accepted + report.failed).toBe(301);
    if (mode !== 'binary') expect(report.failed).toBe(rejected.size + 1);
    // Every valid token reached the server exactly once, although (binary) each rejection closed a connection.
    await mock.waitForAccepted(300 - rejected.size);
    const accepted = mock.accepted.map((a) => a.token);
    expect(new Set(accepted).size).toBe(accepted.length);
    expect(accepted.filter((t) => rejected.has(t))).toEqual([]);
    expect(new Set(accepted)).toEqual(new Set(tokens.filter((t) => !rejected.has(t))));
  });

  it('sendMany pulls personalised messages from an async source and reports each', async () => {
    async function* cursor(): AsyncGenerator<ApnsMessage> {
      for (let i = 0; i < 200; i++) {
        if (i % 50 === 0) await new Promise((r) => setImmediate(r));
        yield { token: tokenFor(i, 'e'), notification: { alert: `Hello #${i}`, data: { i } } };
      }
      // An invalid notification fails alone; the batch goes on.
      yield { token: tokenFor(999, 'e'), notification: { alert: 'x', collapseId: 'c'.repeat(65) } };
    }
    const report = await apns.sendMany(cursor(), { results: 'failed' });
    expect(report).toMatchObject({ sent: 201, accepted: 200, failed: 1 });
    expect(report.results).toEqual([expect.objectContaining({ status: 'failed', index: 200 })]);
    expect(errors.map((e) => e.reason)).toEqual(['InvalidNotification']);
    await mock.waitForAccepted(200);
    const byToken = new Map(mock.accepted.map((a) => [a.token, a.json as { i: number }]));
    for (let i = 0; i < 200; i += 37) expect(byToken.get(tokenFor(i, 'e'))).toEqual({ aps: { alert: `Hello #${i}` }, i });
  });

  if (mode === 'binary') {
    // The cron job firing on schedule is in apns-feedback.e2e-spec.ts (fake timers, fixed now).
    it("pollFeedback resolves to the feedback service's entries and emits them on feedback$", async () => {
      const gone = [
        { token: tokenFor(1, 'f'), timestamp: new Date('2026-03-01T10:00:00Z') },
        { token: tokenFor(2, 'f'), timestamp: new Date('2026-03-02T11:30:00Z') },
        { token: tokenFor(3, 'f'), timestamp: new Date('2026-03-03T12:45:00Z') },
      ];
      for (const g of gone) mock.queueFeedback(g.token, g.timestamp);
      await expect(apns.pollFeedback()).resolves.toEqual(gone);
      expect(feedback).toEqual(gone);
      // The service clears its list once read: the next poll returns only what came since.
      const later = { token: tokenFor(4, 'f'), timestamp: new Date('2026-03-04T13:00:00Z') };
      mock.queueFeedback(later.token, later.timestamp);
      await expect(apns.pollFeedback()).resolves.toEqual([later]);
      expect(feedback).toEqual([...gone, later]);
      // An empty list is an empty answer, not an error.
      await expect(apns.pollFeedback()).resolves.toEqual([]);
    });
  } else {
    it('emits a 410 on errors$ and on feedback$ with its timestamp', async () => {
      const gone = tokenFor(1, 'b');
      const when = new Date('2026-02-03T04:05:06.789Z');
      mock.markUnregistered(gone, when);
      const report = await apns.send({ alert: 'Hi' }, [tokenFor(2, 'b'), gone]);
      expect(report).toMatchObject({ sent: 2, accepted: 1, failed: 1 });
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ token: gone, reason: 'Unregistered', status: 410, timestamp: when });
      expect(feedback).toEqual([{ token: gone, timestamp: when }]);
      // HTTP/2 has no feedback service: a poll finds nothing.
      await expect(apns.pollFeedback()).resolves.toEqual([]);
    });
  }
});

import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import { firstValueFrom, toArray } from 'rxjs';
import { ApnsModule } from '../src/apns.module.js';
import { ApnsService } from '../src/apns.service.js';
import type { ApnsDeliveryError } from '../src/errors/apns-delivery.error.js';
import { MockApnsServer } from '../src/testing/index.js';
import { MODES, optionsFor, tokenFor, type ApnsMode } from './apns-e2e.fixtures.js';

// app.close() in the middle of a large send: every notification taken from the
// input ends accepted or failed (reason Shutdown), on the report and on
// errors$, and nothing stays open.

describe.each(MODES)('shutdown during a large send over %s', (mode: ApnsMode) => {
  let mock: MockApnsServer;

  beforeAll(async () => {
    mock = await MockApnsServer.start();
  });
  afterAll(async () => {
    await mock.stop();
  });

  it('accounts for every notification taken from the input', async () => {
    // Slow the server down and send large payloads, so that the close lands mid-send with work
    // still queued (binary: behind full socket buffers) or unanswered (HTTP/2: the answers take
    // longer than the 200 ms drain; with 25 ms the drain sometimes finished everything, depending
    // on whether a second session was up).
    if (mode === 'binary') mock.faults.slowReads({ pauseMs: 50, everyBytes: 16_384 });
    else mock.faults.latency(400);
    const app = await Test.createTestingModule({
      imports: [
        ApnsModule.forRoot(
          // binary: a connection cut at the drain deadline fails what it still holds (it may not have
          // reached the server); a small ring leaves older writes accepted, so the check of what
          // "accepted" means below has something to check.
          optionsFor(mock, mode, { queueSize: 500, maxConnections: 2, drainTimeoutMs: 200, binary: { sentBufferSize: 1_000 } }),
        ),
      ],
    }).compile();
    await app.init();
    const apns = app.get(ApnsService);
    const errors: ApnsDeliveryError[] = [];
    apns.errors$.subscribe((e) => errors.push(e));
    const completed = firstValueFrom(apns.errors$.pipe(toArray()));

    const total = 50_000;
    function* tokens() {
      for (let i = 0; i < total; i++) yield tokenFor(i, 'f');
    }
    const sending = apns.send({ alert: `Going down ${'.'.repeat(1_500)}` }, tokens(), { results: 'failed' });
    await mock.waitFor(() => mock.counters.accepted >= 200, 20_000);
    await app.close();
    const report = await sending;
    await completed;
    // From here the mock reads at full speed what is still in its socket buffers.
    mock.resetFaults();

    expect(report.interrupted).toBe(true);
    expect(report.sent).toBeLessThan(total);
    expect(report.resumeFrom).toBe(report.sent);
    expect(report.accepted + report.failed).toBe(report.sent);
    // The drain timeout cut work on every transport: the checks below run on a non-empty list.
    expect(report.failed).toBeGreaterThan(0);
    expect(errors).toHaveLength(report.failed);
    expect(new Set(errors.map((e) => e.token)).size).toBe(errors.length);
    expect(errors.map((e) => e.reason)).toEqual(errors.map(() => 'Shutdown'));
    // The report lists the very errors errors$ emitted, and nothing else.
    const listed = report.results.map((r) => (r.status === 'failed' ? r.error : r));
    expect(new Set(listed)).toEqual(new Set(errors));
    // Only tokens that were taken from the input ever reached the server.
    const taken = Array.from({ length: report.sent }, (_, i) => tokenFor(i, 'f'));
    const takenSet = new Set(taken);
    expect(mock.accepted.filter((a) => !takenSet.has(a.token))).toEqual([]);
    // Every delivery reported accepted reached the server (binary: once the mock has read its
    // socket buffers; HTTP/2 may also have processed a few of those cut off by the timeout).
    const failedTokens = new Set(errors.map((e) => e.token));
    const acceptedTokens = taken.filter((t) => !failedTokens.has(t));
    expect(acceptedTokens).toHaveLength(report.accepted);
    const missing = new Set(acceptedTokens);
    let seen = 0;
    const allArrived = (): boolean => {
      for (; seen < mock.accepted.length; seen++) missing.delete(mock.accepted[seen]!.token);
      return missing.size === 0;
    };
    await mock.waitFor(allArrived, 10_000).catch(() => undefined);
    expect([...missing]).toEqual([]);
  }, 25_000);
});

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
    // Slow the server down so that the close lands mid-send.
    // HTTP/2: answers slower than the 200 ms drain, so what is in flight at close cannot all finish
    // (with 25 ms the drain sometimes finished everything, depending on whether a second session was up).
    if (mode === 'binary') mock.faults.slowReads({ pauseMs: 20, everyBytes: 16_384 });
    else mock.faults.latency(400);
    const app = await Test.createTestingModule({
      imports: [ApnsModule.forRoot(optionsFor(mock, mode, { queueSize: 500, maxConnections: 2, drainTimeoutMs: 200 }))],
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
    const sending = apns.send({ alert: 'Going down' }, tokens(), { results: 'failed' });
    await mock.waitFor(() => mock.counters.accepted >= 200, 20_000);
    await app.close();
    const report = await sending;
    await completed;

    expect(report.interrupted).toBe(true);
    expect(report.sent).toBeLessThan(total);
    expect(report.accepted + report.failed).toBe(report.sent);
    // HTTP/2 has requests in flight when the drain time runs out; the binary
    // gateway acknowledges nothing, so what was written counts as accepted.
    if (mode !== 'binary') expect(report.failed).toBeGreaterThan(0);
    expect(errors).toHaveLength(report.failed);
    expect(new Set(errors.map((e) => e.token)).size).toBe(errors.length);
    expect(errors.every((e) => e.reason === 'Shutdown')).toBe(true);
    const reported = new Set(report.results.map((r) => r.status === 'failed' && r.error));
    expect(errors.every((e) => reported.has(e))).toBe(true);
    // Only tokens that were taken from the input ever reached the server.
    const taken = new Set(Array.from({ length: report.sent }, (_, i) => tokenFor(i, 'f')));
    expect(mock.accepted.every((a) => taken.has(a.token))).toBe(true);
    // The server saw at least every delivery reported accepted (HTTP/2 may have processed a few cut off by the timeout).
    expect(mock.counters.accepted).toBeGreaterThanOrEqual(mode === 'binary' ? 0 : report.accepted);
    mock.resetFaults();
  }, 25_000);
});

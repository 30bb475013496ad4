import 'reflect-metadata';
import { jest } from '@jest/globals';
import { ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { Test, type TestingModule } from '@nestjs/testing';
import { ApnsFeedbackScheduler } from '../src/apns-feedback.scheduler.js';
import { ApnsModule } from '../src/apns.module.js';
import { ApnsService } from '../src/apns.service.js';
import { MockApnsServer } from '../src/testing/index.js';
import type { ApnsFeedback } from '../src/transport/delivery.js';
import { optionsFor, RecordingLogger, tokenFor } from './apns-e2e.fixtures.js';

// The feedback task over the binary transport, against the mock's feedback
// service: the cron job under jest's fake timers with a fixed now (the test
// moves the clock to each tick), the feedback read itself on real TLS I/O.

/** Length of one feedback tuple with a 32-byte token: 4 + 2 + 32. */
const TUPLE_BYTES = 38;

/**
 * Date and timers are fake, so the cron job fires only when the test advances
 * the clock past its tick. `advanceTimers` lets the fake clock follow real time
 * as well, so the short timers of a TLS connection (handshake confirmation,
 * connect deadline) still run while the read goes on; setImmediate and
 * nextTick stay real, as sockets and the mock need them.
 */
function useFakeClock(now: Date): void {
  jest.useFakeTimers({ now, advanceTimers: true, doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'queueMicrotask'] });
}

describe('the feedback task on its cron schedule (binary transport)', () => {
  let mock: MockApnsServer;
  let app: TestingModule | undefined;

  beforeAll(async () => {
    mock = await MockApnsServer.start();
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    jest.useRealTimers();
    mock.resetFaults();
    mock.clearRecords();
  });
  afterAll(async () => {
    await mock.stop();
  });

  async function boot(cron: string, logger = new RecordingLogger()) {
    app = await Test.createTestingModule({
      imports: [ScheduleModule.forRoot(), ApnsModule.forRoot(optionsFor(mock, 'binary', { logger, feedback: { cron, timeZone: 'UTC' } }))],
    }).compile();
    await app.init();
    const feedback: ApnsFeedback[] = [];
    app.get(ApnsService).feedback$.subscribe((entry) => feedback.push(entry));
    const scheduler = app.get(ApnsFeedbackScheduler);
    // The job calls scheduler.tick(): the spy counts the ticks and hands over each one's promise.
    const ticks = jest.spyOn(scheduler, 'tick');
    return { feedback, ticks, job: app.get(SchedulerRegistry).getCronJob('apns-feedback'), logger };
  }

  it("emits the feedback service's entries on feedback$ when the cron job fires, and not before", async () => {
    useFakeClock(new Date('2026-03-05T03:16:00Z'));
    const { feedback, ticks, job } = await boot('0 17 3 * * *');
    const gone = [
      { token: tokenFor(1, 'f'), timestamp: new Date('2026-03-01T10:00:00Z') },
      { token: tokenFor(2, 'f'), timestamp: new Date('2026-03-02T11:30:00Z') },
      { token: tokenFor(3, 'f'), timestamp: new Date('2026-03-03T12:45:00Z') },
    ];
    for (const g of gone) mock.queueFeedback(g.token, g.timestamp);
    expect(job.nextDate().toJSDate().toISOString()).toBe('2026-03-05T03:17:00.000Z');

    await jest.advanceTimersByTimeAsync(30_000);
    expect(ticks).not.toHaveBeenCalled();
    expect(mock.counters.feedbackConnections).toBe(0);

    await jest.advanceTimersByTimeAsync(30_000);
    expect(ticks).toHaveBeenCalledTimes(1);
    await expect(ticks.mock.results[0]!.value).resolves.toEqual(gone);
    expect(feedback).toEqual(gone);
    expect(mock.counters.feedbackConnections).toBe(1);
    expect(mock.pendingFeedback).toBe(0);
  });

  it('runs the next tick after a failed one, and that tick reads what the failed one could not', async () => {
    useFakeClock(new Date('2026-03-05T03:16:30Z'));
    const { feedback, ticks, logger } = await boot('0 * * * * *');
    const entry = { token: tokenFor(9, 'f'), timestamp: new Date('2026-03-04T09:00:00Z') };
    mock.queueFeedback(entry.token, entry.timestamp);
    mock.faults.refuseConnections(3_600_000);

    // 03:17:00: the feedback service refuses the connection; the tick logs it and resolves.
    await jest.advanceTimersByTimeAsync(31_000);
    expect(ticks).toHaveBeenCalledTimes(1);
    await expect(ticks.mock.results[0]!.value).resolves.toEqual([]);
    expect(mock.counters.refusedConnections).toBeGreaterThanOrEqual(1);
    expect(logger.lines.filter((l) => l.startsWith('error Feedback poll failed; the next tick tries again'))).toHaveLength(1);
    expect(mock.pendingFeedback).toBe(1);
    expect(feedback).toEqual([]);

    // 03:18:00: the service is back; the job is still scheduled and reads the list.
    mock.resetFaults();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(ticks).toHaveBeenCalledTimes(2);
    await expect(ticks.mock.results[1]!.value).resolves.toEqual([entry]);
    expect(feedback).toEqual([entry]);
    expect(mock.pendingFeedback).toBe(0);
  });
});

describe('reading the feedback service (binary transport)', () => {
  it('reads a list that trickles in for longer than feedbackIdleTimeoutMs, as long as each gap is shorter', async () => {
    const IDLE_TIMEOUT_MS = 1_000;
    const GAP_MS = 150;
    const count = 24;
    // Two tuples per chunk: 12 chunks, 11 gaps of 150 ms, so at least 1.65 s in all.
    const mock = await MockApnsServer.start({ feedbackChunkSize: 2 * TUPLE_BYTES, feedbackChunkDelayMs: GAP_MS });
    const moduleRef = await Test.createTestingModule({
      imports: [ApnsModule.forRoot(optionsFor(mock, 'binary', { binary: { feedbackIdleTimeoutMs: IDLE_TIMEOUT_MS } }))],
    }).compile();
    try {
      await moduleRef.init();
      const list = Array.from({ length: count }, (_, i) => ({ token: tokenFor(i, 'e'), timestamp: new Date(Date.UTC(2026, 2, 1, 0, i)) }));
      for (const entry of list) mock.queueFeedback(entry.token, entry.timestamp);

      const started = performance.now();
      const entries = await moduleRef.get(ApnsService).pollFeedback();
      const tookMs = performance.now() - started;

      // The premise: the read lasted longer than the idle timeout, so a total deadline would have cut it.
      expect(tookMs).toBeGreaterThan(IDLE_TIMEOUT_MS);
      expect(entries).toEqual(list);
    } finally {
      await moduleRef.close();
      await mock.stop();
    }
  });
});

import type { ApnsNotification } from '../../src/codec/apns-notification.js';
import { benchTokens, lazyBenchTokens } from '../harness/bench-tokens.js';
import { BENCH_ALERT, BENCH_BADGE, BENCH_SOUND, distinctAlertBody } from './bench-notification.js';
import type { Contender, ContenderJob, RunOutcome } from './contender.js';
import { firstFailure, loadClient, quietLogger, type OursClient, type OursMessage, type OursSendReport } from './ours-loader.js';

export const BENCH_NOTIFICATION: ApnsNotification = { alert: { ...BENCH_ALERT }, badge: BENCH_BADGE, sound: BENCH_SOUND };

/** Distinct notifications, made one at a time (memory scenario's stream). */
export async function* distinctMessages(count: number): AsyncGenerator<OursMessage> {
  let index = 0;
  for (const token of lazyBenchTokens(count)) {
    yield { token, notification: { alert: { title: BENCH_ALERT.title, body: distinctAlertBody(index++) }, badge: BENCH_BADGE, sound: BENCH_SOUND } };
  }
}

/** Runs the job's shape (one `send` or a `sendMany` stream) and turns the report into an outcome. */
export async function sendShaped(sender: Pick<OursClient, 'send' | 'sendMany'>, job: ContenderJob, tokens: readonly string[]): Promise<RunOutcome> {
  let report: OursSendReport;
  if (job.shape === 'stream') report = await sender.sendMany(distinctMessages(job.count), { results: 'failed' });
  else report = await sender.send(BENCH_NOTIFICATION, job.lazyTokens ? lazyBenchTokens(job.count) : tokens, { results: 'failed' });
  const firstError = firstFailure(report);
  return { ok: report.accepted, failed: report.failed + Math.max(0, job.count - report.sent), ...(firstError ? { firstError } : {}) };
}

/**
 * nest-apns on the binary protocol through the framework-free `ApnsClient`,
 * certificate auth, `maxConnections` from the job. Done when `close()` has
 * drained the queue and closed the connections.
 */
export class OursBinaryContender implements Contender {
  private client: OursClient | undefined;
  private tokens: string[] = [];

  constructor(private readonly job: ContenderJob) {}

  async setup(): Promise<void> {
    const { ApnsClient } = await loadClient();
    const { mock, credentials } = this.job;
    this.client = new ApnsClient({
      transport: 'binary',
      gateway: `${mock.host}:${mock.binaryPort}`,
      feedbackGateway: `${mock.host}:${mock.feedbackPort}`,
      cert: credentials.clientCert,
      key: credentials.clientKey,
      ca: credentials.ca,
      maxConnections: this.job.connections ?? 1,
      logger: quietLogger,
    });
    if (this.job.warmup > 0) await this.client.send(BENCH_NOTIFICATION, benchTokens(this.job.warmup, 800_000_000), { results: 'failed' });
    if (!this.job.lazyTokens && this.job.shape !== 'stream') this.tokens = benchTokens(this.job.count);
  }

  async run(): Promise<RunOutcome> {
    const outcome = await sendShaped(this.client!, this.job, this.tokens);
    const client = this.client!;
    this.client = undefined;
    await client.close();
    return outcome;
  }

  async close(): Promise<void> {
    await this.client?.close();
  }
}

import { readFileSync } from 'node:fs';
import { ApnsClient, Notification } from 'apns2';
import { benchTokens } from '../harness/bench-tokens.js';
import { BENCH_ALERT, BENCH_BADGE, BENCH_SOUND } from './bench-notification.js';
import type { Contender, ContenderJob, RunOutcome } from './contender.js';

/** Notifications per `sendMany` call: one promise each, so all 50,000 at once would only add memory. */
const APNS2_CHUNK = 1000;

/**
 * apns2 (undici HTTP/2 pool) with token auth, its own settings left alone.
 * apns2 always dials port 443 of `host`, so its pool is rebuilt once, with the
 * very same options, on the mock's origin; the mock's CA comes in through
 * NODE_EXTRA_CA_CERTS (set by the harness), as undici reads the default trust store.
 */
export class Apns2Contender implements Contender {
  private client: ApnsClient | undefined;
  private tokens: string[] = [];

  constructor(private readonly job: ContenderJob) {}

  async setup(): Promise<void> {
    const { mock, credentials } = this.job;
    const client = new ApnsClient({
      team: credentials.teamId,
      keyId: credentials.keyId,
      signingKey: readFileSync(credentials.signingKey, 'utf8'),
      defaultTopic: this.job.topic,
      host: mock.host,
    });
    const PoolClass = client.client.constructor as new (origin: string, options: Record<string, unknown>) => ApnsClient['client'];
    const original = client.client;
    // The options apns2 12 passes to its Pool (dist/esm/apns.js), unchanged.
    (client as { client: ApnsClient['client'] }).client = new PoolClass(`https://${mock.host}:${mock.http2Port}`, {
      connections: client.keepAlive ? 32 : 1,
      pipelining: client.keepAlive ? 1 : 0,
      allowH2: true,
      maxConcurrentStreams: 100,
    });
    await original.close();
    this.client = client;
    await this.sendChunked(benchTokens(1, 900_000_000));
    if (this.job.warmup > 0) await this.sendChunked(benchTokens(this.job.warmup, 800_000_000));
    this.tokens = benchTokens(this.job.count);
  }

  private async sendChunked(tokens: readonly string[]): Promise<RunOutcome> {
    const chunk = this.job.chunkSize ?? APNS2_CHUNK;
    const lanes = this.job.chunksInFlight ?? 2;
    let next = 0;
    let ok = 0;
    let failed = 0;
    let firstError: string | undefined;
    const lane = async (): Promise<void> => {
      while (next < tokens.length) {
        const slice = tokens.slice(next, next + chunk);
        next += slice.length;
        const notes = slice.map((token) => new Notification(token, { alert: { ...BENCH_ALERT }, badge: BENCH_BADGE, sound: BENCH_SOUND }));
        const results = await this.client!.sendMany(notes);
        for (const result of results) {
          if ('error' in result) {
            failed++;
            firstError ??= String((result.error as { reason?: string }).reason ?? result.error);
          } else ok++;
        }
      }
    };
    await Promise.all(Array.from({ length: lanes }, lane));
    return { ok, failed, ...(firstError ? { firstError } : {}) };
  }

  async run(): Promise<RunOutcome> {
    return this.sendChunked(this.tokens);
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.close();
  }
}

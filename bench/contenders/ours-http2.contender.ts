import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { benchTokens } from '../harness/bench-tokens.js';
import { pacedRun } from '../harness/paced-run.js';
import type { Contender, ContenderJob, RunOutcome } from './contender.js';
import { BENCH_NOTIFICATION, sendShaped } from './ours-binary.contender.js';
import { loadClient, loadNestModules, quietLogger, type OursClient, type OursSender } from './ours-loader.js';

/**
 * nest-apns on HTTP/2 as an app uses it: `ApnsModule.forRoot()` in a Nest
 * application context, `ApnsService` from the container, token auth; or,
 * with `via: 'client'`, the framework-free `ApnsClient` with the same options
 * (the memory scenario, whose RSS should be the library's and not Nest's).
 * `maxConnections` from the job, or every option at its default (`defaults`).
 */
export class OursHttp2Contender implements Contender {
  private app: INestApplicationContext | undefined;
  private client: OursClient | undefined;
  private service: OursSender | undefined;
  private tokens: string[] = [];

  constructor(private readonly job: ContenderJob) {}

  async setup(): Promise<void> {
    const { mock, credentials } = this.job;
    const options: Record<string, unknown> = {
      transport: 'http2',
      gateway: `${mock.host}:${mock.http2Port}`,
      token: { key: credentials.signingKey, keyId: credentials.keyId, teamId: credentials.teamId },
      ca: credentials.ca,
      topic: this.job.topic,
      logger: quietLogger,
    };
    if (!this.job.defaults && this.job.connections !== undefined) options.maxConnections = this.job.connections;
    if (this.job.via === 'client') {
      const { ApnsClient } = await loadClient();
      this.service = this.client = new ApnsClient(options);
    } else {
      const { ApnsModule, ApnsService } = await loadNestModules();
      this.app = await NestFactory.createApplicationContext(ApnsModule.forRoot(options) as never, { logger: ['error', 'warn'] });
      this.service = this.app.get(ApnsService as never) as OursSender;
    }
    await this.service.send(BENCH_NOTIFICATION, benchTokens(1, 900_000_000));
    if (this.job.warmup > 0) await this.service.send(BENCH_NOTIFICATION, benchTokens(this.job.warmup, 800_000_000), { results: 'failed' });
    if (this.job.ratePerSec === undefined && !this.job.lazyTokens && this.job.shape !== 'stream') this.tokens = benchTokens(this.job.count);
  }

  async run(): Promise<RunOutcome> {
    const service = this.service!;
    if (this.job.ratePerSec !== undefined) {
      return pacedRun(async (token) => (await service.send(BENCH_NOTIFICATION, token)).accepted === 1, this.job.ratePerSec, this.job.durationMs ?? 5000);
    }
    return sendShaped(service, this.job, this.tokens);
  }

  async close(): Promise<void> {
    const { app, client } = this;
    this.app = this.client = undefined;
    await app?.close();
    await client?.close();
  }
}

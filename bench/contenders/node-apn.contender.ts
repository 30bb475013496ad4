import { createRequire } from 'node:module';
import { benchTokens } from '../harness/bench-tokens.js';
import { BENCH_ALERT, BENCH_BADGE, BENCH_SOUND } from './bench-notification.js';
import type { Contender, ContenderJob, RunOutcome } from './contender.js';

const require = createRequire(import.meta.url);

interface NodeApnResult {
  sent: unknown[];
  failed: Array<{ status?: unknown; response?: { reason?: string }; error?: unknown }>;
}
interface NodeApnProvider {
  send(notification: unknown, recipients: string[]): Promise<NodeApnResult>;
  shutdown(callback?: () => void): Promise<void> | void;
}
interface NodeApnModule {
  Provider: new (options: Record<string, unknown>) => NodeApnProvider;
  MultiProvider: new (options: Record<string, unknown>) => NodeApnProvider;
  Notification: new (payload?: Record<string, unknown>) => { topic: string; pushType: string };
}

/** Tokens per `send`: node-apn opens every stream of a call at once, and overflows the session with 10,000+. */
export const NODE_APN_CHUNK = 500;

/**
 * @parse/node-apn on HTTP/2 with token auth. Its best settings: tokens chunked
 * (500 per `send`) with a couple of chunks in flight so the session never
 * idles between chunks, and `MultiProvider` when several sessions are asked
 * for. In the hostile scenario (`defaults`) one `Provider` as documented.
 */
export class NodeApnContender implements Contender {
  private readonly apn = require('@parse/node-apn') as NodeApnModule;
  private provider: NodeApnProvider | undefined;
  private tokens: string[] = [];

  constructor(private readonly job: ContenderJob) {}

  async setup(): Promise<void> {
    const { mock, credentials } = this.job;
    const options: Record<string, unknown> = {
      token: { key: credentials.signingKey, keyId: credentials.keyId, teamId: credentials.teamId },
      // node's http2.connect takes the port from these options (node-apn passes its config through), not from the URL.
      address: mock.host,
      port: mock.http2Port,
      ca: credentials.ca,
      production: false,
    };
    const sessions = this.job.defaults ? 1 : (this.job.connections ?? 1);
    this.provider = sessions > 1 ? new this.apn.MultiProvider({ ...options, clientCount: sessions }) : new this.apn.Provider(options);
    // One stream is allowed until a request with a valid token went through.
    await this.sendChunked(benchTokens(1, 900_000_000));
    if (this.job.warmup > 0) await this.sendChunked(benchTokens(this.job.warmup, 800_000_000));
    this.tokens = benchTokens(this.job.count);
  }

  private note(): unknown {
    const note = new this.apn.Notification({ alert: { ...BENCH_ALERT }, badge: BENCH_BADGE, sound: BENCH_SOUND });
    note.topic = this.job.topic;
    note.pushType = 'alert';
    return note;
  }

  private async sendChunked(tokens: readonly string[]): Promise<RunOutcome> {
    const chunk = this.job.chunkSize ?? NODE_APN_CHUNK;
    const lanes = this.job.chunksInFlight ?? 2;
    const note = this.note();
    let next = 0;
    let ok = 0;
    let failed = 0;
    let firstError: string | undefined;
    const lane = async (): Promise<void> => {
      while (next < tokens.length) {
        const slice = tokens.slice(next, next + chunk);
        next += slice.length;
        const result = await this.provider!.send(note, slice as string[]);
        ok += result.sent.length;
        failed += result.failed.length;
        if (result.failed.length > 0 && firstError === undefined) {
          const first = result.failed[0]!;
          firstError = `${String(first.status ?? '')} ${first.response?.reason ?? String(first.error ?? '')}`.trim();
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
    const provider = this.provider;
    this.provider = undefined;
    await provider?.shutdown();
  }
}

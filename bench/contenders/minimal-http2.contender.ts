import { sign, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { benchTokens } from '../harness/bench-tokens.js';
import { pacedRun } from '../harness/paced-run.js';
import { BENCH_PAYLOAD_JSON } from './bench-notification.js';
import type { Contender, ContenderJob, RunOutcome } from './contender.js';

const IN_FLIGHT = 1000;

function base64url(input: Buffer | string): string {
  return Buffer.from(input).toString('base64url');
}

/** ES256 provider token, signed once for the whole run. */
function signJwt(key: KeyObject, keyId: string, teamId: string): string {
  const head = base64url(JSON.stringify({ alg: 'ES256', kid: keyId }));
  const claims = base64url(JSON.stringify({ iss: teamId, iat: Math.floor(Date.now() / 1000) }));
  const signature = sign('sha256', Buffer.from(`${head}.${claims}`), { key, dsaEncoding: 'ieee-p1363' });
  return `${head}.${claims}.${base64url(signature)}`;
}

/**
 * The baseline: a hand-written `node:http2` client on one session, 1,000
 * streams in flight, one JWT signed once, headers built once. No retries:
 * the least a correct client can do. Requests beyond 1,000 in flight wait in
 * a plain FIFO (only the paced latency runs get there), since opening more
 * streams than the server allows would only have them refused.
 */
export class MinimalHttp2Contender implements Contender {
  private session: ClientHttp2Session | undefined;
  private readonly payload = Buffer.from(BENCH_PAYLOAD_JSON);
  private readonly baseHeaders: Record<string, string>;
  private tokens: string[] = [];
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];
  private firstError: string | undefined;

  constructor(private readonly job: ContenderJob) {
    const key = createPrivateKey(readFileSync(job.credentials.signingKey));
    this.baseHeaders = {
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      authorization: `bearer ${signJwt(key, job.credentials.keyId, job.credentials.teamId)}`,
      'apns-topic': job.topic,
      'apns-push-type': 'alert',
      'apns-priority': '10',
    };
  }

  async setup(): Promise<void> {
    const session = connect(`https://${this.job.mock.host}:${this.job.mock.http2Port}`, { ca: readFileSync(this.job.credentials.ca) });
    session.on('error', () => undefined);
    this.session = session;
    await new Promise<void>((resolve, reject) => {
      session.once('connect', () => resolve());
      session.once('error', reject);
    });
    // Apple allows one stream until a request with a valid token went through.
    await this.post(benchTokens(1, 900_000_000)[0]!);
    if (this.job.ratePerSec === undefined) this.tokens = benchTokens(this.job.count);
    if (this.job.warmup > 0) await this.sendAll(benchTokens(this.job.warmup, 800_000_000));
  }

  /** One request; resolves to the HTTP status (0 when the stream failed). */
  private async post(token: string): Promise<number> {
    if (this.inFlight >= IN_FLIGHT) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.inFlight++;
    try {
      return await new Promise<number>((resolve) => {
        const stream = this.session!.request({ ...this.baseHeaders, [constants.HTTP2_HEADER_PATH]: `/3/device/${token}` });
        let status = 0;
        stream.on('response', (headers) => {
          status = Number(headers[constants.HTTP2_HEADER_STATUS]);
        });
        stream.on('data', () => undefined);
        stream.on('close', () => resolve(status));
        stream.on('error', (error: Error) => {
          this.firstError ??= error.message;
        });
        stream.end(this.payload);
      });
    } finally {
      this.inFlight--;
      this.waiting.shift()?.();
    }
  }

  private async sendAll(tokens: readonly string[]): Promise<RunOutcome> {
    let next = 0;
    let ok = 0;
    let failed = 0;
    let firstError: string | undefined;
    const lane = async (): Promise<void> => {
      while (next < tokens.length) {
        const status = await this.post(tokens[next++]!);
        if (status === 200) ok++;
        else {
          failed++;
          firstError ??= status === 0 ? (this.firstError ?? 'stream failed') : `status ${status}`;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, tokens.length) }, lane));
    return { ok, failed, ...(firstError ? { firstError } : {}) };
  }

  async run(): Promise<RunOutcome> {
    if (this.job.ratePerSec !== undefined) {
      const outcome = await pacedRun(async (token) => (await this.post(token)) === 200, this.job.ratePerSec, this.job.durationMs ?? 5000);
      return this.firstError && outcome.failed > 0 ? { ...outcome, firstError: this.firstError } : outcome;
    }
    return this.sendAll(this.tokens);
  }

  async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (!session || session.destroyed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        session.destroy();
        resolve();
      }, 2000);
      session.close(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

import { createRequire } from 'node:module';
import type { TLSSocket } from 'node:tls';
import { benchTokens } from '../harness/bench-tokens.js';
import { BENCH_ALERT, BENCH_BADGE, BENCH_SOUND } from './bench-notification.js';
import type { Contender, ContenderJob, RunOutcome } from './contender.js';

const require = createRequire(import.meta.url);

/** The parts of apn@1.7.8's untyped API used here. */
interface ApnConnection {
  sockets: TLSSocket[];
  pushNotification(notification: unknown, recipients: string[]): void;
  shutdown(): void;
  on(event: string, listener: (...args: unknown[]) => void): void;
  once(event: string, listener: (...args: unknown[]) => void): void;
  removeListener(event: string, listener: (...args: unknown[]) => void): void;
}
interface ApnModule {
  Connection: new (options: Record<string, unknown>) => ApnConnection;
  Notification: new () => { alert: unknown; badge: number; sound: string };
}

/**
 * apn@1.7.8, the last Node client of the binary protocol, on Node 20 as
 * published, `fastMode` on (writes until backpressure instead of one frame per
 * drain). Pointed at the mock with `address`/`port` and the test CA and client
 * certificate. "Done" as for every binary contender: its connections closed
 * after the server read everything.
 */
export class ApnLegacyContender implements Contender {
  private readonly apn = require('apn') as ApnModule;
  private connection: ApnConnection | undefined;
  private tokens: string[] = [];
  private failed = 0;
  private firstError: string | undefined;

  constructor(private readonly job: ContenderJob) {}

  async setup(): Promise<void> {
    const { mock, credentials } = this.job;
    this.connection = new this.apn.Connection({
      address: mock.host,
      port: mock.binaryPort,
      cert: credentials.clientCert,
      key: credentials.clientKey,
      ca: [credentials.ca],
      production: false,
      fastMode: true,
      maxConnections: this.job.connections ?? 1,
    });
    this.connection.on('transmissionError', (code: unknown) => {
      this.failed++;
      this.firstError ??= `transmissionError ${String(code)}`;
    });
    this.connection.on('error', (error: unknown) => {
      this.firstError ??= `error ${String(error)}`;
    });
    this.connection.on('socketError', (error: unknown) => {
      this.firstError ??= `socketError ${String(error)}`;
    });
    await this.push(benchTokens(Math.max(1, this.job.warmup), 800_000_000));
    this.tokens = benchTokens(this.job.count);
  }

  /** Queues the tokens and resolves on apn's `completed` (everything written and drained). */
  private push(tokens: string[]): Promise<void> {
    const connection = this.connection!;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`apn@1.7.8 did not complete: ${this.firstError ?? 'no error reported'}`)), 120_000);
      const done = (): void => {
        clearTimeout(timer);
        connection.removeListener('completed', done);
        resolve();
      };
      connection.on('completed', done);
      const note = new this.apn.Notification();
      note.alert = { ...BENCH_ALERT };
      note.badge = BENCH_BADGE;
      note.sound = BENCH_SOUND;
      connection.pushNotification(note, tokens);
    });
  }

  async run(): Promise<RunOutcome> {
    const before = this.failed;
    await this.push(this.tokens);
    // apn would end its sockets 2.5 s after a shutdown(); end them now, as every binary contender does.
    const sockets = [...this.connection!.sockets];
    await Promise.all(
      sockets.map(
        (socket) =>
          new Promise<void>((resolve) => {
            if (socket.destroyed) return resolve();
            socket.once('close', () => resolve());
            socket.end();
          }),
      ),
    );
    const failed = this.failed - before;
    return { ok: this.job.count - failed, failed, ...(this.firstError ? { firstError: this.firstError } : {}) };
  }

  async close(): Promise<void> {
    this.connection?.shutdown();
    for (const socket of this.connection?.sockets ?? []) socket.destroy();
    this.connection = undefined;
  }
}

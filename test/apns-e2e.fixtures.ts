import type { ApnsModuleOptions } from '../src/interfaces/apns-module-options.interface.js';
import type { ApnsLogger } from '../src/transport/apns-logger.js';
import { createSeededRandom } from '../src/testing/seeded-random.js';
import { testCredentials as creds, type MockApnsServer } from '../src/testing/index.js';

/** The three ways the library talks to APNs; e2e specs run once per mode. */
export type ApnsMode = 'http2-token' | 'http2-certificate' | 'binary';
export const MODES: ApnsMode[] = ['http2-token', 'http2-certificate', 'binary'];

export const TOPIC = 'com.example.app';

/** A logger that keeps what it is told, for assertions (and keeps test output quiet). */
export class RecordingLogger implements ApnsLogger {
  readonly lines: string[] = [];
  log(m: string): void {
    this.lines.push(`log ${m}`);
  }
  warn(m: string): void {
    this.lines.push(`warn ${m}`);
  }
  error(m: string): void {
    this.lines.push(`error ${m}`);
  }
  debug(m: string): void {
    this.lines.push(`debug ${m}`);
  }
}

/** Options pointing at `mock` for one mode, with short retry delays and a seeded random. */
export function optionsFor(mock: MockApnsServer, mode: ApnsMode, extra: Partial<ApnsModuleOptions> = {}): ApnsModuleOptions {
  const common: ApnsModuleOptions = {
    ca: creds.ca,
    topic: TOPIC,
    retry: { baseDelayMs: 5, maxDelayMs: 50 },
    reconnect: { baseDelayMs: 5, maxDelayMs: 50 },
    random: createSeededRandom(7),
    logger: new RecordingLogger(),
    feedback: false,
  };
  const auth: ApnsModuleOptions =
    mode === 'binary'
      ? { transport: 'binary', gateway: mock.gateway, feedbackGateway: mock.feedbackGateway, cert: creds.clientCert, key: creds.clientKey }
      : mode === 'http2-token'
        ? { gateway: mock.http2Gateway, token: { key: creds.signingKey, keyId: creds.keyId, teamId: creds.teamId } }
        : { gateway: mock.http2Gateway, cert: creds.clientCert, key: creds.clientKey };
  return { ...common, ...auth, ...extra };
}

/** A distinct 32-byte hex token per number (and per prefix). */
export function tokenFor(i: number, prefix = 'a'): string {
  return (prefix + i.toString(16)).padStart(64, '0');
}

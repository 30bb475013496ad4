/**
 * Loads nest-apns from the benchmark's own build (dist-bench/src), by path at
 * run time: a part that has not been built yet makes its rows "unavailable"
 * instead of breaking the whole suite. The types below are the slice of the
 * public API the benchmark uses.
 */
import type { ApnsNotification } from '../../src/codec/apns-notification.js';

export interface OursSendReport {
  sent: number;
  accepted: number;
  failed: number;
  results: Array<{ status: string; error?: { message?: string; reason?: string } }>;
}

export interface OursMessage {
  token: string;
  notification: ApnsNotification;
}

/** What `ApnsClient` and `ApnsService` both offer. */
export interface OursSender {
  send(notification: ApnsNotification, tokens: string | Iterable<string> | AsyncIterable<string>, options?: { results?: 'all' | 'failed' }): Promise<OursSendReport>;
  sendMany(messages: Iterable<OursMessage> | AsyncIterable<OursMessage>, options?: { results?: 'all' | 'failed' }): Promise<OursSendReport>;
}

export interface OursClient extends OursSender {
  close(): Promise<void>;
}

export interface OursClientModule {
  ApnsClient: new (options: Record<string, unknown>) => OursClient;
}

export interface OursNestModules {
  ApnsModule: { forRoot(options: Record<string, unknown>): unknown };
  ApnsService: abstract new (...args: never[]) => OursSender;
}

const CLIENT_PATH = '../../src/client/apns-client.js';
const MODULE_PATH = '../../src/apns.module.js';
const SERVICE_PATH = '../../src/apns.service.js';

async function importByPath<T>(relative: string): Promise<T> {
  const url = new URL(relative, import.meta.url).href;
  try {
    return (await import(url)) as T;
  } catch (error) {
    throw new Error(`nest-apns part not available (${relative}): ${(error as Error).message.split('\n')[0]}`);
  }
}

export function loadClient(): Promise<OursClientModule> {
  return importByPath<OursClientModule>(CLIENT_PATH);
}

export async function loadNestModules(): Promise<OursNestModules> {
  const [{ ApnsModule }, { ApnsService }] = await Promise.all([
    importByPath<Pick<OursNestModules, 'ApnsModule'>>(MODULE_PATH),
    importByPath<Pick<OursNestModules, 'ApnsService'>>(SERVICE_PATH),
  ]);
  return { ApnsModule, ApnsService };
}

/** The report's first failure, in a few words (no token: error messages already redact it). */
export function firstFailure(report: OursSendReport): string | undefined {
  const failed = report.results.find((result) => result.status === 'failed');
  return failed?.error ? (failed.error.reason ?? failed.error.message ?? 'failed') : undefined;
}

/** A logger that drops everything but errors, so a benchmark's output stays the table. */
export const quietLogger = {
  log: (): void => undefined,
  warn: (): void => undefined,
  error: (message: string): void => {
    process.stderr.write(`[apns] ${message}\n`);
  },
};

import type { ApnsClientOptions } from '../client/apns-client-options.js';

/** The scheduled read of the binary feedback service. */
export interface ApnsFeedbackScheduleOptions {
  /**
   * When to poll, in the `cron` package's syntax: 5 fields, or 6 with seconds
   * first. Apple asks providers to read the feedback service daily.
   * Default `'17 3 * * *'` (03:17 every day, off the top of the hour).
   */
  cron?: string;
  /** IANA time zone the expression is read in. Default: the process's zone. */
  timeZone?: string;
  /** Name of the job in `SchedulerRegistry`. Default `'apns-feedback'`. */
  name?: string;
}

/**
 * Options of `ApnsModule.forRoot()` / the factory of `forRootAsync()`: every
 * `ApnsClient` option, plus the feedback schedule.
 */
export interface ApnsModuleOptions extends ApnsClientOptions {
  /**
   * The feedback task, or `false` for none. On the binary transport each tick
   * polls the feedback service and emits its entries on `feedback$`; on HTTP/2
   * (410s arrive in-band) a tick does nothing but log at debug level.
   * Default `{ cron: '17 3 * * *' }`.
   */
  feedback?: ApnsFeedbackScheduleOptions | false;
}

/** Module-definition extras, kept out of the injected options. */
export interface ApnsModuleExtras {
  /** Make `ApnsService` injectable in every module without importing `ApnsModule`. Default false. */
  isGlobal?: boolean;
}

/** What a `useClass` / `useExisting` options provider of `forRootAsync()` implements. */
export interface ApnsOptionsFactory {
  createApnsOptions(): ApnsModuleOptions | Promise<ApnsModuleOptions>;
}

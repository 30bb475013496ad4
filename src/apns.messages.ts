import type { ApnsOptionProblem } from './errors/apns-options.error.js';

// Log and problem texts of the Nest layer, in one place.

export const feedbackTickOnHttp2 = (): string =>
  'Feedback tick: nothing to poll on HTTP/2 (410 Unregistered responses arrive on feedback$ as they happen).';

export const feedbackPolled = (count: number): string =>
  `Feedback service listed ${count} device token${count === 1 ? '' : 's'} to stop sending to.`;

export const feedbackTickFailed = (error: unknown): string =>
  `Feedback poll failed; the next tick tries again: ${error instanceof Error ? error.message : String(error)}`;

export const feedbackJobNameTaken = (name: string): string =>
  `a cron job named '${name}' is already registered in SchedulerRegistry: set feedback.name to a unique name.`;

export const feedbackJobScheduled = (name: string, cron: string, registered: boolean): string =>
  `Feedback job '${name}' scheduled (${cron})${registered ? ' in SchedulerRegistry' : ''}.`;

export const badCron = (cron: unknown, why: string): ApnsOptionProblem => ({
  field: 'feedback.cron',
  message: `${JSON.stringify(cron)} is not a valid cron expression (${why}): use 5 fields, or 6 with seconds first, e.g. '17 3 * * *'.`,
});

export const badTimeZone = (zone: unknown): ApnsOptionProblem => ({
  field: 'feedback.timeZone',
  message: `${JSON.stringify(zone)} is not a known IANA time zone (e.g. 'Europe/Paris' or 'UTC').`,
});

export const badFeedbackOption = (): ApnsOptionProblem => ({
  field: 'feedback',
  message: 'must be { cron?, timeZone?, name? } or false.',
});

export const badJobName = (): ApnsOptionProblem => ({
  field: 'feedback.name',
  message: 'must be a non-empty string.',
});

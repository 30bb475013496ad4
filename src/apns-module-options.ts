import { CronTime, validateCronExpression } from 'cron';
import { checkClientOptions, type ResolvedClientOptions } from './client/resolve-client-options.js';
import { ApnsOptionsError, type ApnsOptionProblem } from './errors/apns-options.error.js';
import type { ApnsLogger } from './transport/apns-logger.js';
import { APNS_MODULE_ONLY_KEYS, DEFAULT_FEEDBACK_CRON, DEFAULT_FEEDBACK_JOB_NAME } from './apns.constants.js';
import { badCron, badFeedbackOption, badJobName, badTimeZone } from './apns.messages.js';
import type { ApnsModuleOptions } from './interfaces/apns-module-options.interface.js';

/** The feedback schedule, checked. */
export interface ResolvedFeedbackSchedule {
  cron: string;
  timeZone: string | undefined;
  name: string;
}

/** Module options checked as a whole: the client's and the schedule's problems land in one error. */
export interface ResolvedModuleOptions {
  client: ResolvedClientOptions;
  feedback: ResolvedFeedbackSchedule | false;
}

/**
 * Validates `ApnsModule` options at boot. Throws one `ApnsOptionsError` naming
 * every wrong field, the cron expression's included, so a misconfigured app
 * fails to start with the whole picture.
 */
export function resolveModuleOptions(options: ApnsModuleOptions, defaultLogger: ApnsLogger): ResolvedModuleOptions {
  const withLogger = { ...options, logger: options?.logger ?? defaultLogger };
  const { resolved, problems } = checkClientOptions(withLogger, APNS_MODULE_ONLY_KEYS);
  const feedback = checkFeedback(options?.feedback, problems);
  if (resolved === undefined || feedback === undefined || problems.length > 0) throw new ApnsOptionsError(problems);
  return { client: resolved, feedback };
}

function checkFeedback(value: unknown, problems: ApnsOptionProblem[]): ResolvedFeedbackSchedule | false | undefined {
  if (value === false) return false;
  if (value === undefined) return { cron: DEFAULT_FEEDBACK_CRON, timeZone: undefined, name: DEFAULT_FEEDBACK_JOB_NAME };
  if (typeof value !== 'object' || value === null) {
    problems.push(badFeedbackOption());
    return undefined;
  }
  const { cron = DEFAULT_FEEDBACK_CRON, timeZone, name = DEFAULT_FEEDBACK_JOB_NAME } = value as Record<string, unknown>;
  const before = problems.length;
  if (typeof name !== 'string' || name.trim() === '') problems.push(badJobName());
  if (typeof cron !== 'string') {
    problems.push(badCron(cron, 'not a string'));
  } else {
    const check = validateCronExpression(cron);
    if (!check.valid) problems.push(badCron(cron, check.error?.message ?? 'unreadable'));
    else if (timeZone !== undefined) {
      try {
        if (typeof timeZone !== 'string') throw new TypeError('not a string');
        new CronTime(cron, timeZone);
      } catch {
        problems.push(badTimeZone(timeZone));
      }
    }
  }
  if (problems.length > before) return undefined;
  return { cron: cron as string, timeZone: timeZone as string | undefined, name: name as string };
}

/** Default schedule of the feedback task: daily, at an odd minute so fleets do not all poll on the hour. */
export const DEFAULT_FEEDBACK_CRON = '17 3 * * *';

/** Default name of the feedback job in `SchedulerRegistry`. */
export const DEFAULT_FEEDBACK_JOB_NAME = 'apns-feedback';

/** Injection token of the validated options (client options resolved, feedback schedule checked). */
export const APNS_RESOLVED_OPTIONS = Symbol('APNS_RESOLVED_OPTIONS');

/** Injection token of the `ApnsClient` behind `ApnsService`. */
export const APNS_CLIENT = Symbol('APNS_CLIENT');

/** Module-definition option keys that are not client options. */
export const APNS_MODULE_ONLY_KEYS = ['feedback'] as const;

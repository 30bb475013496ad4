// Public API of nest-apns. Internals (pool, connections, decoders) are not exported.
export type {
  ApnsNotification,
  ApnsAlert,
  ApnsCriticalSound,
  ApnsInterruptionLevel,
  ApnsPriority,
  ApnsPushType,
} from './codec/apns-notification.js';
export { ApnsDeliveryError } from './errors/apns-delivery.error.js';
export type { ApnsDeliveryErrorInit, ApnsFailureSource } from './errors/apns-delivery.error.js';
export { ApnsValidationError } from './errors/apns-validation.error.js';
export { ApnsOptionsError } from './errors/apns-options.error.js';
export type { ApnsOptionProblem } from './errors/apns-options.error.js';
export { ApnsConnectionError } from './errors/apns-connection.error.js';
export type { ApnsFeedback } from './transport/delivery.js';
export type { ApnsLogger } from './transport/apns-logger.js';

// Framework-free client.
export { ApnsClient } from './client/apns-client.js';
export type { ApnsTokenSource, ApnsMessageSource, ApnsClientDependencies } from './client/apns-client.js';
export type { ApnsTransportFactory } from './client/create-transport.js';
export { ApnsClientClosedError } from './client/apns-client-closed.error.js';
export type {
  ApnsClientOptions,
  ApnsCredentialSource,
  ApnsProviderTokenOptions,
  ApnsRetryOptions,
  ApnsReconnectOptions,
  ApnsBinaryOptions,
} from './client/apns-client-options.js';
export type {
  ApnsMessage,
  ApnsSendOptions,
  ApnsSendReport,
  ApnsDeliveryResult,
  ApnsAcceptedResult,
  ApnsFailedResult,
} from './client/apns-send-report.js';

// Nest wiring.
export { ApnsModule } from './apns.module.js';
export { ApnsService } from './apns.service.js';
export { ApnsFeedbackScheduler } from './apns-feedback.scheduler.js';
export { APNS_MODULE_OPTIONS } from './apns.module-definition.js';
export { DEFAULT_FEEDBACK_CRON, DEFAULT_FEEDBACK_JOB_NAME } from './apns.constants.js';
export type {
  ApnsModuleOptions,
  ApnsModuleExtras,
  ApnsFeedbackScheduleOptions,
  ApnsOptionsFactory,
} from './interfaces/apns-module-options.interface.js';

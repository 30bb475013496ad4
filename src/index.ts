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

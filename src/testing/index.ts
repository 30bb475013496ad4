// nest-apns/testing: the mock APNs server and its credentials, for your own tests.
export { MockApnsServer } from './mock-apns-server.js';
export type { MockApnsServerOptions } from './mock-apns-server.options.js';
export { MockFaults } from './mock-faults.js';
export type { MockAcceptedNotification, MockBinaryConnectionEnd, MockCounters, MockDroppedSession, MockRejection } from './mock-records.js';
export { testCredentials, writeTestCredentials } from './test-credentials.js';
export type { MockApnsCredentials } from './test-credentials.js';

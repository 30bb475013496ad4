// nest-apns/testing: the mock APNs server and its credentials, for your own tests.
// Filled in by the mock server issue.
export {};

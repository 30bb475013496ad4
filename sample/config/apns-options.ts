import type { ApnsModuleOptions } from 'nest-apns';
import { testCredentials } from 'nest-apns/testing';
import type { EmbeddedApns } from './embedded-apns.js';
import type { SampleConfig } from './sample-config.js';

/** Bundle id the embedded mock is sent to when APNS_TOPIC is not set. */
export const DEMO_TOPIC = 'com.example.sample';

/**
 * `ApnsModule` options from the sample's settings: Apple's hosts with the
 * configured credentials, or the embedded mock with its test credentials.
 * Credentials are passed as file paths; the module reads them at start-up.
 */
export function apnsOptionsFor(config: SampleConfig, embedded: EmbeddedApns): ApnsModuleOptions {
  const common: ApnsModuleOptions = {
    transport: config.transport as ApnsModuleOptions['transport'],
    environment: config.environment as ApnsModuleOptions['environment'],
    topic: config.topic,
    gateway: config.gateway,
    feedbackGateway: config.feedbackGateway,
    drainTimeoutMs: config.drainTimeoutMs,
    feedback: config.feedbackCron === undefined ? undefined : config.feedbackCron === false ? false : { cron: config.feedbackCron },
  };
  const mock = embedded.server;
  if (mock !== undefined) {
    const binary = config.transport === 'binary';
    return {
      ...common,
      topic: config.topic ?? DEMO_TOPIC,
      gateway: config.gateway ?? (binary ? mock.gateway : mock.http2Gateway),
      feedbackGateway: config.feedbackGateway ?? mock.feedbackGateway,
      // The mock's server certificate is signed by the test CA, which nobody else trusts.
      ca: testCredentials.ca,
      ...(binary
        ? { cert: testCredentials.clientCert, key: testCredentials.clientKey }
        : { token: { key: testCredentials.signingKey, keyId: testCredentials.keyId, teamId: testCredentials.teamId } }),
    };
  }
  const c = config.credentials;
  switch (c.kind) {
    case 'token':
      return { ...common, token: { key: c.keyPath, keyId: c.keyId, teamId: c.teamId } };
    case 'certificate':
      return { ...common, cert: c.certPath, key: c.keyPath, passphrase: c.passphrase };
    case 'pfx':
      return { ...common, pfx: c.pfxPath, passphrase: c.passphrase };
    case 'none':
      return common;
  }
}

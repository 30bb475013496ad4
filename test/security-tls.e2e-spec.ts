import { ApnsClient } from '../src/client/apns-client.js';
import type { ApnsClientOptions } from '../src/client/apns-client-options.js';
import type { ApnsDeliveryError } from '../src/errors/apns-delivery.error.js';
import { MockApnsServer, testCredentials as creds } from '../src/testing/index.js';
import { createSeededRandom } from '../src/testing/seeded-random.js';
import { RecordingLogger, TOPIC, tokenFor } from './apns-e2e.fixtures.js';

// Server certificate verification is on by default, for both transports: a
// server whose certificate no trusted CA signed is refused with a clear reason,
// unless its CA is given in `ca`; `rejectUnauthorized: false` gets through and
// says so in the log. A client certificate the server does not accept (expired,
// from another CA, for the other environment) fails the sends with a clear
// reason, and the process goes on.

type Transport = 'binary' | 'http2';

function clientOptions(mock: MockApnsServer, transport: Transport, extra: Partial<ApnsClientOptions>): ApnsClientOptions {
  const base: ApnsClientOptions = {
    topic: TOPIC,
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
    reconnect: { baseDelayMs: 5, maxDelayMs: 20, giveUpAfterMs: 3_000 },
    random: createSeededRandom(11),
    logger: new RecordingLogger(),
  };
  return transport === 'binary'
    ? { ...base, transport: 'binary', gateway: mock.gateway, feedbackGateway: mock.feedbackGateway, cert: creds.clientCert, key: creds.clientKey, ...extra }
    : { ...base, gateway: mock.http2Gateway, token: { key: creds.signingKey, keyId: creds.keyId, teamId: creds.teamId }, ...extra };
}

/** Sends `count` notifications, closes the client, and returns the report, what errors$ emitted and the log. */
async function sendThrough(options: ApnsClientOptions, count: number, prefix: string) {
  const client = new ApnsClient(options);
  const errors: ApnsDeliveryError[] = [];
  client.errors$.subscribe((e) => errors.push(e));
  const tokens = Array.from({ length: count }, (_, i) => tokenFor(i, prefix));
  const report = await client.send({ alert: 'tls' }, tokens);
  await client.close();
  return { report, errors, tokens, lines: (options.logger as RecordingLogger).lines };
}

describe.each<Transport>(['binary', 'http2'])('server certificate verification over %s', (transport) => {
  let mock: MockApnsServer;

  beforeAll(async () => {
    mock = await MockApnsServer.start({ untrustedCertificate: true });
  });
  afterEach(() => mock.clearRecords());
  afterAll(async () => {
    await mock.stop();
  });

  it('refuses a server whose certificate no trusted CA signed, by default (system roots), with a clear reason', async () => {
    const { report, errors } = await sendThrough(clientOptions(mock, transport, {}), 3, 'a1');
    expect(report).toMatchObject({ sent: 3, accepted: 0, failed: 3 });
    expect(errors).toHaveLength(3);
    for (const e of errors) {
      expect(e).toMatchObject({ reason: 'ConnectionError', retryable: false });
      expect(e.message).toMatch(/server certificate is not trusted/);
    }
    expect(mock.counters.accepted).toBe(0);
  });

  it('refuses it when `ca` names another CA', async () => {
    const { report, errors } = await sendThrough(clientOptions(mock, transport, { ca: creds.ca }), 2, 'a2');
    expect(report).toMatchObject({ accepted: 0, failed: 2 });
    expect(errors.every((e) => e.reason === 'ConnectionError' && /server certificate is not trusted/.test(e.message))).toBe(true);
    expect(mock.counters.accepted).toBe(0);
  });

  it('accepts it when `ca` is its CA', async () => {
    const { report, errors, lines } = await sendThrough(clientOptions(mock, transport, { ca: creds.untrustedCa }), 5, 'a3');
    expect(report).toMatchObject({ accepted: 5, failed: 0 });
    expect(errors).toEqual([]);
    await mock.waitForAccepted(5);
    expect(lines.filter((l) => l.startsWith('warn'))).toEqual([]);
  });

  it('accepts it with rejectUnauthorized: false, and warns that the certificate is not verified', async () => {
    const { report, lines } = await sendThrough(clientOptions(mock, transport, { rejectUnauthorized: false }), 5, 'a4');
    expect(report).toMatchObject({ accepted: 5, failed: 0 });
    await mock.waitForAccepted(5);
    expect(lines).toContainEqual(expect.stringMatching(/^warn rejectUnauthorized is false: the APNs server certificate is NOT verified/));
  });
});

describe('client certificates the server does not accept', () => {
  let mock: MockApnsServer;

  beforeAll(async () => {
    mock = await MockApnsServer.start();
  });
  afterEach(() => {
    mock.resetFaults();
    mock.clearRecords();
  });
  afterAll(async () => {
    await mock.stop();
  });

  it('binary: an expired client certificate fails every send with a clear reason, and the process goes on', async () => {
    const options = clientOptions(mock, 'binary', { ca: creds.ca, cert: creds.expiredClientCert, key: creds.expiredClientKey });
    const { report, errors } = await sendThrough(options, 4, 'b1');
    expect(report).toMatchObject({ sent: 4, accepted: 0, failed: 4 });
    for (const e of errors) {
      expect(e).toMatchObject({ reason: 'ConnectionError', source: 'binary', retryable: false });
      expect(e.message).toMatch(/client certificate/);
    }
    expect(mock.counters.tlsErrors).toBeGreaterThan(0);
    expect(mock.counters.accepted).toBe(0);
  });

  it('binary: a certificate the gateway does not accept (another CA, as a certificate for the other environment is) fails every send with a clear reason', async () => {
    const options = clientOptions(mock, 'binary', { ca: creds.ca, cert: creds.untrustedServerCert, key: creds.untrustedServerKey });
    const { report, errors } = await sendThrough(options, 3, 'b2');
    expect(report).toMatchObject({ accepted: 0, failed: 3 });
    for (const e of errors) {
      expect(e).toMatchObject({ reason: 'ConnectionError', retryable: false });
      expect(e.message).toMatch(/client certificate/);
    }
    expect(mock.counters.accepted).toBe(0);
  });

  it('binary: the feedback service refuses an expired certificate too, and pollFeedback rejects instead of crashing', async () => {
    const client = new ApnsClient(clientOptions(mock, 'binary', { ca: creds.ca, cert: creds.expiredClientCert, key: creds.expiredClientKey }));
    await expect(client.pollFeedback()).rejects.toThrow(/certificate|closed/i);
    await client.close();
  });

  it('HTTP/2: an expired client certificate is answered 403 BadCertificate for every send, reported with its advice', async () => {
    const options = clientOptions(mock, 'http2', { token: undefined, ca: creds.ca, cert: creds.expiredClientCert, key: creds.expiredClientKey });
    const { report, errors } = await sendThrough(options, 3, 'b3');
    expect(report).toMatchObject({ accepted: 0, failed: 3 });
    for (const e of errors) {
      expect(e).toMatchObject({ reason: 'BadCertificate', status: 403, source: 'http2', retryable: false });
      expect(e.message).toMatch(/renew or replace it/);
    }
  });

  it('HTTP/2: a certificate for the other environment (Apple answers 403 BadCertificateEnvironment) fails with that reason and its advice', async () => {
    mock.faults.respondWith(403, 'BadCertificateEnvironment', { fraction: 1 });
    const options = clientOptions(mock, 'http2', { token: undefined, ca: creds.ca, cert: creds.clientCert, key: creds.clientKey });
    const { report, errors } = await sendThrough(options, 3, 'b4');
    expect(report).toMatchObject({ accepted: 0, failed: 3 });
    for (const e of errors) {
      expect(e).toMatchObject({ reason: 'BadCertificateEnvironment', status: 403, retryable: false, attempts: 1 });
      expect(e.message).toMatch(/other environment/);
    }
  });
});

import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ApnsClient } from '../src/client/apns-client.js';
import type { ApnsClientOptions } from '../src/client/apns-client-options.js';
import type { ApnsDeliveryError } from '../src/errors/apns-delivery.error.js';
import { ApnsOptionsError } from '../src/errors/apns-options.error.js';
import { MockApnsServer, testCredentials as creds } from '../src/testing/index.js';
import { createSeededRandom } from '../src/testing/seeded-random.js';
import { RecordingLogger, TOPIC, tokenFor } from './apns-e2e.fixtures.js';

// Server certificate verification is on by default, for both transports: a
// server whose certificate no trusted CA signed is refused with a clear reason,
// unless its CA is given in `ca`; `rejectUnauthorized: false` gets through and
// says so in the log. A client certificate the server does not accept (expired,
// from another CA, marked for the other environment) fails the sends with a
// clear reason, and the process goes on: no uncaught exception, no unhandled
// rejection (checked in a process of its own, where jest does not intercept them).

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

/** Every token failed once on errors$, each error matching `shape` and `message`. */
function expectEachFailed(errors: ApnsDeliveryError[], tokens: string[], shape: Partial<ApnsDeliveryError>, message: RegExp): void {
  expect(errors.map((e) => e.token).sort()).toEqual([...tokens].sort());
  for (const e of errors) {
    expect(e).toMatchObject(shape);
    expect(e.message).toMatch(message);
  }
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
    const { report, errors, tokens } = await sendThrough(clientOptions(mock, transport, {}), 3, 'a1');
    expect(report).toMatchObject({ sent: 3, accepted: 0, failed: 3 });
    expectEachFailed(errors, tokens, { reason: 'ConnectionError', retryable: false }, /server certificate is not trusted/);
    expect(mock.counters.accepted).toBe(0);
  });

  it('refuses it when `ca` names another CA', async () => {
    const { report, errors, tokens } = await sendThrough(clientOptions(mock, transport, { ca: creds.ca }), 2, 'a2');
    expect(report).toMatchObject({ sent: 2, accepted: 0, failed: 2 });
    expectEachFailed(errors, tokens, { reason: 'ConnectionError', retryable: false }, /server certificate is not trusted/);
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
    const { report, errors, tokens } = await sendThrough(options, 4, 'b1');
    expect(report).toMatchObject({ sent: 4, accepted: 0, failed: 4 });
    expectEachFailed(errors, tokens, { reason: 'ConnectionError', source: 'binary', retryable: false }, /client certificate/);
    expect(mock.counters.tlsErrors).toBeGreaterThan(0);
    expect(mock.counters.accepted).toBe(0);
  });

  it('binary: a certificate the gateway does not accept (signed by another CA) fails every send with a clear reason', async () => {
    const options = clientOptions(mock, 'binary', { ca: creds.ca, cert: creds.untrustedServerCert, key: creds.untrustedServerKey });
    const { report, errors, tokens } = await sendThrough(options, 3, 'b2');
    expect(report).toMatchObject({ sent: 3, accepted: 0, failed: 3 });
    expectEachFailed(errors, tokens, { reason: 'ConnectionError', retryable: false }, /client certificate/);
    expect(mock.counters.accepted).toBe(0);
  });

  it('binary: the feedback service refuses an expired certificate too, and pollFeedback rejects instead of crashing', async () => {
    const client = new ApnsClient(clientOptions(mock, 'binary', { ca: creds.ca, cert: creds.expiredClientCert, key: creds.expiredClientKey }));
    await expect(client.pollFeedback()).rejects.toThrow(/certificate|closed/i);
    await client.close();
  });

  it('HTTP/2: an expired client certificate is answered 403 BadCertificate for every send, reported with its advice', async () => {
    const options = clientOptions(mock, 'http2', { token: undefined, ca: creds.ca, cert: creds.expiredClientCert, key: creds.expiredClientKey });
    const { report, errors, tokens } = await sendThrough(options, 3, 'b3');
    expect(report).toMatchObject({ sent: 3, accepted: 0, failed: 3 });
    expectEachFailed(errors, tokens, { reason: 'BadCertificate', status: 403, source: 'http2', retryable: false }, /renew or replace it/);
  });
});

describe("client certificates marked for the other environment (Apple's OIDs 1.2.840.113635.100.6.3.1 and .2)", () => {
  let sandbox: MockApnsServer;
  let production: MockApnsServer;
  // The client is told the environment its certificate is for, so its own
  // start-up check lets it through: what is tested is the server's refusal, as
  // when `gateway` points at a server of the other environment.
  const productionOnly = { environment: 'production' as const, ca: creds.ca, cert: creds.productionClientCert, key: creds.productionClientKey };
  const sandboxOnly = { environment: 'sandbox' as const, ca: creds.ca, cert: creds.sandboxClientCert, key: creds.sandboxClientKey };

  beforeAll(async () => {
    sandbox = await MockApnsServer.start();
    production = await MockApnsServer.start({ environment: 'production' });
  });
  afterEach(() => {
    sandbox.clearRecords();
    production.clearRecords();
  });
  afterAll(async () => {
    await Promise.all([sandbox.stop(), production.stop()]);
  });

  it('HTTP/2: a production-only certificate at a sandbox server is answered 403 BadCertificateEnvironment, with its advice', async () => {
    const { report, errors, tokens } = await sendThrough(clientOptions(sandbox, 'http2', { token: undefined, ...productionOnly }), 3, 'c1');
    expect(report).toMatchObject({ sent: 3, accepted: 0, failed: 3 });
    expectEachFailed(errors, tokens, { reason: 'BadCertificateEnvironment', status: 403, source: 'http2', retryable: false, attempts: 1 }, /other environment/);
    expect(sandbox.counters.wrongEnvironmentCertificates).toBeGreaterThanOrEqual(1);
    expect(sandbox.counters.accepted).toBe(0);
  });

  it('HTTP/2: a sandbox-only certificate at a production server, the same', async () => {
    const { report, errors, tokens } = await sendThrough(clientOptions(production, 'http2', { token: undefined, ...sandboxOnly }), 2, 'c2');
    expect(report).toMatchObject({ sent: 2, accepted: 0, failed: 2 });
    expectEachFailed(errors, tokens, { reason: 'BadCertificateEnvironment', status: 403 }, /other environment/);
  });

  it('binary: the gateway closes the connection of a certificate for the other environment; every send fails with a clear reason', async () => {
    const { report, errors, tokens } = await sendThrough(clientOptions(sandbox, 'binary', productionOnly), 3, 'c3');
    expect(report).toMatchObject({ sent: 3, accepted: 0, failed: 3 });
    expectEachFailed(errors, tokens, { reason: 'ConnectionError', source: 'binary', retryable: false }, /for this environment \(sandbox or production\)/);
    expect(sandbox.counters.wrongEnvironmentCertificates).toBeGreaterThan(0);
    expect(sandbox.counters.binaryConnections).toBe(0);
    const other = await sendThrough(clientOptions(production, 'binary', sandboxOnly), 2, 'c4');
    expect(other.report).toMatchObject({ sent: 2, accepted: 0, failed: 2 });
    expect(production.counters.wrongEnvironmentCertificates).toBeGreaterThan(0);
  });

  it('binary: the feedback service refuses it too, and pollFeedback rejects', async () => {
    sandbox.queueFeedback(tokenFor(1, 'c5'), new Date(1_700_000_000_000));
    const client = new ApnsClient(clientOptions(sandbox, 'binary', productionOnly));
    await expect(client.pollFeedback()).rejects.toThrow(/certificate|closed/i);
    await client.close();
    expect(sandbox.pendingFeedback).toBe(1);
    expect(sandbox.counters.feedbackConnections).toBe(0);
  });

  it("is accepted by a server of its own environment, and one marked for both by either; so is one without Apple's marks", async () => {
    for (const transport of ['http2', 'binary'] as const) {
      const extra = transport === 'http2' ? { token: undefined } : {};
      expect((await sendThrough(clientOptions(production, transport, { ...extra, ...productionOnly }), 2, 'c6')).report).toMatchObject({ accepted: 2, failed: 0 });
      expect((await sendThrough(clientOptions(sandbox, transport, { ...extra, ...sandboxOnly }), 2, 'c7')).report).toMatchObject({ accepted: 2, failed: 0 });
      for (const mock of [sandbox, production]) {
        const universal = { ca: creds.ca, cert: creds.universalClientCert, key: creds.universalClientKey };
        expect((await sendThrough(clientOptions(mock, transport, { ...extra, ...universal }), 2, 'c8')).report).toMatchObject({ accepted: 2, failed: 0 });
        const unmarked = { ca: creds.ca, cert: creds.clientCert, key: creds.clientKey };
        expect((await sendThrough(clientOptions(mock, transport, { ...extra, ...unmarked }), 2, 'c9')).report).toMatchObject({ accepted: 2, failed: 0 });
      }
    }
    await sandbox.waitForAccepted(12);
    await production.waitForAccepted(12);
    expect(sandbox.counters.wrongEnvironmentCertificates + production.counters.wrongEnvironmentCertificates).toBe(0);
  });

  it('fails the client at start-up when its certificate is for the other environment than `environment`, naming cert or pfx and the fix', () => {
    const boot = (options: ApnsClientOptions): ApnsOptionsError => {
      try {
        new ApnsClient(options);
      } catch (error) {
        if (error instanceof ApnsOptionsError) return error;
        throw error;
      }
      throw new Error('expected ApnsOptionsError');
    };
    const cert = boot(clientOptions(sandbox, 'binary', { ...productionOnly, environment: 'sandbox' }));
    expect(cert.problems).toEqual([{ field: 'cert', message: expect.stringMatching(/^is an APNs certificate for production only .* but environment is 'sandbox': set environment: 'production'/) }]);
    const pfx = boot(clientOptions(sandbox, 'http2', { token: undefined, ca: creds.ca, pfx: creds.productionClientPfx, passphrase: creds.clientPfxPassphrase }));
    expect(pfx.problems).toEqual([{ field: 'pfx', message: expect.stringMatching(/^is an APNs certificate for production only .* set environment: 'production', or use the certificate issued for development/) }]);
    expect(sandbox.counters.binaryConnections + sandbox.counters.http2Sessions + sandbox.counters.tlsErrors).toBe(0);
  });
});

const root = process.cwd();

/** Newest modification time under `dir` (TypeScript sources). */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

describe('the process during the bad-certificate scenarios', () => {
  beforeAll(async () => {
    const built = join(root, 'dist', 'testing', 'index.js');
    // `npm test` builds first; a targeted run rebuilds a dist/ older than the sources.
    if (!existsSync(built) || statSync(built).mtimeMs < newestSource(join(root, 'src'))) {
      await promisify(execFile)(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root });
    }
  }, 120_000);

  it('sees no uncaught exception and no unhandled rejection, and every scenario fails as it should', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(root, 'test', 'support', 'bad-certificate-scenarios.mjs')], { cwd: root, timeout: 60_000 });
    const { results, events } = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      results: Array<{ name: string; accepted?: number; failed?: number; reasons?: string[]; outcome?: string; fields?: string[] }>;
      events: Array<{ kind: string; message: string }>;
    };
    expect(events).toEqual([]);
    const byName = new Map(results.map((r) => [r.name, r]));
    const failedWith = (reason: string) => ({ accepted: 0, failed: 2, reasons: [reason, reason] });
    expect(Object.fromEntries(byName)).toEqual({
      'binary: untrusted server, default trust': { name: 'binary: untrusted server, default trust', ...failedWith('ConnectionError') },
      'binary: untrusted server, ca names another CA': { name: 'binary: untrusted server, ca names another CA', ...failedWith('ConnectionError') },
      'http2: untrusted server, default trust': { name: 'http2: untrusted server, default trust', ...failedWith('ConnectionError') },
      'http2: untrusted server, ca names another CA': { name: 'http2: untrusted server, ca names another CA', ...failedWith('ConnectionError') },
      'binary: expired client certificate': { name: 'binary: expired client certificate', ...failedWith('ConnectionError') },
      'binary: client certificate from another CA': { name: 'binary: client certificate from another CA', ...failedWith('ConnectionError') },
      'feedback: expired client certificate': { name: 'feedback: expired client certificate', outcome: 'rejected: ApnsConnectionError' },
      'http2: expired client certificate': { name: 'http2: expired client certificate', ...failedWith('BadCertificate') },
      'http2: production certificate, sandbox server': { name: 'http2: production certificate, sandbox server', ...failedWith('BadCertificateEnvironment') },
      'binary: production certificate, sandbox server': { name: 'binary: production certificate, sandbox server', ...failedWith('ConnectionError') },
      'feedback: production certificate, sandbox server': { name: 'feedback: production certificate, sandbox server', outcome: 'rejected: ApnsConnectionError' },
      'http2: sandbox certificate, production server': { name: 'http2: sandbox certificate, production server', ...failedWith('BadCertificateEnvironment') },
      'binary: sandbox certificate, production server': { name: 'binary: sandbox certificate, production server', ...failedWith('ConnectionError') },
      'boot: production certificate, environment sandbox': { name: 'boot: production certificate, environment sandbox', outcome: 'ApnsOptionsError', fields: ['cert'] },
    });
  }, 90_000);
});

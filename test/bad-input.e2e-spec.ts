import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import {
  ApnsClient,
  ApnsModule,
  ApnsOptionsError,
  ApnsValidationError,
  type ApnsClientOptions,
  type ApnsDeliveryError,
  type ApnsNotification,
  type ApnsSendReport,
} from 'nest-apns';
import { MockApnsServer, testCredentials as creds } from 'nest-apns/testing';

// Every row of the README's "Bad input" table, checked against the mock APNs
// server: each test is named by the row's first cell, and the last test checks
// that the README lists exactly these rows.

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const token = (n: number): string => n.toString(16).padStart(2, '0').repeat(32);
const TOPIC = 'com.example.app';

let mock: MockApnsServer;
let http2: ApnsClient;
let binary: ApnsClient;
const errors: ApnsDeliveryError[] = [];

function http2Options(extra: ApnsClientOptions = {}): ApnsClientOptions {
  return {
    gateway: mock.http2Gateway,
    ca: creds.ca,
    token: { key: creds.signingKey, keyId: creds.keyId, teamId: creds.teamId },
    topic: TOPIC,
    logger: quiet,
    ...extra,
  };
}

/** What `send` or the constructor threw: fails the test when nothing was thrown. */
async function thrown(action: () => unknown): Promise<any> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, none was thrown');
}

async function expectRefused(client: ApnsClient, notification: ApnsNotification, field: string, problem: RegExp): Promise<void> {
  const before = mock.counters.accepted + mock.counters.rejected;
  const error = await thrown(() => client.send(notification, token(1)));
  expect(error).toBeInstanceOf(ApnsValidationError);
  expect(error.field).toBe(field);
  expect(error.message).toMatch(problem);
  // Refused before anything was written.
  expect(mock.counters.accepted + mock.counters.rejected).toBe(before);
}

/** Sends to good tokens around one bad one: only the bad one fails, locally, once. */
async function expectOneMalformed(client: ApnsClient, bad: string, problem: RegExp): Promise<void> {
  errors.length = 0;
  mock.clearRecords();
  const good = client === binary ? [] : [token(10), token(11)];
  const report: ApnsSendReport = await client.send({ alert: 'Hi' }, [...good.slice(0, 1), bad, ...good.slice(1)]);
  expect(report.failed).toBe(1);
  expect(report.accepted).toBe(good.length);
  const failed = report.results.find((r) => r.status === 'failed');
  expect(failed?.token).toBe(bad);
  if (failed?.status !== 'failed') throw new Error('no failure');
  expect(failed.error).toMatchObject({ reason: 'MalformedDeviceToken', source: 'local', attempts: 0, retryable: false });
  expect(failed.error.message).toMatch(problem);
  expect(errors.map((e) => e.token)).toEqual([bad]);
  await mock.waitForAccepted(good.length);
  expect(mock.accepted.map((a) => a.token).sort()).toEqual(good);
}

function optionProblems(options: unknown): Array<{ field: string; message: string }> {
  try {
    new ApnsClient(options as ApnsClientOptions);
  } catch (error) {
    if (error instanceof ApnsOptionsError) return [...error.problems];
    throw error;
  }
  throw new Error('expected ApnsOptionsError');
}

const CASES: Record<string, () => Promise<void>> = {
  'Device token with an odd number of hex digits': () => expectOneMalformed(http2, 'abc', /odd number of hex digits/),
  'Device token with a character that is not hex': () => expectOneMalformed(http2, `zz${token(2).slice(2)}`, /not a hex digit at position 0/),
  'Empty device token': () => expectOneMalformed(http2, '', /the token is empty/),
  'Device token too long (over 256 bytes on HTTP/2, over 100 on binary)': async () => {
    await expectOneMalformed(http2, 'ab'.repeat(257), /257 bytes long, the limit is 256/);
    await expectOneMalformed(binary, 'ab'.repeat(101), /101 bytes long, the limit is 100/);
  },
  'One bad token in a batch': async () => {
    errors.length = 0;
    mock.clearRecords();
    const tokens = Array.from({ length: 100 }, (_, i) => token(i + 16));
    tokens[7] = 'not a token';
    tokens[50] = '';
    const report = await http2.send({ alert: 'Batch' }, tokens);
    expect(report).toMatchObject({ sent: 100, accepted: 98, failed: 2 });
    expect(errors.map((e) => e.reason)).toEqual(['MalformedDeviceToken', 'MalformedDeviceToken']);
    await mock.waitForAccepted(98);
  },
  'Payload over 4096 bytes (HTTP/2, every push type but VoIP)': async () => {
    await expectRefused(http2, { alert: 'x'.repeat(4100) }, 'payload', /is 41\d\d bytes, the limit is 4096 bytes.*truncateAlert/);
    // With truncateAlert the alert body is shortened to fit instead.
    const report = await http2.send({ alert: 'x'.repeat(4100), truncateAlert: true }, token(3));
    expect(report.accepted).toBe(1);
  },
  'VoIP payload over 5120 bytes': async () => {
    await expectRefused(http2, { pushType: 'voip', data: { blob: 'x'.repeat(5200) } }, 'payload', /the limit is 5120 bytes/);
    const report = await http2.send({ pushType: 'voip', data: { blob: 'x'.repeat(5000) } }, token(4));
    expect(report.accepted).toBe(1);
    expect(mock.accepted.at(-1)?.headers?.['apns-topic']).toBe(`${TOPIC}.voip`);
  },
  'Payload over 2048 bytes on the binary transport': () =>
    expectRefused(binary, { alert: 'x'.repeat(2100) }, 'payload', /the limit is 2048 bytes/),
  'Raw `payload` that is not JSON, or JSON that is not an object': async () => {
    await expectRefused(http2, { payload: '{"aps":' }, 'payload', /not valid JSON/);
    await expectRefused(http2, { payload: '[1,2,3]' }, 'payload', /not an object/);
  },
  'Priority other than 10, 5 or 1': () => expectRefused(http2, { alert: 'Hi', priority: 7 as 10 }, 'priority', /7 is not a priority/),
  'Priority 10 or 1 on a `background` push': () =>
    expectRefused(http2, { contentAvailable: true, priority: 10 }, 'priority', /background pushes must have priority 5/),
  'Priority 1 on the binary transport': () => expectRefused(binary, { alert: 'Hi', priority: 1 }, 'priority', /10 and 5 only/),
  '`collapseId` over 64 bytes': async () => {
    // 22 three-byte characters: 22 characters, 66 bytes.
    await expectRefused(http2, { alert: 'Hi', collapseId: '€'.repeat(22) }, 'collapseId', /66 bytes, the limit is 64 bytes/);
    expect((await http2.send({ alert: 'Hi', collapseId: 'c'.repeat(64) }, token(5))).accepted).toBe(1);
  },
  '`expiration` in the past': async () => {
    await expectRefused(http2, { alert: 'Hi', expiration: new Date(Date.now() - 60_000) }, 'expiration', /is in the past.*or 0/);
    expect((await http2.send({ alert: 'Hi', expiration: 0 }, token(6))).accepted).toBe(1);
  },
  'No topic on HTTP/2 (none on the notification, no `topic` option)': async () => {
    const noTopic = new ApnsClient(http2Options({ topic: undefined }));
    try {
      await expectRefused(noTopic, { alert: 'Hi' }, 'topic', /no topic was given.*bundle id/);
    } finally {
      await noTopic.close();
    }
  },
  'One invalid notification in `sendMany`': async () => {
    errors.length = 0;
    const report = await http2.sendMany([
      { token: token(7), notification: { alert: 'ok' } },
      { token: token(8), notification: { alert: 'Hi', priority: 3 as 10 } },
      { token: token(9), notification: { alert: 'also ok' } },
    ]);
    expect(report).toMatchObject({ sent: 3, accepted: 2, failed: 1 });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ token: token(8), reason: 'InvalidNotification' });
    expect(errors[0]!.message).toMatch(/Invalid priority: 3 is not a priority/);
  },
  'Unknown `transport` or `environment`': async () => {
    expect(optionProblems({ ...http2Options(), transport: 'carrier-pigeon', environment: 'staging' })).toEqual([
      { field: 'transport', message: 'must be "http2" or "binary", got "carrier-pigeon".' },
      { field: 'environment', message: 'must be "sandbox" or "production", got "staging".' },
    ]);
  },
  'Token auth with the binary transport': async () => {
    const problems = optionProblems({ transport: 'binary', token: http2Options().token, logger: quiet });
    expect(problems).toEqual([{ field: 'token', message: expect.stringMatching(/client certificate only: set cert \+ key \(or pfx\), or use transport 'http2'/) }]);
  },
  'Both `token` and a certificate on HTTP/2, without `auth`': async () => {
    const problems = optionProblems({ ...http2Options(), cert: creds.clientCert, key: creds.clientKey });
    expect(problems).toEqual([{ field: 'auth', message: expect.stringMatching(/choose one with auth: 'token' or auth: 'certificate'/) }]);
  },
  'Key or certificate file that does not exist': async () => {
    const problems = optionProblems({ ...http2Options(), token: { key: '/nonexistent/AuthKey.p8', keyId: creds.keyId, teamId: creds.teamId } });
    expect(problems).toEqual([{ field: 'token.key', message: 'file /nonexistent/AuthKey.p8 does not exist: pass an existing file path or the PEM contents.' }]);
  },
  'Wrong passphrase for an encrypted key': async () => {
    const problems = optionProblems({ transport: 'binary', cert: creds.clientCert, key: creds.clientKeyEncrypted, passphrase: 'wrong', logger: quiet });
    expect(problems).toEqual([{ field: 'passphrase', message: expect.stringMatching(/does not unlock the key: check the passphrase/) }]);
  },
  'Key id or team id that is not 10 characters': async () => {
    const problems = optionProblems({ ...http2Options(), token: { key: creds.signingKey, keyId: 'short', teamId: 'also-bad' } });
    expect(problems.map((p) => p.field)).toEqual(['token.keyId', 'token.teamId']);
  },
  '`gateway` that is not `host:port`': async () => {
    expect(optionProblems({ ...http2Options(), gateway: 'localhost' })).toEqual([
      { field: 'gateway', message: `must be 'host:port' (e.g. '127.0.0.1:2195'), got "localhost".` },
    ]);
  },
  'Invalid `feedback.cron` expression': async () => {
    const boot = Test.createTestingModule({ imports: [ApnsModule.forRoot({ ...http2Options(), feedback: { cron: 'every day' } })] }).compile();
    const error = await thrown(() => boot);
    expect(error).toBeInstanceOf(ApnsOptionsError);
    expect(error.problems).toEqual([{ field: 'feedback.cron', message: expect.stringMatching(/^"every day" is not a valid cron expression .*5 fields, or 6 with seconds first/) }]);
  },
  'Several wrong options at once': async () => {
    const error = await thrown(() => new ApnsClient({ transport: 'http3' as 'http2', maxConnections: 0, retry: { attempts: -1 }, logger: quiet }));
    expect(error).toBeInstanceOf(ApnsOptionsError);
    expect(error.problems.map((p: { field: string }) => p.field)).toEqual(expect.arrayContaining(['transport', 'maxConnections', 'retry.attempts', 'token']));
    expect(error.message).toMatch(/^Invalid APNs options \(\d+ problems\):\n {2}- transport: /);
  },
};

/** First cells of the README's bad-input table. */
function readmeRows(): string[] {
  const readme = readFileSync(join(process.cwd(), 'README.md'), 'utf8');
  const start = readme.indexOf('<!-- bad-input:start -->');
  const end = readme.indexOf('<!-- bad-input:end -->');
  if (start < 0 || end < start) throw new Error('README.md has no <!-- bad-input:start --> ... <!-- bad-input:end --> section');
  return readme
    .slice(start, end)
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| input ') && !line.startsWith('|---'))
    .map((line) => line.slice(2, line.indexOf(' |', 2)));
}

describe('bad input (the README table, row by row)', () => {
  beforeAll(async () => {
    mock = await MockApnsServer.start();
    http2 = new ApnsClient(http2Options());
    binary = new ApnsClient({ transport: 'binary', gateway: mock.gateway, ca: creds.ca, cert: creds.clientCert, key: creds.clientKey, logger: quiet });
    http2.errors$.subscribe((e) => errors.push(e));
    binary.errors$.subscribe((e) => errors.push(e));
  });
  afterAll(async () => {
    await http2?.close();
    await binary?.close();
    await mock?.stop();
  });

  for (const [row, check] of Object.entries(CASES)) it(row, check);

  it('README lists exactly the rows tested here', () => {
    expect(readmeRows()).toEqual(Object.keys(CASES));
  });
});

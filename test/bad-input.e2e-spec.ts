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
import { MockApnsServer, testCredentials as creds, type MockAcceptedNotification } from 'nest-apns/testing';

// Every row of the README's "Bad input" table, checked against the mock APNs
// server: each test is named by the row's first cell, and the last test checks
// that the README lists exactly these rows.

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const token = (n: number): string => n.toString(16).padStart(2, '0').repeat(32);
const TOPIC = 'com.example.app';
const LIMITS = { http2: 4096, voip: 5120, binary: 2048 } as const;

let mock: MockApnsServer;
let http2: ApnsClient;
let binary: ApnsClient;
const errors: ApnsDeliveryError[] = [];
/** Which protocol each client speaks, to know what the mock counts for it. */
const protocolOf = new Map<ApnsClient, 'http2' | 'binary'>();
let sentinels = 0;

// One connection (binary) or session (HTTP/2) per client: everything a client
// writes then reaches the mock in order, so a sentinel the mock records proves
// nothing was written before it.
function http2Options(extra: ApnsClientOptions = {}): ApnsClientOptions {
  return {
    gateway: mock.http2Gateway,
    ca: creds.ca,
    token: { key: creds.signingKey, keyId: creds.keyId, teamId: creds.teamId },
    topic: TOPIC,
    logger: quiet,
    maxConnections: 1,
    ...extra,
  };
}

function binaryOptions(extra: ApnsClientOptions = {}): ApnsClientOptions {
  return { transport: 'binary', gateway: mock.gateway, ca: creds.ca, cert: creds.clientCert, key: creds.clientKey, logger: quiet, maxConnections: 1, ...extra };
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

/**
 * Sends a sentinel after whatever was refused and waits until the mock has
 * it: had anything been written before it on the client's one connection, the
 * mock would have seen that first (binary writes are not answered, so a
 * counter read right after a refusal would miss a write still on its way).
 */
async function expectOnlySentinelAfter(client: ApnsClient, before: { accepted: number; rejected: number; streams: number }): Promise<void> {
  const alert = `sentinel ${++sentinels}`;
  // The sentinel names its topic: a client without a default one sends it too.
  expect((await client.send({ alert, topic: TOPIC }, token(2))).accepted).toBe(1);
  await mock.waitForAccepted(before.accepted + 1);
  expect(mock.counters.accepted).toBe(before.accepted + 1);
  expect(mock.counters.rejected).toBe(before.rejected);
  expect(mock.counters.streams - before.streams).toBe(protocolOf.get(client) === 'binary' ? 0 : 1);
  expect(mock.accepted.at(-1)?.json).toEqual({ aps: { alert } });
}

function countersNow(): { accepted: number; rejected: number; streams: number } {
  return { accepted: mock.counters.accepted, rejected: mock.counters.rejected, streams: mock.counters.streams };
}

async function expectRefused(client: ApnsClient, notification: ApnsNotification, field: string, problem: RegExp | string): Promise<void> {
  const before = countersNow();
  const error = await thrown(() => client.send(notification, token(1)));
  expect(error).toBeInstanceOf(ApnsValidationError);
  expect(error.field).toBe(field);
  if (typeof problem === 'string') expect(error.message).toBe(problem);
  else expect(error.message).toMatch(problem);
  // Refused before anything was written.
  await expectOnlySentinelAfter(client, before);
}

/** Sends to good tokens around one bad one: only the bad one fails, locally, once. */
async function expectOneMalformed(client: ApnsClient, bad: string, problem: RegExp): Promise<void> {
  errors.length = 0;
  mock.clearRecords();
  const good = [token(10), token(11)];
  const report: ApnsSendReport = await client.send({ alert: 'Hi' }, [good[0]!, bad, good[1]!]);
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
  await expectOnlySentinelAfter(client, { accepted: good.length, rejected: 0, streams: protocolOf.get(client) === 'binary' ? 0 : good.length });
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

type PushType = NonNullable<ApnsNotification['pushType']>;

/**
 * A notification of `pushType` padded with custom data to exactly `bytes`
 * bytes of payload. The size is worked out from the JSON Apple's spelling
 * gives (byte counts do not depend on key order), not from the library.
 */
function notificationOfSize(pushType: PushType, bytes: number): ApnsNotification {
  const pad = (n: number) => 'x'.repeat(n);
  if (pushType === 'mdm') {
    // An MDM push carries the PushMagic string and no aps dictionary.
    const base = Buffer.byteLength(JSON.stringify({ mdm: '' }));
    return { pushType, payload: { mdm: pad(bytes - base) } };
  }
  const [fields, aps]: [ApnsNotification, Record<string, unknown>] =
    pushType === 'background'
      ? [{ contentAvailable: true }, { 'content-available': 1 }]
      : pushType === 'liveactivity'
        ? [{ event: 'update', timestamp: 1_700_000_000, contentState: { score: 1 } }, { event: 'update', timestamp: 1_700_000_000, 'content-state': { score: 1 } }]
        : [{ alert: 'Hi' }, { alert: 'Hi' }];
  const base = Buffer.byteLength(JSON.stringify({ aps, pad: '' }));
  return { ...fields, pushType, data: { pad: pad(bytes - base) } };
}

const HTTP2_PUSH_TYPES: PushType[] = ['alert', 'background', 'complication', 'controls', 'fileprovider', 'liveactivity', 'location', 'mdm', 'pushtotalk', 'widgets'];

/** At the limit the mock gets exactly `limit` bytes; one more is refused before anything is written. */
async function expectLimit(client: ApnsClient, pushType: PushType, limit: number): Promise<MockAcceptedNotification> {
  const atLimit = notificationOfSize(pushType, limit);
  expect((await client.send(atLimit, token(3))).accepted).toBe(1);
  await mock.waitFor(() => mock.accepted.at(-1)?.payload.length === limit);
  const received = mock.accepted.at(-1)!;
  await expectRefused(
    client,
    notificationOfSize(pushType, limit + 1),
    'payload',
    `Invalid payload: the payload is ${limit + 1} bytes, the limit is ${limit} bytes. Shorten the alert or the custom data, or set truncateAlert to shorten the alert body.`,
  );
  return received;
}

/**
 * truncateAlert: the payload the mock got fits the limit with less than one
 * code point to spare, is valid UTF-8, and its alert body is the original's
 * beginning, cut between code points.
 */
async function expectTruncated(client: ApnsClient, limit: number, alert: (body: string) => ApnsNotification['alert']): Promise<void> {
  // Two-, four- and one-byte characters, so the cut lands inside a sequence for some limits.
  const body = 'é😀a'.repeat(Math.ceil(limit / 7) + 10);
  expect((await client.send({ alert: alert(body), data: { id: 7 }, truncateAlert: true }, token(4))).accepted).toBe(1);
  await mock.waitFor(() => (mock.accepted.at(-1)?.json as { id?: number } | undefined)?.id === 7);
  const received = mock.accepted.at(-1)!;
  expect(received.payload.length).toBeLessThanOrEqual(limit);
  expect(received.payload.length).toBeGreaterThan(limit - 4);
  const text = new TextDecoder('utf-8', { fatal: true }).decode(received.payload);
  const sent = JSON.parse(text).aps.alert;
  const cut: string = typeof sent === 'string' ? sent : sent.body;
  expect(cut.length).toBeGreaterThan(0);
  expect(body.startsWith(cut)).toBe(true);
  // No lone surrogate: an emoji is kept whole or left out.
  expect(cut).not.toMatch(/[\uD800-\uDFFF]/u);
}

/** The description form iOS 12 and earlier printed: `<85ab4a0c f2c8a2a5 …>`. */
const described = (hex: string): string => `<${hex.match(/.{8}/g)!.join(' ')}>`;

async function expectNormalized(client: ApnsClient): Promise<void> {
  mock.clearRecords();
  const tokens = [token(0xa1), token(0xb2), token(0xc3)];
  const forms = [tokens[0]!.toUpperCase(), described(tokens[1]!), `  ${described(tokens[2]!).toUpperCase()}  `];
  const report = await client.send({ alert: 'normalized' }, forms);
  expect(report).toMatchObject({ sent: 3, accepted: 3, failed: 0 });
  await mock.waitForAccepted(3);
  expect(mock.accepted.map((a) => a.token).sort()).toEqual(tokens);
  expect(mock.counters.rejected).toBe(0);
}

const CASES: Record<string, () => Promise<void>> = {
  'Device token with an odd number of hex digits': async () => {
    await expectOneMalformed(http2, 'abc', /odd number of hex digits/);
    await expectOneMalformed(binary, 'abc', /odd number of hex digits/);
  },
  'Device token with a character that is not hex': async () => {
    await expectOneMalformed(http2, `zz${token(2).slice(2)}`, /not a hex digit at position 0/);
    await expectOneMalformed(binary, `zz${token(2).slice(2)}`, /not a hex digit at position 0/);
    await expectNormalized(http2);
    await expectNormalized(binary);
  },
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
    for (const pushType of HTTP2_PUSH_TYPES) await expectLimit(http2, pushType, LIMITS.http2);
    await expectRefused(http2, { alert: 'x'.repeat(4100) }, 'payload', /is 41\d\d bytes, the limit is 4096 bytes.*truncateAlert/);
    // With truncateAlert the alert body is shortened to fit instead.
    await expectTruncated(http2, LIMITS.http2, (body) => body);
    await expectTruncated(http2, LIMITS.http2, (body) => ({ title: 'T', body }));
  },
  'VoIP payload over 5120 bytes': async () => {
    const received = await expectLimit(http2, 'voip', LIMITS.voip);
    expect(received.headers?.['apns-topic']).toBe(`${TOPIC}.voip`);
    await expectRefused(http2, { pushType: 'voip', data: { blob: 'x'.repeat(5200) } }, 'payload', /the limit is 5120 bytes/);
  },
  'Payload over 2048 bytes on the binary transport': async () => {
    for (const pushType of ['alert', 'background', 'voip'] as const) await expectLimit(binary, pushType, LIMITS.binary);
    await expectRefused(binary, { alert: 'x'.repeat(2100) }, 'payload', /the limit is 2048 bytes/);
    await expectTruncated(binary, LIMITS.binary, (body) => ({ title: 'T', body }));
  },
  'Raw `payload` that is not JSON, or JSON that is not an object': async () => {
    await expectRefused(http2, { payload: '{"aps":' }, 'payload', /not valid JSON/);
    await expectRefused(http2, { payload: '[1,2,3]' }, 'payload', /not an object/);
  },
  'Priority other than 10, 5 or 1': () => expectRefused(http2, { alert: 'Hi', priority: 7 as 10 }, 'priority', /7 is not a priority/),
  'Priority 10 or 1 on a `background` push': async () => {
    await expectRefused(http2, { contentAvailable: true, priority: 10 }, 'priority', 'Invalid priority: background pushes must have priority 5, not 10. Leave priority unset or use 5.');
    await expectRefused(http2, { contentAvailable: true, priority: 1 }, 'priority', 'Invalid priority: background pushes must have priority 5, not 1. Leave priority unset or use 5.');
    await expectRefused(http2, { pushType: 'background', contentAvailable: true, priority: 1 }, 'priority', /background pushes must have priority 5, not 1/);
    // Left unset it is 5, and the push goes out.
    expect((await http2.send({ contentAvailable: true }, token(5))).accepted).toBe(1);
    expect(mock.accepted.at(-1)?.headers).toMatchObject({ 'apns-push-type': 'background', 'apns-priority': '5' });
  },
  'Priority 1 on a `liveactivity` push': async () => {
    const update: ApnsNotification = { pushType: 'liveactivity', event: 'update', timestamp: 1_700_000_000, contentState: { score: 2 } };
    await expectRefused(
      http2,
      { ...update, priority: 1 },
      'priority',
      'Invalid priority: liveactivity pushes take priority 5 or 10, not 1. Use 10 for an update the user must see at once (it counts against the hourly Live Activity budget), otherwise 5.',
    );
    expect((await http2.send({ ...update, priority: 5 }, token(5))).accepted).toBe(1);
    expect(mock.accepted.at(-1)?.headers).toMatchObject({ 'apns-push-type': 'liveactivity', 'apns-priority': '5', 'apns-topic': `${TOPIC}.push-type.liveactivity` });
  },
  'Priority 1 on the binary transport': () => expectRefused(binary, { alert: 'Hi', priority: 1 }, 'priority', /10 and 5 only/),
  'Priority 10 on the binary transport for a push with only `content-available`': async () => {
    await expectRefused(
      binary,
      { pushType: 'alert', contentAvailable: true, priority: 10 },
      'priority',
      'Invalid priority: on the binary interface priority 10 needs an alert, a sound or a badge, and this push has only content-available. Leave priority unset or use 5 for a background push.',
    );
    expect((await binary.send({ pushType: 'alert', contentAvailable: true }, token(5))).accepted).toBe(1);
    await mock.waitFor(() => mock.accepted.at(-1)?.priority === 5);
  },
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
    protocolOf.set(noTopic, 'http2');
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
    const missing = (path: string) => `file ${path} does not exist: pass an existing file path or the PEM contents.`;
    const noToken = { ...http2Options(), token: undefined };
    expect(optionProblems({ ...http2Options(), token: { key: '/nonexistent/AuthKey.p8', keyId: creds.keyId, teamId: creds.teamId } })).toEqual([
      { field: 'token.key', message: missing('/nonexistent/AuthKey.p8') },
    ]);
    expect(optionProblems({ ...noToken, cert: '/nonexistent/client.crt', key: creds.clientKey })).toEqual([{ field: 'cert', message: missing('/nonexistent/client.crt') }]);
    expect(optionProblems({ ...noToken, cert: creds.clientCert, key: '/nonexistent/client.key' })).toEqual([{ field: 'key', message: missing('/nonexistent/client.key') }]);
    expect(optionProblems({ ...noToken, pfx: '/nonexistent/client.p12', passphrase: creds.clientPfxPassphrase })).toEqual([
      { field: 'pfx', message: missing('/nonexistent/client.p12') },
    ]);
    expect(optionProblems({ ...http2Options(), ca: '/nonexistent/ca.crt' })).toEqual([{ field: 'ca', message: missing('/nonexistent/ca.crt') }]);
    expect(optionProblems({ ...http2Options(), ca: [creds.ca, '/nonexistent/ca.crt'] })).toEqual([{ field: 'ca[1]', message: missing('/nonexistent/ca.crt') }]);
    // On the binary transport too, all at once.
    expect(optionProblems(binaryOptions({ cert: '/nonexistent/client.crt', key: '/nonexistent/client.key', ca: '/nonexistent/ca.crt' }))).toEqual([
      { field: 'ca', message: missing('/nonexistent/ca.crt') },
      { field: 'cert', message: missing('/nonexistent/client.crt') },
      { field: 'key', message: missing('/nonexistent/client.key') },
    ]);
  },
  'Key text that is neither PEM nor a file (a base64 key cut short)': async () => {
    const body = creds.signingKey.split('\n').filter((l) => l !== '' && !l.startsWith('-----')).join('');
    const cut = body.slice(0, -6);
    const problems = optionProblems({ ...http2Options(), token: { key: cut, keyId: creds.keyId, teamId: creds.teamId } });
    expect(problems).toEqual([{ field: 'token.key', message: expect.stringMatching(/^is neither PEM text nor the path of an existing file: it looks like base64 \(\d+ characters, not shown\)/) }]);
    expect(problems[0]!.message).not.toContain(cut.slice(0, 16));
    // Whole, the same base64 is read as the key: the client starts and sends.
    const fromEnv = new ApnsClient(http2Options({ token: { key: body, keyId: creds.keyId, teamId: creds.teamId } }));
    try {
      expect((await fromEnv.send({ alert: 'base64 key' }, token(6))).accepted).toBe(1);
    } finally {
      await fromEnv.close();
    }
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
    binary = new ApnsClient(binaryOptions());
    protocolOf.set(http2, 'http2').set(binary, 'binary');
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

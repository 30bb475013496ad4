import 'reflect-metadata';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication, LoggerService } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { firstValueFrom, filter } from 'rxjs';
import { ApnsOptionsError, ApnsService } from 'nest-apns';
import { MockApnsServer } from 'nest-apns/testing';
import { AppModule } from '../sample/app.module.js';
import { DEMO_GONE_TOKEN, EmbeddedApns } from '../sample/config/embedded-apns.js';
import { SampleConfig, type SampleEnv } from '../sample/config/sample-config.js';
import { DeviceRegistry } from '../sample/devices/device-registry.service.js';
import { NotificationSender } from '../sample/notifications/notification-sender.service.js';

// The sample app booted in-process on its embedded mock APNs server, driven
// over real HTTP on 127.0.0.1 the way the README's curl lines drive it.

const GOOD = 'a1b2c3d4'.repeat(8);
const OTHER = 'ab'.repeat(32);
const THIRD = 'cd'.repeat(32);

/** Keeps the app's log lines (Nest's own included), so tests read them and the run stays quiet. */
class CapturedLog implements LoggerService {
  readonly lines: string[] = [];
  log(message: unknown, context?: string): void {
    this.lines.push(`LOG [${context}] ${String(message)}`);
  }
  warn(message: unknown, context?: string): void {
    this.lines.push(`WARN [${context}] ${String(message)}`);
  }
  error(message: unknown, context?: string): void {
    this.lines.push(`ERROR [${context}] ${String(message)}`);
  }
  debug(message: unknown, context?: string): void {
    this.lines.push(`DEBUG [${context}] ${String(message)}`);
  }
  verbose(): void {}
  matching(pattern: RegExp): string[] {
    return this.lines.filter((l) => pattern.test(l));
  }
}

interface Sample {
  app: INestApplication;
  base: string;
  mock: MockApnsServer;
  log: CapturedLog;
}

async function bootSample(env: SampleEnv): Promise<Sample> {
  const log = new CapturedLog();
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(SampleConfig)
    .useValue(SampleConfig.fromEnv(env))
    .setLogger(log)
    .compile();
  const app = moduleRef.createNestApplication({ logger: log });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, base: `http://127.0.0.1:${port}`, mock: app.get(EmbeddedApns).server!, log };
}

/** Empties the registry and the mock's records between tests. */
async function reset(s: Sample): Promise<void> {
  for (const d of (await call(s.base, 'GET', '/devices')).body) await call(s.base, 'DELETE', `/devices/${d.token}`);
  s.mock.clearRecords();
}

interface Answer {
  status: number;
  body: any;
}

/** One request on its own connection (no keep-alive), so closing the app leaves no socket behind. */
function call(base: string, method: string, path: string, body?: unknown, raw?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const text = raw ?? (body === undefined ? undefined : JSON.stringify(body));
    const req = httpRequest(`${base}${path}`, {
      method,
      agent: false,
      headers: text === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const data = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: data === '' ? undefined : JSON.parse(data) });
      });
    });
    req.on('error', reject);
    req.end(text);
  });
}

describe('sample app on the embedded mock (HTTP/2)', () => {
  let s: Sample;
  beforeAll(async () => {
    s = await bootSample({ PORT: '0' });
  });
  afterAll(async () => {
    await s?.app.close();
  });
  beforeEach(() => reset(s));

  it('says in one log line that it sends to the embedded mock, and where', () => {
    const lines = s.log.matching(/embedded mock/);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`No Apple credentials set`);
    expect(lines[0]).toContain(s.mock.http2Gateway);
  });

  it('registers devices, sends to all of them and reports each token with its outcome', async () => {
    expect((await call(s.base, 'POST', '/devices', { token: GOOD })).status).toBe(201);
    // Upper case is a token too: the registry keeps lowercase hex.
    const other = await call(s.base, 'POST', '/devices', { token: OTHER.toUpperCase() });
    expect(other.body.token).toBe(OTHER);
    const list = await call(s.base, 'GET', '/devices');
    expect(list.body.map((d: { token: string }) => d.token)).toEqual([GOOD, OTHER]);
    expect(Number.isNaN(Date.parse(list.body[0].registeredAt))).toBe(false);

    const sent = await call(s.base, 'POST', '/notifications', { alert: 'Hello', badge: 1, sound: 'default', data: { orderId: 42 } });
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ transport: 'http2', sent: 2, accepted: 2, failed: 0 });
    expect(sent.body.results.map((r: { token: string; outcome: string }) => [r.token, r.outcome])).toEqual([
      [GOOD, 'accepted'],
      [OTHER, 'accepted'],
    ]);
    expect(sent.body.results[0].apnsId).toMatch(/^[0-9a-f-]{36}$/);
    expect(s.mock.accepted.map((a) => a.token).sort()).toEqual([GOOD, OTHER].sort());
    expect(s.mock.accepted[0].json).toEqual({ aps: { alert: 'Hello', badge: 1, sound: 'default' }, orderId: 42 });
    expect(s.mock.accepted[0].headers?.['apns-topic']).toBe('com.example.sample');
  });

  it('sends only to the tokens given, registered or not', async () => {
    await call(s.base, 'POST', '/devices', { token: GOOD });
    const sent = await call(s.base, 'POST', '/notifications', { alert: { title: 'Hi', body: 'Only you' }, tokens: [THIRD] });
    expect(sent.body).toMatchObject({ sent: 1, accepted: 1, results: [{ token: THIRD, outcome: 'accepted' }] });
    expect(s.mock.accepted.map((a) => a.token)).toEqual([THIRD]);
    expect(s.mock.accepted[0].json).toEqual({ aps: { alert: { title: 'Hi', body: 'Only you' } } });
  });

  it('unregisters the demo token when APNs answers 410 Unregistered, and keeps sending to the others', async () => {
    await call(s.base, 'POST', '/devices', { token: GOOD });
    await call(s.base, 'POST', '/devices', { token: DEMO_GONE_TOKEN });
    const sent = await call(s.base, 'POST', '/notifications', { alert: 'Hello' });
    expect(sent.body).toMatchObject({ sent: 2, accepted: 1, failed: 1 });
    const failed = sent.body.results.find((r: { outcome: string }) => r.outcome === 'failed');
    expect(failed).toMatchObject({ token: DEMO_GONE_TOKEN, reason: 'Unregistered', status: 410 });
    expect(failed.message).toContain('deaddead…dead');

    expect((await call(s.base, 'GET', '/devices')).body.map((d: { token: string }) => d.token)).toEqual([GOOD]);
    expect(s.log.matching(/WARN \[ApnsEvents\].*Unregistered \(410\)/).length).toBeGreaterThanOrEqual(1);
    expect(s.log.matching(/Unregistered device deaddead…dead/).length).toBeGreaterThanOrEqual(1);
    // The log names devices by a shortened token only.
    expect(s.log.lines.join('\n')).not.toContain(DEMO_GONE_TOKEN);
  });

  it('unregisters a token APNs refuses as BadDeviceToken', async () => {
    s.mock.markInvalid(OTHER);
    try {
      await call(s.base, 'POST', '/devices', { token: OTHER });
      await call(s.base, 'POST', '/devices', { token: GOOD });
      const sent = await call(s.base, 'POST', '/notifications', { alert: 'Hello' });
      expect(sent.body.results.find((r: { token: string }) => r.token === OTHER)).toMatchObject({ outcome: 'failed', reason: 'BadDeviceToken', status: 400 });
      expect((await call(s.base, 'GET', '/devices')).body.map((d: { token: string }) => d.token)).toEqual([GOOD]);
    } finally {
      s.mock.acceptToken(OTHER);
    }
  });

  it('answers bad requests with 400 and a message naming what is wrong', async () => {
    const cases: Array<[string, string, unknown, RegExp]> = [
      ['POST', '/devices', {}, /token is missing/],
      ['POST', '/devices', { token: 'abc' }, /odd number of hex digits/],
      ['POST', '/devices', { token: 'zz'.repeat(32) }, /hex digits only/],
      ['POST', '/devices', { token: 42 }, /must be a hex string/],
      ['POST', '/devices', { token: 'ab'.repeat(300) }, /300 bytes long/],
      ['DELETE', '/devices/xyz', undefined, /hex digits only/],
      ['POST', '/notifications', { badge: 1 }, /alert is missing/],
      ['POST', '/notifications', { alert: 'Hi', badge: -1 }, /badge must be a whole number/],
      ['POST', '/notifications', { alert: 'Hi', sound: 3 }, /sound must be/],
      ['POST', '/notifications', { alert: 'Hi', data: [1] }, /data must be an object/],
      ['POST', '/notifications', { alert: 'Hi', tokens: 'abcd' }, /tokens must be a non-empty array/],
      ['POST', '/notifications', { alert: 'Hi', tokens: [GOOD, 'abc'] }, /tokens\[1\] has an odd number/],
      ['POST', '/notifications', { alert: 'Hi', badges: 2 }, /Unknown field\(s\): badges/],
      ['POST', '/notifications', [1, 2], /Send a JSON object/],
      // No device registered and no tokens given.
      ['POST', '/notifications', { alert: 'Hi' }, /No devices are registered/],
      // The library refuses the notification itself: too large for HTTP/2's 4096 bytes.
      ['POST', '/notifications', { alert: 'x'.repeat(5000), tokens: [GOOD] }, /Invalid payload: .*4096/],
    ];
    for (const [method, path, body, message] of cases) {
      const answer = await call(s.base, method, path, body);
      expect({ method, path, status: answer.status }).toEqual({ method, path, status: 400 });
      expect(answer.body.message).toMatch(message);
    }
    const notJson = await call(s.base, 'POST', '/devices', undefined, '{"token":');
    expect(notJson.status).toBe(400);
    expect((await call(s.base, 'DELETE', `/devices/${GOOD}`)).status).toBe(404);
    // Nothing crashed: the app still registers and sends.
    expect((await call(s.base, 'POST', '/devices', { token: GOOD })).status).toBe(201);
    expect((await call(s.base, 'POST', '/notifications', { alert: 'Still here' })).body.accepted).toBe(1);
    expect(s.mock.accepted).toHaveLength(1);
  });

  it('registers the feedback task in the app SchedulerRegistry with the default daily schedule', () => {
    const job = s.app.get(SchedulerRegistry).getCronJob('apns-feedback');
    expect(job.cronTime.source).toBe('17 3 * * *');
  });
});

describe('sample app on the embedded mock (binary)', () => {
  let s: Sample;
  beforeAll(async () => {
    s = await bootSample({ PORT: '0', APNS_TRANSPORT: 'binary', APNS_FEEDBACK_CRON: '0 */5 * * * *' });
  });
  afterAll(async () => {
    await s?.app.close();
  });
  beforeEach(() => reset(s));

  it('uses the cron expression of APNS_FEEDBACK_CRON', () => {
    expect(s.app.get(SchedulerRegistry).getCronJob('apns-feedback').cronTime.source).toBe('0 */5 * * * *');
  });

  it('unregisters a token the feedback service lists, unless it registered again after the feedback timestamp', async () => {
    const stale = (await call(s.base, 'POST', '/devices', { token: GOOD })).body;
    const renewed = (await call(s.base, 'POST', '/devices', { token: OTHER })).body;
    // GOOD went away after it registered; OTHER's entry predates its registration (app reinstalled).
    s.mock.queueFeedback(GOOD, new Date(Date.parse(stale.registeredAt) + 60_000));
    s.mock.queueFeedback(OTHER, new Date(Date.parse(renewed.registeredAt) - 3_600_000));

    const entries = await s.app.get(ApnsService).pollFeedback();
    expect(entries.map((e) => e.token).sort()).toEqual([GOOD, OTHER].sort());
    expect((await call(s.base, 'GET', '/devices')).body.map((d: { token: string }) => d.token)).toEqual([OTHER]);
    expect(s.log.matching(/Unregistered device a1b2c3d4…c3d4: APNs feedback/)).toHaveLength(1);
    expect(s.log.matching(/Kept device abababab…abab/)).toHaveLength(1);
  });

  it('sends over the binary gateway and unregisters the demo token APNs refuses with status 8', async () => {
    await call(s.base, 'POST', '/devices', { token: DEMO_GONE_TOKEN });
    await call(s.base, 'POST', '/devices', { token: THIRD });
    // The sample's own listener subscribed at start-up, so it has acted by the time this one hears of the error.
    const rejected = firstValueFrom(s.app.get(ApnsService).errors$.pipe(filter((e) => e.token === DEMO_GONE_TOKEN)));
    const sent = await call(s.base, 'POST', '/notifications', { alert: 'Hello' });
    // Binary: "accepted" means written; the rejection may arrive afterwards, on errors$.
    expect(sent.body).toMatchObject({ transport: 'binary', sent: 2 });
    expect(await rejected).toMatchObject({ reason: 'InvalidToken', status: 8 });
    expect(s.log.matching(/WARN \[ApnsEvents\].*InvalidToken \(status 8\)/)).toHaveLength(1);
    expect(s.log.matching(/Unregistered device deaddead…dead: APNs refused it \(InvalidToken\)/)).toHaveLength(1);
    const tokens = (await call(s.base, 'GET', '/devices')).body.map((d: { token: string }) => d.token);
    expect(tokens).toEqual([THIRD]);
    await s.mock.waitFor(() => s.mock.accepted.some((a) => a.token === THIRD));
  });
});

describe('sample app shutdown during a send', () => {
  it('drains a push in flight into the embedded mock before the mock stops', async () => {
    const s = await bootSample({ PORT: '0' });
    let closed = false;
    try {
      await call(s.base, 'POST', '/devices', { token: GOOD });
      // Answered well within the default drain timeout (5 s), but only after the close has begun.
      s.mock.faults.latency(300);
      const sending = s.app.get(NotificationSender).send({ notification: { alert: 'Last one' }, tokens: undefined });
      await s.mock.waitFor(() => s.mock.counters.streams >= 1);
      await s.app.close();
      closed = true;
      expect(await sending).toMatchObject({ sent: 1, accepted: 1, failed: 0, results: [{ token: GOOD, outcome: 'accepted' }] });
      expect(s.log.matching(/WARN \[ApnsEvents\]/)).toEqual([]);
    } finally {
      if (!closed) await s.app.close();
    }
  });

  it('logs the Shutdown failure of every push the drain cut off, and keeps those devices', async () => {
    const s = await bootSample({ PORT: '0', APNS_DRAIN_TIMEOUT_MS: '200' });
    let closed = false;
    try {
      await call(s.base, 'POST', '/devices', { token: GOOD });
      await call(s.base, 'POST', '/devices', { token: OTHER });
      // APNs answers nothing within the drain timeout: both pushes are in flight when the app closes.
      s.mock.faults.latency(60_000);
      // In-process rather than over HTTP: Nest closes the HTTP server before ApnsService drains, and
      // closing it waits for the request in progress, which would wait for APNs.
      const sending = s.app.get(NotificationSender).send({ notification: { alert: 'Going down' }, tokens: undefined });
      await s.mock.waitFor(() => s.mock.counters.streams >= 2);
      await s.app.close();
      closed = true;
      const report = await sending;
      expect(report).toMatchObject({ sent: 2, accepted: 0, failed: 2 });
      expect(report.results.map((r) => [r.token, r.reason])).toEqual([
        [GOOD, 'Shutdown'],
        [OTHER, 'Shutdown'],
      ]);
      // The listener still heard them: ApnsService drains after every onModuleDestroy.
      const warnings = s.log.matching(/^WARN \[ApnsEvents\] .*Shutdown/);
      expect(warnings).toHaveLength(2);
      expect(warnings.join('\n')).toContain('a1b2c3d4…c3d4');
      expect(warnings.join('\n')).toContain('abababab…abab');
      // The embedded mock stopped last, once the drain was over: the drain never lost its server.
      const last = s.log.lines[s.log.lines.length - 1]!;
      expect(last).toBe('LOG [Sample] Shut down: queued pushes drained, connections closed, embedded mock stopped.');
      expect(s.log.matching(/cannot connect/)).toEqual([]);
      // A shutdown says nothing about the device: neither token was dropped.
      expect(s.app.get(DeviceRegistry).tokens()).toEqual([GOOD, OTHER]);
    } finally {
      if (!closed) await s.app.close();
    }
  });
});

describe('sample configuration from the environment', () => {
  it('polls the feedback service APNS_FEEDBACK_GATEWAY names, not the one beside the send gateway', async () => {
    // A second server stands in for a legacy gateway's own feedback host; it trusts the same test CA.
    const feedbackHost = await MockApnsServer.start();
    let s: Sample | undefined;
    try {
      s = await bootSample({ PORT: '0', APNS_TRANSPORT: 'binary', APNS_FEEDBACK_GATEWAY: feedbackHost.feedbackGateway, APNS_FEEDBACK_CRON: 'off' });
      const gone = new Date('2026-04-01T08:00:00Z');
      feedbackHost.queueFeedback(GOOD, gone);
      s.mock.queueFeedback(OTHER, gone);
      await expect(s.app.get(ApnsService).pollFeedback()).resolves.toEqual([{ token: GOOD, timestamp: gone }]);
      expect(feedbackHost.counters.feedbackConnections).toBe(1);
      expect(s.mock.counters.feedbackConnections).toBe(0);
      expect(s.mock.pendingFeedback).toBe(1);
    } finally {
      await s?.app.close();
      await feedbackHost.stop();
    }
  });

  it('passes APNS_DRAIN_TIMEOUT_MS to the module, whose check names a value that is not a number', async () => {
    expect(SampleConfig.fromEnv({ APNS_DRAIN_TIMEOUT_MS: '250' }).drainTimeoutMs).toBe(250);
    expect(SampleConfig.fromEnv({}).drainTimeoutMs).toBeUndefined();
    // Apple credentials (a key file that is not there) so that no embedded mock starts for a boot that fails.
    const env = { APNS_KEY_PATH: '/nonexistent/AuthKey_ABC123DEFG.p8', APNS_KEY_ID: 'ABC123DEFG', APNS_TEAM_ID: 'DEF123GHIJ', APNS_TOPIC: 'com.example.app' };
    const error: unknown = await Test.createTestingModule({ imports: [AppModule] })
      .overrideProvider(SampleConfig)
      .useValue(SampleConfig.fromEnv({ ...env, APNS_DRAIN_TIMEOUT_MS: 'soon' }))
      .setLogger(new CapturedLog())
      .compile()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(ApnsOptionsError);
    expect((error as ApnsOptionsError).problems.map((p) => p.field).sort()).toEqual(['drainTimeoutMs', 'token.key']);
  });

  it('starts no mock when Apple credentials are set, and the module names a wrong key file at boot', async () => {
    const env = { APNS_KEY_PATH: '/nonexistent/AuthKey_ABC123DEFG.p8', APNS_KEY_ID: 'ABC123DEFG', APNS_TEAM_ID: 'DEF123GHIJ', APNS_TOPIC: 'com.example.app' };
    const log = new CapturedLog();
    const boot = Test.createTestingModule({ imports: [AppModule] })
      .overrideProvider(SampleConfig)
      .useValue(SampleConfig.fromEnv(env))
      .setLogger(log)
      .compile();
    const error: unknown = await boot.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApnsOptionsError);
    expect((error as ApnsOptionsError).problems.map((p) => p.field)).toEqual(['token.key']);
    expect(log.matching(/embedded mock/)).toHaveLength(0);
  });

  it('says which variable is missing', () => {
    expect(() => SampleConfig.fromEnv({ APNS_KEY_PATH: '/k.p8' })).toThrow(/APNS_KEY_ID .* APNS_TEAM_ID/);
    expect(() => SampleConfig.fromEnv({ APNS_CERT_PATH: '/c.pem', APNS_TOPIC: 'x' })).toThrow(/APNS_KEY_FILE/);
    expect(() => SampleConfig.fromEnv({ APNS_PFX_PATH: '/c.p12' })).toThrow(/APNS_TOPIC/);
    expect(() => SampleConfig.fromEnv({ PORT: 'eighty' })).toThrow(/PORT must be a port number/);
    expect(SampleConfig.fromEnv({ APNS_FEEDBACK_CRON: 'off' }).feedbackCron).toBe(false);
    expect(SampleConfig.fromEnv({}).credentials).toEqual({ kind: 'none' });
  });
});

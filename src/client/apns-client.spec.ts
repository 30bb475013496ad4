import { firstValueFrom, toArray } from 'rxjs';
import { ApnsDeliveryError } from '../errors/apns-delivery.error.js';
import { ApnsValidationError } from '../errors/apns-validation.error.js';
import { testCredentials as creds } from '../testing/test-credentials.js';
import type { ApnsTransport, TransportHooks } from '../transport/apns-transport.js';
import type { ApnsFeedback, Delivery } from '../transport/delivery.js';
import type { TransportConfig } from '../transport/transport-config.js';
import { ApnsClient } from './apns-client.js';
import { ApnsClientClosedError } from './apns-client-closed.error.js';
import type { ApnsClientOptions } from './apns-client-options.js';
import type { ApnsNotification } from '../codec/apns-notification.js';
import type { ApnsMessage } from './apns-send-report.js';

// Client accounting only: an in-memory transport stands in for the network, so
// these tests are about counting and reporting, never about sockets (the e2e
// specs in test/ run the real transports against the mock server).

const silent = { log: () => undefined, warn: () => undefined, error: () => undefined };
const options: ApnsClientOptions = {
  token: { key: creds.signingKey, keyId: creds.keyId, teamId: creds.teamId },
  topic: 'com.example.app',
  queueSize: 8,
  logger: silent,
};
const token = (i: number) => i.toString(16).padStart(64, '0');

/** Queues deliveries; the test decides when and how each one ends. */
class InMemoryTransport implements ApnsTransport {
  readonly queue: Delivery[] = [];
  readonly offered: Delivery[] = [];
  maxQueued = 0;
  closedWith: number | undefined;
  feedbackEntries: ApnsFeedback[] = [];
  private waiters: Array<() => void> = [];
  private closing: Promise<void> | undefined;

  constructor(
    readonly config: TransportConfig,
    readonly hooks: TransportHooks,
    private readonly autoAccept: boolean,
  ) {}

  offer(delivery: Delivery): boolean {
    this.offered.push(delivery);
    this.queue.push(delivery);
    this.maxQueued = Math.max(this.maxQueued, this.queue.length);
    if (this.autoAccept) setImmediate(() => this.acceptAll());
    return this.queue.length < this.config.queueSize;
  }

  whenWritable(): Promise<void> {
    if (this.queue.length < this.config.queueSize) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  acceptAll(): void {
    for (const d of this.queue.splice(0)) {
      d.attempts++;
      d.sink.accepted(d, { apnsId: `id-${d.token.slice(-4)}` });
    }
    this.wake();
  }

  fail(d: Delivery, reason: string, status = 400): void {
    const at = this.queue.indexOf(d);
    if (at >= 0) this.queue.splice(at, 1);
    d.sink.failed(
      d,
      new ApnsDeliveryError({ token: d.token, notification: d.message.notification, reason, status, source: 'http2', retryable: false, attempts: 1 }),
    );
    this.wake();
  }

  pollFeedback(): Promise<ApnsFeedback[]> {
    return Promise.resolve(this.feedbackEntries);
  }

  close(drainTimeoutMs: number): Promise<void> {
    this.closing ??= (async () => {
      this.closedWith = drainTimeoutMs;
      this.wake();
      await new Promise((r) => setImmediate(r));
      for (const d of this.queue.splice(0)) {
        d.sink.failed(
          d,
          new ApnsDeliveryError({ token: d.token, notification: d.message.notification, reason: 'Shutdown', source: 'http2', retryable: false, attempts: d.attempts }),
        );
      }
    })();
    return this.closing;
  }

  private wake(): void {
    const w = this.waiters.splice(0);
    for (const resolve of w) resolve();
  }
}

function makeClient(autoAccept = true, extra: Partial<ApnsClientOptions> = {}) {
  let transport!: InMemoryTransport;
  const client = new ApnsClient(
    { ...options, ...extra },
    {
      transportFactory: (kind, config, hooks) => {
        expect(kind).toBe('http2');
        transport = new InMemoryTransport(config, hooks, autoAccept);
        return transport;
      },
    },
  );
  return { client, transport };
}

describe('ApnsClient accounting', () => {
  it('reports every token of an array as accepted, with its apns-id and input position', async () => {
    const { client } = makeClient();
    const tokens = Array.from({ length: 20 }, (_, i) => token(i));
    const report = await client.send({ alert: 'Hello', badge: 1 }, tokens);
    expect(report).toMatchObject({ sent: 20, accepted: 20, failed: 0, interrupted: false });
    expect(report.results.map((r) => r.index).sort((a, b) => a - b)).toEqual(tokens.map((_, i) => i));
    expect(report.results[0]).toMatchObject({ status: 'accepted', token: tokens[report.results[0]!.index], apnsId: expect.stringMatching(/^id-/) });
    await client.close();
  });

  it('serializes the payload once for all the tokens of a send', async () => {
    const { client, transport } = makeClient();
    await client.send({ alert: 'Hello' }, [token(1), token(2), token(3)]);
    const messages = new Set(transport.offered.map((d) => d.message));
    expect(messages.size).toBe(1);
    expect(JSON.parse([...messages][0]!.payload.toString())).toEqual({ aps: { alert: 'Hello' } });
    await client.close();
  });

  it('fails a malformed token alone, locally, on the report and on errors$, and sends the rest', async () => {
    const { client, transport } = makeClient();
    const errors: ApnsDeliveryError[] = [];
    client.errors$.subscribe((e) => errors.push(e));
    const report = await client.send({ alert: 'Hi' }, [token(1), 'not-hex!', token(2), 'abc']);
    expect(report).toMatchObject({ sent: 4, accepted: 2, failed: 2 });
    expect(transport.offered.map((d) => d.token)).toEqual([token(1), token(2)]);
    expect(errors.map((e) => [e.token, e.reason, e.source, e.attempts])).toEqual([
      ['not-hex!', 'MalformedDeviceToken', 'local', 0],
      ['abc', 'MalformedDeviceToken', 'local', 0],
    ]);
    const failed = report.results.filter((r) => r.status === 'failed');
    expect(failed.map((r) => [r.index, r.status === 'failed' && r.error])).toEqual([
      [1, errors[0]],
      [3, errors[1]],
    ]);
    await client.close();
  });

  it('rejects when the notification itself is invalid, before sending anything', async () => {
    const { client, transport } = makeClient(true, { topic: undefined });
    await expect(client.send({ alert: 'x', collapseId: 'c'.repeat(65) }, [token(1)])).rejects.toBeInstanceOf(ApnsValidationError);
    await expect(client.send(null as never, [token(1)])).rejects.toThrow(/Invalid notification/);
    expect(transport.offered).toHaveLength(0);
    await client.close();
  });

  it('emits each failure exactly once, even when a transport reports it twice', async () => {
    const { client, transport } = makeClient(false);
    const errors: ApnsDeliveryError[] = [];
    client.errors$.subscribe((e) => errors.push(e));
    const sending = client.send({ alert: 'Hi' }, [token(1), token(2)]);
    await new Promise((r) => setImmediate(r));
    const [a, b] = transport.offered;
    transport.fail(a!, 'BadDeviceToken');
    transport.fail(a!, 'BadDeviceToken');
    b!.sink.accepted(b!, {});
    b!.sink.accepted(b!, {});
    const report = await sending;
    expect(report).toMatchObject({ sent: 2, accepted: 1, failed: 1 });
    expect(errors).toHaveLength(1);
    await client.close();
  });

  it('moves a written-then-rejected delivery (binary) from accepted to failed while the send is open', async () => {
    const { client, transport } = makeClient(false);
    const errors: ApnsDeliveryError[] = [];
    client.errors$.subscribe((e) => errors.push(e));
    const sending = client.send({ alert: 'Hi' }, [token(1), token(2)]);
    await new Promise((r) => setImmediate(r));
    const [a, b] = transport.offered;
    a!.sink.accepted(a!, {});
    transport.fail(a!, 'InvalidToken', 8);
    b!.sink.accepted(b!, {});
    const report = await sending;
    expect(report).toMatchObject({ sent: 2, accepted: 1, failed: 1 });
    expect(report.results.map((r) => `${r.index}:${r.status}`).sort()).toEqual(['0:failed', '1:accepted']);

    // After the send resolved, a late rejection still reaches errors$, once.
    transport.fail(b!, 'InvalidToken', 8);
    expect(errors.map((e) => e.token)).toEqual([token(1), token(2)]);
    expect(report).toMatchObject({ accepted: 1, failed: 1 });
    await client.close();
  });

  it('gives the report of a send cut by close() once close() has ended, with what the drain failed after it was written', async () => {
    const { client, transport } = makeClient(false);
    const errors: ApnsDeliveryError[] = [];
    client.errors$.subscribe((e) => errors.push(e));
    function* tokens() {
      for (let i = 0; i < 100; i++) yield token(i);
    }
    const sending = client.send({ alert: 'Hi' }, tokens());
    await new Promise((r) => setImmediate(r));
    // Binary-style: everything taken was written, so accepted, before close() started; the last
    // three are still held by a connection that the drain will cut unconfirmed.
    const written = transport.queue.splice(0);
    for (const d of written) d.sink.accepted(d, {});
    const held = written.slice(-3);
    transport.queue.push(...held);
    await client.close(); // fails what the transport still holds with Shutdown
    const report = await sending;
    expect(report).toMatchObject({ sent: written.length, accepted: written.length - 3, failed: 3, interrupted: true, resumeFrom: written.length });
    expect(report.results.filter((r) => r.status === 'failed').map((r) => r.token)).toEqual(held.map((d) => d.token));
    expect(errors.map((e) => e.reason)).toEqual(['Shutdown', 'Shutdown', 'Shutdown']);
  });

  it("leaves accepted deliveries out of the results with results: 'failed', keeping the counts", async () => {
    const { client } = makeClient();
    const report = await client.send({ alert: 'Hi' }, [token(1), 'zz', token(2)], { results: 'failed' });
    expect(report).toMatchObject({ sent: 3, accepted: 2, failed: 1 });
    expect(report.results).toHaveLength(1);
    expect(report.results[0]).toMatchObject({ status: 'failed', token: 'zz', index: 1 });
    await client.close();
  });

  it('pulls a generator only as fast as the transport takes its deliveries', async () => {
    const { client, transport } = makeClient();
    let pulled = 0;
    let maxAhead = 0;
    function* tokens() {
      for (let i = 0; i < 5000; i++) {
        pulled++;
        const done = transport.offered.length - transport.queue.length;
        maxAhead = Math.max(maxAhead, pulled - done);
        yield token(i);
      }
    }
    const report = await client.send({ alert: 'Hi' }, tokens(), { results: 'failed' });
    expect(report).toMatchObject({ sent: 5000, accepted: 5000, failed: 0 });
    // queueSize is 8: never more than that (plus the one over the mark) waits in memory.
    expect(transport.maxQueued).toBeLessThanOrEqual(9);
    expect(maxAhead).toBeLessThanOrEqual(10);
    await client.close();
  });

  it('reads async iterables, and rejects with the error of a source that throws once the taken deliveries settle', async () => {
    const { client } = makeClient();
    async function* ok() {
      for (let i = 0; i < 30; i++) yield token(i);
    }
    expect(await client.send({ alert: 'Hi' }, ok())).toMatchObject({ sent: 30, accepted: 30 });
    async function* broken() {
      yield token(1);
      throw new Error('cursor lost');
    }
    await expect(client.send({ alert: 'Hi' }, broken())).rejects.toThrow('cursor lost');
    await client.close();
  });

  it('resolves an empty input to an empty report, and rejects an input that is not iterable', async () => {
    const { client } = makeClient();
    await expect(client.send({ alert: 'Hi' }, [])).resolves.toMatchObject({ sent: 0, accepted: 0, failed: 0, results: [] });
    await expect(client.sendMany(new Set<ApnsMessage>())).resolves.toMatchObject({ sent: 0 });
    await expect(client.send({ alert: 'Hi' }, 42 as never)).rejects.toThrow(/Invalid tokens: expected a token, an array or an iterable/);
    await expect(client.sendMany({} as never)).rejects.toThrow(/Invalid messages/);
    await client.close();
  });

  it('passes the apns-id of the notification for a single recipient only', async () => {
    const { client, transport } = makeClient();
    const id = '123e4567-e89b-42d3-a456-426614174000';
    await client.send({ alert: 'Hi', id }, token(1));
    await client.send({ alert: 'Hi', id }, [token(2)]);
    await client.send({ alert: 'Hi', id }, [token(3), token(4)]);
    expect(transport.offered.map((d) => d.apnsId)).toEqual([id, id, undefined, undefined]);
    await client.close();
  });

  describe('sendMany', () => {
    it('fails an invalid notification alone with InvalidNotification and sends the rest', async () => {
      const { client, transport } = makeClient(true, { topic: undefined });
      const errors: ApnsDeliveryError[] = [];
      client.errors$.subscribe((e) => errors.push(e));
      const shared = { alert: 'shared', topic: 'com.example.app' };
      const messages: ApnsMessage[] = [
        { token: token(1), notification: shared },
        { token: token(2), notification: shared },
        { token: token(3), notification: { alert: 'no topic' } },
        { token: 'bad', notification: shared },
        null as never,
        { token: token(4), notification: { alert: 'own', topic: 'com.example.app' } },
      ];
      const report = await client.sendMany(messages);
      expect(report).toMatchObject({ sent: 6, accepted: 3, failed: 3 });
      expect(errors.map((e) => [e.token, e.reason])).toEqual([
        [token(3), 'InvalidNotification'],
        ['bad', 'MalformedDeviceToken'],
        ['null', 'InvalidNotification'],
      ]);
      expect(errors[0]!.cause).toBeInstanceOf(ApnsValidationError);
      // Consecutive messages sharing a notification share one serialization.
      expect(transport.offered[0]!.message).toBe(transport.offered[1]!.message);
      expect(transport.offered[2]!.message).not.toBe(transport.offered[0]!.message);
      await client.close();
    });

    it('sends a notification object shared by consecutive messages as it was when the first was read, its id excepted', async () => {
      const { client, transport } = makeClient();
      const shared: ApnsNotification = { alert: 'first', id: '11111111-1111-4111-8111-111111111111' };
      async function* cursor(): AsyncGenerator<ApnsMessage> {
        yield { token: token(1), notification: shared };
        shared.alert = 'changed';
        shared.id = '22222222-2222-4222-8222-222222222222';
        yield { token: token(2), notification: shared };
        // A fresh object is serialized anew.
        yield { token: token(3), notification: { ...shared } };
      }
      await client.sendMany(cursor());
      const sent = transport.offered.map((d) => [JSON.parse(d.message.payload.toString('utf8')).aps.alert, d.apnsId]);
      expect(sent).toEqual([
        ['first', '11111111-1111-4111-8111-111111111111'],
        ['first', '22222222-2222-4222-8222-222222222222'],
        ['changed', '22222222-2222-4222-8222-222222222222'],
      ]);
      await client.close();
    });

    it('pulls an async source only as fast as the transport takes its messages', async () => {
      const { client, transport } = makeClient();
      let maxAhead = 0;
      let pulled = 0;
      async function* cursor() {
        for (let i = 0; i < 2000; i++) {
          pulled++;
          maxAhead = Math.max(maxAhead, pulled - (transport.offered.length - transport.queue.length));
          yield { token: token(i), notification: { alert: `#${i}` } };
        }
      }
      const report = await client.sendMany(cursor(), { results: 'failed' });
      expect(report).toMatchObject({ sent: 2000, accepted: 2000, failed: 0, results: [] });
      expect(maxAhead).toBeLessThanOrEqual(10);
      await client.close();
    });
  });

  describe('feedback', () => {
    it('emits transport feedback (410s) and polled entries on feedback$', async () => {
      const { client, transport } = makeClient();
      const seen: ApnsFeedback[] = [];
      client.feedback$.subscribe((f) => seen.push(f));
      const gone = { token: token(9), timestamp: new Date(1_700_000_000_000) };
      transport.hooks.onFeedback(gone);
      transport.feedbackEntries = [{ token: token(8), timestamp: new Date(1_600_000_000_000) }];
      expect(await client.pollFeedback()).toEqual(transport.feedbackEntries);
      expect(seen).toEqual([gone, ...transport.feedbackEntries]);
      await client.close();
    });
  });

  describe('close', () => {
    it('stops reading the input, fails what is queued with Shutdown, and accounts for every delivery taken', async () => {
      const { client, transport } = makeClient(false);
      const errors: ApnsDeliveryError[] = [];
      const allErrors = firstValueFrom(client.errors$.pipe(toArray()));
      client.errors$.subscribe((e) => errors.push(e));
      let pulled = 0;
      function* endless() {
        for (;;) yield token(pulled++);
      }
      const sending = client.send({ alert: 'Hi' }, endless());
      await new Promise((r) => setImmediate(r));
      transport.acceptAll();
      await new Promise((r) => setImmediate(r));
      const closing = client.close(1234);
      expect(client.close()).toBe(closing);
      const report = await sending;
      await closing;
      expect(transport.closedWith).toBe(1234);
      expect(report.interrupted).toBe(true);
      expect(report.accepted + report.failed).toBe(report.sent);
      expect(report.sent).toBe(transport.offered.length);
      expect(report.failed).toBeGreaterThan(0);
      expect(errors.every((e) => e.reason === 'Shutdown')).toBe(true);
      expect(errors).toHaveLength(report.failed);
      // errors$ completed: the toArray() above resolved.
      expect(await allErrors).toHaveLength(report.failed);
    });

    function* generate<T>(items: T[]): Generator<T> {
      yield* items;
    }
    async function* generateAsync<T>(items: T[]): AsyncGenerator<T> {
      for (const item of items) yield item;
    }
    it.each([
      ['send from an array', (c: ApnsClient, tokens: string[]) => c.send({ alert: 'Hi' }, tokens)],
      ['send from a generator', (c: ApnsClient, tokens: string[]) => c.send({ alert: 'Hi' }, generate(tokens))],
      ['send from an async generator', (c: ApnsClient, tokens: string[]) => c.send({ alert: 'Hi' }, generateAsync(tokens))],
      [
        'sendMany from an async generator',
        (c: ApnsClient, tokens: string[]) => c.sendMany(generateAsync(tokens.map((t) => ({ token: t, notification: { alert: 'Hi' } })))),
      ],
    ])('%s: says where to resume when close() cuts the input, and resuming there sends every token once', async (_kind, run) => {
      const tokens = Array.from({ length: 100 }, (_, i) => token(i));
      // A malformed token is read and reported, so it counts towards the resume position too.
      tokens[3] = 'not-hex';
      const first = makeClient(false);
      const sending = run(first.client, tokens);
      await new Promise((r) => setImmediate(r));
      first.transport.acceptAll();
      await new Promise((r) => setImmediate(r));
      await first.client.close();
      const report = await sending;

      expect(report.interrupted).toBe(true);
      expect(report.resumeFrom).toBe(report.sent);
      const resumeFrom = report.resumeFrom!;
      expect(resumeFrom).toBeGreaterThan(3);
      expect(resumeFrom).toBeLessThan(tokens.length);
      // Every position before resumeFrom has exactly one outcome; nothing from resumeFrom on was handed to the transport.
      expect(report.results.map((r) => r.index).sort((a, b) => a - b)).toEqual(Array.from({ length: resumeFrom }, (_, i) => i));
      expect(first.transport.offered.filter((d) => (d as unknown as { index: number }).index >= resumeFrom)).toEqual([]);
      const shutdown = report.results.flatMap((r) => (r.status === 'failed' && r.error.reason === 'Shutdown' ? [r.token] : []));
      expect(shutdown.length).toBeGreaterThan(0);

      // The restart: what failed with Shutdown, then the input from resumeFrom on.
      const second = makeClient(true);
      const rest = await second.client.send({ alert: 'Hi' }, [...shutdown, ...tokens.slice(resumeFrom)]);
      const delivered = [
        ...report.results.flatMap((r) => (r.status === 'accepted' ? [r.token] : [])),
        ...rest.results.flatMap((r) => (r.status === 'accepted' ? [r.token] : [])),
      ];
      expect(delivered.sort()).toEqual(tokens.filter((t) => t !== 'not-hex').sort());
      await second.client.close();
    });

    it('reports an async input read to its end as not interrupted, even when close() starts during its last read', async () => {
      const { client } = makeClient(true);
      async function* source() {
        yield token(1);
        yield token(2);
        // The source's last next() runs while the client starts closing: nothing is left unread.
        void client.close();
      }
      const report = await client.send({ alert: 'Hi' }, source());
      expect(report).toMatchObject({ sent: 2, interrupted: false });
      expect(report.resumeFrom).toBeUndefined();
      expect(report.accepted + report.failed).toBe(2);
    });

    it('gives no resume position to a send that read its input to its end', async () => {
      const { client } = makeClient(true);
      const report = await client.send({ alert: 'Hi' }, [token(1), token(2)]);
      expect(report).toMatchObject({ sent: 2, accepted: 2, interrupted: false });
      expect(report.resumeFrom).toBeUndefined();
      await client.close();
    });

    it('refuses sends and polls after close', async () => {
      const { client } = makeClient();
      await client.close();
      await expect(client.send({ alert: 'x' }, token(1))).rejects.toBeInstanceOf(ApnsClientClosedError);
      await expect(client.sendMany([])).rejects.toBeInstanceOf(ApnsClientClosedError);
      await expect(client.pollFeedback()).rejects.toBeInstanceOf(ApnsClientClosedError);
      expect(client.closed).toBe(true);
    });

    it('completes feedback$ and uses the drainTimeoutMs option by default', async () => {
      const { client, transport } = makeClient(true, { drainTimeoutMs: 750 });
      const done = firstValueFrom(client.feedback$.pipe(toArray()));
      await client.close();
      expect(await done).toEqual([]);
      expect(transport.closedWith).toBe(750);
    });
  });
});

import { ApnsClient } from '../src/client/apns-client.js';
import type { ApnsDeliveryError } from '../src/errors/apns-delivery.error.js';
import { MockApnsServer } from '../src/testing/index.js';
import { MODES, optionsFor, tokenFor, type ApnsMode } from './apns-e2e.fixtures.js';

// ApnsClient without Nest: the same behaviour as ApnsService, with a small
// queue so that backpressure is exercised on every run.

describe.each(MODES)('ApnsClient without Nest, over %s', (mode: ApnsMode) => {
  let mock: MockApnsServer;

  beforeAll(async () => {
    mock = await MockApnsServer.start();
  });
  afterAll(async () => {
    await mock.stop();
  });

  it('sends a generator of tokens through a small queue, each recorded once, then closes cleanly', async () => {
    const { feedback: _ignored, ...options } = optionsFor(mock, mode, { queueSize: 16 });
    const client = new ApnsClient(options);
    const errors: ApnsDeliveryError[] = [];
    client.errors$.subscribe((e) => errors.push(e));
    const count = 1000;
    function* tokens() {
      for (let i = 0; i < count; i++) yield tokenFor(i, 'ab');
    }
    const report = await client.send({ alert: 'Hi', sound: 'default' }, tokens(), { results: 'failed' });
    expect(report).toMatchObject({ sent: count, accepted: count, failed: 0, results: [], interrupted: false });
    await mock.waitForAccepted(count);
    expect(new Set(mock.accepted.map((a) => a.token)).size).toBe(count);
    await client.close();
    await client.close();
    expect(errors).toEqual([]);
  });
});
